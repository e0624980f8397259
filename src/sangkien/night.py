"""The nightly run, step by step; the Airflow DAG and `sangkien run-night` call these.

`prepare_night` makes sure the warehouse is ready and lists the units to land,
`land_unit` lands one unit (failing only itself), `summarize_night` turns the
units' recorded outcomes into the night's summary. `run_night` runs the same
steps without a scheduler.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sangkien.settings import TIMEZONE, load_settings

log = logging.getLogger(__name__)


def business_date_of(logical_date: datetime | None, override: str | None = None) -> date:
    """The business date a run processes: the `business_date` param, else the run's
    logical date read in Asia/Ho_Chi_Minh (the scheduled run for D starts D 01:00
    local and runs at D+1 01:00)."""
    if override:
        return date.fromisoformat(str(override))
    if logical_date is None:
        # A manual run without a logical date processes yesterday, local time.
        return (datetime.now(ZoneInfo(TIMEZONE)) - timedelta(days=1)).date()
    return logical_date.astimezone(ZoneInfo(TIMEZONE)).date()


def prepare_night(business_date: date) -> list[str]:
    """Create what is missing in the warehouse; return the unit codes to land."""
    from sangkien.registry import load_registry
    from sangkien.warehouse.bootstrap import bootstrap
    from sangkien.warehouse.connection import LOADER, connect

    settings = load_settings()
    sources = load_registry(settings.sources_dir)
    with connect(autocommit=True, role=LOADER) as conn:
        bootstrap(conn)  # only checks: installing the schema is the administrator's
        conn.execute("select raw.build_record_index()")  # when a killed replay left it out
    log.info(
        "night %s: %d units to land from %s", business_date, len(sources), settings.landing_dir
    )
    return list(sources)


def land_unit(unit_code: str, business_date: date) -> dict[str, Any]:
    """Land one unit's deliveries up to `business_date`; raises if that unit failed."""
    from sangkien.landing.unit_night import land_unit_night
    from sangkien.registry import Source
    from sangkien.warehouse.connection import LOADER, connect

    settings = load_settings()
    # Only this unit's file: each of the night's 82 tasks reads its own source.
    source = Source.from_file(settings.sources_dir / f"{unit_code}.yml")
    with connect(autocommit=True, role=LOADER) as conn:
        return land_unit_night(conn, source, business_date, settings.landing_dir).as_dict()


@dataclass
class UnitLine:
    unit_code: str
    outcome: str
    rows_published: int
    rows_rejected: int
    detail: str | None


@dataclass
class NightSummary:
    business_date: date
    units: list[UnitLine] = field(default_factory=list)
    rejected_by_reason: dict[str, int] = field(default_factory=dict)
    reports_dir: Path | None = None

    def count(self, outcome: str) -> int:
        return sum(1 for u in self.units if u.outcome == outcome)

    @property
    def failed_units(self) -> list[str]:
        return [u.unit_code for u in self.units if u.outcome == "failed"]

    def render(self, *, all_units: bool = False) -> str:
        lines = [
            f"Night {self.business_date}: "
            + ", ".join(
                f"{self.count(o)} {o.replace('_', ' ')}"
                for o in ("loaded", "unchanged", "no_delivery", "incomplete", "failed")
                if self.count(o)
            )
        ]
        # By default only the units someone must look at; --all lists every unit.
        shown = (
            self.units
            if all_units
            else [u for u in self.units if u.outcome not in ("loaded", "unchanged")]
        )
        if shown:
            lines.append(f"  {'unit':<5} {'outcome':<12} {'published':>9} {'rejected':>8}  detail")
        for u in shown:
            lines.append(
                f"  {u.unit_code:<5} {u.outcome:<12} {u.rows_published:>9} {u.rows_rejected:>8}"
                f"  {(u.detail or '')[:90]}"
            )
        if self.rejected_by_reason:
            lines.append(
                "  rejected rows by reason: "
                + ", ".join(f"{code} {n}" for code, n in sorted(self.rejected_by_reason.items()))
            )
        return "\n".join(lines)


