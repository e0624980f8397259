"""One unit, one night: pull (for API units), load what changed, record the outcome.

The run for business date D loads D's delivery and every earlier delivery that
is new or whose bytes changed; never one dated after D (contract §1). The
unit's outcome is written to `quality.night_outcome` before returning — also
when the unit fails — so the night's summary is data, not a log line.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import psycopg

from sangkien.landing.batch import DeliveryBatch
from sangkien.landing.delivery import (
    DeliveryResult,
    last_attempts,
    load_delivery,
    unchanged_as_known,
)
from sangkien.landing.folders import (
    DeliveryFolder,
    UnsafePath,
    delivery_folders,
    folder_signatures,
)
from sangkien.registry import Source

log = logging.getLogger(__name__)


class UnitNightFailed(RuntimeError):
    """The unit's night could not be landed; other units are not affected."""


@dataclass
class UnitOutcome:
    unit_code: str
    business_date: str
    outcome: str
    delivered: bool
    #: What the run did with each folder, except earlier folders it found as they
    #: were: by the end of a programme a night looks at 550 folders a unit, and
    #: this outcome is the Airflow task's return value (an XCom).
    deliveries: list[DeliveryResult] = field(default_factory=list)
    detail: str | None = None
    #: Earlier folders found unchanged (left out of `deliveries`).
    earlier_unchanged: int = 0

    @property
    def loaded(self) -> list[DeliveryResult]:
        return [d for d in self.deliveries if d.status == "loaded"]

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def land_unit_night(
    conn: psycopg.Connection, source: Source, business_date: date, landing_dir: Path
) -> UnitOutcome:
    """Land everything new for `source` up to `business_date`; raise if it failed."""
    unit = source.unit_code
    problems: list[str] = []
    if source.transport == "http":
        from sangkien.feeds.http_pull import PullError, pull_night

        try:
            pull_night(source, business_date, landing_dir)
        except PullError as exc:
            problems.append(f"API pull failed: {exc}")
    try:
        folders = delivery_folders(landing_dir, unit, business_date)
    except UnsafePath as exc:
        folders = []
        problems.append(str(exc))
    known = last_attempts(conn, unit, business_date)
    # Most earlier folders are as they were loaded: those are only counted.
    earlier_unchanged = 0
    results = []
    for folder, signature in zip(folders, folder_signatures(folders), strict=True):
        if folder.business_date != business_date and unchanged_as_known(
            known, folder.business_date, signature
        ):
            earlier_unchanged += 1
        else:
            results.append(_load_one(conn, folder, source.transport, known))
    night = business_date.isoformat()
    problems += [
        f"{r.business_date}: {r.detail}" for r in results if r.status == "failed" and r.detail
    ]
    delivered = any(f.business_date == business_date for f in folders)
    statuses = {r.status for r in results} | ({"failed"} if problems else set())
    outcome = next(
        (s for s in ("failed", "incomplete", "loaded") if s in statuses),
        "unchanged" if delivered else "no_delivery",
    )
    detail = "; ".join(problems) or next(
        (r.detail for r in results if r.status == "incomplete"), None
    )
    kept = [r for r in results if r.status != "unchanged" or r.business_date == night]
    earlier_unchanged += len(results) - len(kept)
    result = UnitOutcome(
        unit, night, outcome, delivered, kept, detail, earlier_unchanged=earlier_unchanged
    )
    record_outcome(conn, result)
    if outcome == "failed":
        raise UnitNightFailed(f"{unit}: {detail}")
    return result


