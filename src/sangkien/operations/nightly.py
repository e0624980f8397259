"""The operations step of a night, and the hook for a night that failed as a whole.

`watch_night` runs after every unit's outcome is recorded (the summary step): it
raises the night's alerts. `on_night_failure` is the DAG's
`on_failure_callback`: the run failed before or after landing (prepare or summary),
so it raises `night_failed`. Imports stay inside functions: the DAG file imports this
module at parse time.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import psycopg

    from sangkien.operations.alerts import Alert
    from sangkien.operations.notifiers import Notifier

log = logging.getLogger(__name__)


def watch_night(
    conn: psycopg.Connection,
    business_date: date,
    unit_codes: list[str],
    notifiers: Sequence[Notifier] | None = None,
) -> list[Alert]:
    """Raise the night's alerts; return those sent. A rerun resends no alert."""
    from sangkien.operations.alerts import evaluate_night_alerts, raise_alerts
    from sangkien.operations.schema import ensure_operations_schema

    ensure_operations_schema(conn)
    alerts = evaluate_night_alerts(conn, business_date)
    log.info("night %s: %d alert(s) raised", business_date, len(alerts))
    return raise_alerts(conn, alerts, notifiers)


def on_night_failure(context: Mapping[str, Any]) -> None:
    """Airflow `on_failure_callback` of `sangkien_nightly`: alert that the run failed.

    Never raises. When the warehouse cannot be reached (perhaps why the night failed),
    the alert is still sent, just not recorded."""
    from sangkien.operations.alerts import night_failed_alert, raise_alerts, send_alerts
    from sangkien.operations.notifiers import notifiers_from_env, scrub

    try:
        run_id = context.get("run_id") or getattr(context.get("dag_run"), "run_id", None)
        alert = night_failed_alert(
            _business_date(context),
            f"Airflow run {run_id or '(unknown)'}: {context.get('reason') or 'a task failed'}; "
            "see the failed task's log",
        )
    except Exception as exc:  # a callback must not fail in turn
        log.error("night-failed alert not built: %s", scrub(str(exc)))
        return
    notifiers = notifiers_from_env()
    try:
        from sangkien.operations.schema import ensure_operations_schema
        from sangkien.warehouse.connection import LOADER, connect

        with connect(autocommit=True, connect_timeout=10, role=LOADER) as conn:
            ensure_operations_schema(conn)
            raise_alerts(conn, [alert], notifiers)
    except Exception as exc:
        log.error("night-failed alert not recorded (%s); sending it anyway", scrub(str(exc)))
        send_alerts([alert], notifiers)


def _business_date(context: Mapping[str, Any]) -> date:
    """The failed run's business date, from whichever context Airflow gave the callback.

    With the failed task known, the context is a task's (params, logical date); without,
    only `run_id`, whose suffix is the logical date for scheduled and manual runs."""
    from contextlib import suppress
    from datetime import datetime

    from sangkien.night import business_date_of

    run = context.get("dag_run")
    params = context.get("params") or getattr(run, "conf", None) or {}
    logical = context.get("logical_date") or getattr(run, "logical_date", None)
    if logical is None and "__" in str(context.get("run_id")):
        # A run id chosen by hand is no date: then yesterday, as for a manual run.
        with suppress(ValueError):
            logical = datetime.fromisoformat(str(context["run_id"]).split("__", 1)[1])
    return business_date_of(logical, params.get("business_date"))