def summarize_night(business_date: date, unit_codes: list[str] | None = None) -> NightSummary:
    """Read every unit's recorded outcome; a unit with none is recorded `failed`."""
    from sangkien.registry import load_registry
    from sangkien.warehouse.connection import LOADER, connect

    units = unit_codes or list(load_registry(load_settings().sources_dir))
    summary = NightSummary(business_date)
    with connect(autocommit=True, role=LOADER) as conn:
        recorded = {
            r[0]: r
            for r in conn.execute(
                """select unit_code, outcome, rows_published, rows_rejected, detail
                   from quality.night_outcome where business_date = %s""",
                (business_date,),
            )
        }
        for unit in units:
            if unit not in recorded:
                detail = "the unit's task ended without recording an outcome"
                conn.execute(
                    """insert into quality.night_outcome (business_date, unit_code, outcome, detail)
                       values (%s, %s, 'failed', %s) on conflict do nothing""",
                    (business_date, unit, detail),
                )
                summary.units.append(UnitLine(unit, "failed", 0, 0, detail))
            else:
                summary.units.append(UnitLine(*recorded[unit]))
        summary.rejected_by_reason = dict(
            conn.execute(
                """select r.reason_code, count(*) from quality.rejected_row r
                   join quality.delivery d using (delivery_id)
                   where d.status = 'loaded' and d.business_date = %s
                   group by r.reason_code""",
                (business_date,),
            ).fetchall()
        )
        from sangkien.operations import watch_night

        watch_night(conn, business_date, units)
    log.info("%s", summary.render())
    return summary


def replay(
    date_from: date,
    date_to: date,
    *,
    workers: int = 2,
    progress: bool = False,
    publish: bool = True,
) -> list[str]:
    """Load a range of nights in one go, then build, check and publish once.

    The same rules, and the same resulting tables, as running the nights one by
    one (`run_night` each date); only the per-night run log differs. Returns the
    units that failed.
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    from sangkien.landing.record_index import record_index_deferred

    if date_to < date_from:
        raise ValueError(f"--to {date_to} is before --from {date_from}")
    units = prepare_night(date_to)
    failed: list[str] = []
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(units), unit="unit", desc=f"landing {date_from}..{date_to}")
    # Processes, not threads: parsing and checking rows is Python work, and the GIL
    # would hold two threads to one core. The biggest units start first, so that
    # no large unit is left running alone at the end.
    spawn = multiprocessing.get_context("spawn")
    with (
        record_index_deferred(),
        ProcessPoolExecutor(max_workers=workers, mp_context=spawn) as pool,
    ):
        futures = {
            pool.submit(_land_range, unit, date_from, date_to): unit
            for unit in _largest_first(units, load_settings().landing_dir)
        }
        for future in as_completed(futures):
            problem = future.result()
            if problem:  # one unit never stops the others
                log.error("%s failed: %s", futures[future], problem)
                failed.append(futures[future])
            if bar is not None:
                bar.update()
    if bar is not None:
        bar.close()
    if publish:
        from sangkien.publishing import transform_and_publish

        transform_and_publish(date_to)
    return sorted(failed)


def _land_range(unit: str, date_from: date, date_to: date) -> str | None:
    """Land one unit's nights (in a worker process); the error, if it failed."""
    from sangkien.landing.unit_night import land_unit_range
    from sangkien.registry import Source
    from sangkien.warehouse.connection import LOADER, connect

    settings = load_settings()
    try:
        source = Source.from_file(settings.sources_dir / f"{unit}.yml")
        with connect(autocommit=True, role=LOADER) as conn:
            land_unit_range(conn, source, date_from, date_to, settings.landing_dir)
    except Exception as exc:
        return str(exc) or type(exc).__name__
    return None


def _largest_first(units: list[str], landing_dir: Path) -> list[str]:
    """Units by the bytes waiting in their landing folders, largest first."""

    def size(unit: str) -> int:
        total = 0
        for folder in (landing_dir / unit).glob("*/"):
            total += sum(f.stat().st_size for f in folder.iterdir() if f.is_file())
        return total

    return sorted(units, key=size, reverse=True)


def run_night(
    business_date: date,
    *,
    workers: int = 2,
    on_unit_done: Callable[[str], None] | None = None,
    publish: bool = True,
    only_units: list[str] | None = None,
    timings: dict[str, float] | None = None,
) -> NightSummary:
    """The whole night without a scheduler: the same steps as `sangkien_nightly`.

    `publish=False` stops after landing and the summary (no models, gate, reports).
    A failing gate raises `GateBlocked` after the reports are written.
    `only_units` re-runs those units' night alone (the others are left as they are).
    `timings`, when given, receives the seconds each step took (the DAG's task names).
    """
    from sangkien.publishing import StepClock

    clock = StepClock(timings)
    units = prepare_night(business_date)
    clock.lap("prepare")
    if only_units:
        unknown = sorted(set(only_units) - set(units))
        if unknown:
            raise ValueError(f"not in the source registry: {', '.join(unknown)}")
        units = [u for u in units if u in only_units]

    def land(unit: str) -> None:
        try:
            land_unit(unit, business_date)
        except Exception as exc:  # one unit never stops the others
            log.error("%s failed: %s", unit, exc)
        finally:
            if on_unit_done:
                on_unit_done(unit)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(land, units))
    clock.lap("land")
    summary = summarize_night(business_date, units)
    clock.lap("summarize")
    if publish:
        from sangkien.publishing import transform_and_publish

        summary.reports_dir = transform_and_publish(business_date, timings=timings)
    return summary
