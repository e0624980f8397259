"""After landing: check, build, check again, publish, report (write-audit-publish).

The steps of a night once every unit has landed, in order; the DAG runs each
as a task and `sangkien run-night` runs them in sequence:

1. `check_landing` — the gate's `landing` suite on the landed rows;
2. `build` — dbt builds the models, the published ones into `marts_candidate`;
3. `check_models` — the gate's `models` suite on the candidate;
4. `publish_night` — the candidate becomes `marts`, atomically;
5. `write_night_reports` — province and national reports, with the docs.

A blocking check that fails raises `GateBlocked` naming the checks and units:
nothing is published (`marts` keeps the last good state), the decision is kept
in `quality.publication`, and a `gate_blocked` alert goes out. The reports are
still written (they show what was landed and the last published figures).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from sangkien.gate.runner import CANDIDATE_SCHEMA
from sangkien.settings import STATE_DIR, load_settings

log = logging.getLogger(__name__)


class GateBlocked(RuntimeError):
    """A blocking check failed: the night's statistics were not published."""


def _dsn() -> str:
    from sangkien.warehouse.connection import warehouse_dsn

    return warehouse_dsn()


def _gate(suite: str, business_date: date, *, full_audit: bool = False) -> None:
    from sangkien.gate.publish import prepare_published_tables, record_blocked
    from sangkien.gate.runner import run_suite
    from sangkien.operations import gate_blocked_alert, raise_alerts
    from sangkien.warehouse.connection import TRANSFORMER, connect, role_url

    dsn = _dsn()
    # Nightly the checks look at what changed since the last publication; a full
    # audit (a rebuild) at everything.
    scope = {"sangkien__full_audit": "on"} if full_audit else {}
    if suite == "models":
        with connect(dsn, autocommit=True, role=TRANSFORMER) as conn:
            prepare_published_tables(conn)
    result = run_suite(suite, role_url(dsn, TRANSFORMER, **scope))
    if result.success:
        log.info("%s", result.message())
        return
    failed = [o.name for o in result.failed]
    units = sorted({u for o in result.failed for u in o.units})
    message = result.message()
    with connect(dsn, autocommit=True, role=TRANSFORMER) as conn:
        record_blocked(conn, business_date, failed, units, message)
        raise_alerts(conn, [gate_blocked_alert(business_date, failed, units)])
    raise GateBlocked(message)


def check_landing(business_date: date, *, full_audit: bool = False) -> None:
    _gate("landing", business_date, full_audit=full_audit)


def build(business_date: date, *, full_refresh: bool = False) -> Any:
    from sangkien.transform import build_models

    # The published models go to the candidate schema; `publish_night` promotes them.
    result = build_models(
        _dsn(), full_refresh=full_refresh, vars={"marts_schema": CANDIDATE_SCHEMA}
    )
    log.info("models built for %s in %.1f s", business_date, result.seconds)
    return result


def check_models(business_date: date, *, full_audit: bool = False) -> None:
    _gate("models", business_date, full_audit=full_audit)


def publish_night(business_date: date, *, full: bool = False) -> Any:
    from sangkien.gate.publish import publish
    from sangkien.warehouse.connection import TRANSFORMER, connect

    with connect(_dsn(), autocommit=True, role=TRANSFORMER) as conn:
        publication = publish(conn, business_date, full=full)
    log.info("night %s: %s", business_date, publication.message)
    return publication


def write_night_reports(business_date: date, *, with_docs: bool = True) -> Path | None:
    """Write the night's reports into SANGKIEN_REPORTS_DIR; return the day's folder
    (None before anything was ever published: there are no statistics to show)."""
    from concurrent.futures import ThreadPoolExecutor

    from sangkien.gate.runner import data_docs_index
    from sangkien.reports import ReportError, publish_docs, write_reports
    from sangkien.transform import generate_docs

    dsn = _dsn()
    # dbt's docs are generated while the unit reports are written (in worker
    # processes): neither needs the other until both are copied together.
    with ThreadPoolExecutor(max_workers=1) as background:
        dbt_docs = (
            background.submit(generate_docs, dsn, STATE_DIR / "dbt-docs") if with_docs else None
        )
        try:
            index = write_reports(dsn, business_date, load_settings().reports_dir)
        except ReportError as exc:
            log.warning("no reports for %s: %s", business_date, exc)
            return None
        if dbt_docs is not None:
            gx_docs = data_docs_index().parent
            publish_docs(index.directory, gx_docs if gx_docs.exists() else None, dbt_docs.result())
    log.info("reports for %s in %s", business_date, index.directory)
    return Path(index.directory)


class StepClock:
    """Seconds per step into `timings` (nothing when it is None)."""

    def __init__(self, timings: dict[str, float] | None) -> None:
        self.timings = timings
        self.started = time.perf_counter()

    def lap(self, step: str) -> None:
        now = time.perf_counter()
        if self.timings is not None:
            self.timings[step] = now - self.started
        self.started = now


def run_step(step: str, business_date: date) -> None:
    """One step by name: what each post-landing task of the DAG runs."""
    steps = {
        "check_landing": check_landing,
        "build_models": build,
        "check_models": check_models,
        "publish": publish_night,
        "write_reports": write_night_reports,
    }
    steps[step](business_date)


def transform_and_publish(
    business_date: date, *, full_refresh: bool = False, timings: dict[str, float] | None = None
) -> Path | None:
    """Steps 1–5 in sequence; raises GateBlocked after writing the reports.

    `timings`, when given, receives the seconds each step took."""
    steps: list[tuple[str, Callable[[], object]]] = [
        ("check_landing", lambda: check_landing(business_date, full_audit=full_refresh)),
        ("build_models", lambda: build(business_date, full_refresh=full_refresh)),
        ("check_models", lambda: check_models(business_date, full_audit=full_refresh)),
        ("publish", lambda: publish_night(business_date, full=full_refresh)),
    ]
    clock = StepClock(timings)
    blocked: GateBlocked | None = None
    try:
        for name, step in steps:
            step()
            clock.lap(name)
    except GateBlocked as exc:
        blocked = exc
        clock.lap("blocked")  # the step that blocked, until it did
    reports = write_night_reports(business_date)
    clock.lap("write_reports")
    if blocked:
        raise blocked
    return reports