def land_unit_range(
    conn: psycopg.Connection, source: Source, date_from: date, date_to: date, landing_dir: Path
) -> list[UnitOutcome]:
    """Land a range of nights in one go (a replay): the same rules as night by night.

    Every delivery dated in the range that is new or changed is loaded, oldest
    first; each night of the range gets its own recorded outcome. Raises after
    recording, if any night failed.
    """
    unit = source.unit_code
    problems: dict[date, list[str]] = {}
    if source.transport == "http":
        from sangkien.feeds.http_pull import PullError, pull_night

        night = date_from
        while night <= date_to:
            try:
                pull_night(source, night, landing_dir)
            except PullError as exc:
                problems.setdefault(night, []).append(f"API pull failed: {exc}")
            night += timedelta(days=1)
    try:
        folders = [
            f for f in delivery_folders(landing_dir, unit, date_to) if f.business_date >= date_from
        ]
    except UnsafePath as exc:
        folders = []
        problems.setdefault(date_to, []).append(str(exc))
    known = last_attempts(conn, unit, date_to)
    batch = DeliveryBatch(conn, unit, source.transport)
    by_night = {}
    try:
        for folder in folders:
            by_night[folder.business_date] = load_delivery(
                conn, folder, source.transport, known=known, batch=batch
            )
            if batch.full:
                batch.flush()
        batch.flush()
    finally:
        batch.discard()  # nothing left after a flush; after an error, temporary files
    for folder in folders:
        _log(folder, by_night[folder.business_date])
    outcomes = []
    night = date_from
    while night <= date_to:
        result = by_night.get(night)
        issues = problems.get(night, [])
        if result and result.status == "failed":
            issues.append(result.detail or "failed")
        if issues:
            outcome = "failed"
        elif result:
            outcome = result.status
        else:
            outcome = "no_delivery"
        detail = "; ".join(issues) or (result.detail if result else None)
        outcomes.append(
            UnitOutcome(
                unit,
                night.isoformat(),
                outcome,
                result is not None,
                [result] if result else [],
                detail,
            )
        )
        night += timedelta(days=1)
    record_outcomes(conn, outcomes)
    if any(o.loaded for o in outcomes):
        # The checks and the full build that follow plan with the partition's statistics.
        conn.execute("select raw.analyze_unit_rows(%s)", (unit,))
    failed = [o for o in outcomes if o.outcome == "failed"]
    if failed:
        raise UnitNightFailed(
            f"{unit}: " + "; ".join(f"{o.business_date}: {o.detail}" for o in failed)
        )
    return outcomes


def _load_one(
    conn: psycopg.Connection,
    folder: DeliveryFolder,
    transport: str,
    known: dict[date, tuple[Any, ...]],
) -> DeliveryResult:
    result = load_delivery(conn, folder, transport, known=known)
    _log(folder, result)
    return result


def _log(folder: DeliveryFolder, result: DeliveryResult) -> None:
    if result.status != "unchanged":
        log.info(
            "%s %s: %s (received %d, published %d, rejected %d, superseded %d)%s",
            folder.unit_code,
            folder.business_date,
            result.status,
            result.rows_received,
            result.rows_published,
            result.rows_rejected,
            result.rows_superseded,
            f" — {result.detail}" if result.detail else "",
        )


def record_outcome(conn: psycopg.Connection, outcome: UnitOutcome) -> None:
    """Upsert the unit's outcome; a rerun that found nothing new keeps the first answer."""
    record_outcomes(conn, [outcome])


def record_outcomes(conn: psycopg.Connection, outcomes: list[UnitOutcome]) -> None:
    """`record_outcome` for many nights, pipelined (a replay records one per night)."""
    conn.cursor().executemany(
        """insert into quality.night_outcome as o (business_date, unit_code, outcome,
               deliveries_loaded, rows_received, rows_published, rows_rejected, detail)
           values (%s, %s, %s, %s, %s, %s, %s, %s)
           on conflict (business_date, unit_code) do update set
               outcome = excluded.outcome, deliveries_loaded = excluded.deliveries_loaded,
               rows_received = excluded.rows_received, rows_published = excluded.rows_published,
               rows_rejected = excluded.rows_rejected, detail = excluded.detail,
               recorded_at = now()
           where excluded.outcome not in ('unchanged', 'no_delivery')
              or o.outcome in ('failed', 'no_delivery', 'unchanged')""",
        [
            (
                outcome.business_date,
                outcome.unit_code,
                outcome.outcome,
                len(outcome.loaded),
                sum(d.rows_received for d in outcome.loaded),
                sum(d.rows_published for d in outcome.loaded),
                sum(d.rows_rejected for d in outcome.loaded),
                outcome.detail,
            )
            for outcome in outcomes
        ],
    )
