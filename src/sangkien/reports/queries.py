"""Everything the reports read, in one consistent snapshot of the warehouse.

One query per section over all units (never one per unit), inside a single
read-only REPEATABLE READ transaction in Asia/Ho_Chi_Minh time, so the
national page and the 82 unit reports describe the same state. Only the
contract's published tables and columns are read (warehouse-v1: `marts`,
`quality`), plus `quality.night_outcome`; `quality.unit_freshness` is used
when it exists.

"Up to the business date D" everywhere: deliveries whose `business_date` is
at most D, the ranking and breakdowns as of D (or the last programme date
before it). Duplicate links are the warehouse's current state.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

import psycopg
from psycopg import sql
from psycopg.rows import class_row

from sangkien.settings import TIMEZONE


class ReportError(RuntimeError):
    """The warehouse cannot be reported on (e.g. the marts were never built)."""


@dataclass(frozen=True)
class Unit:
    unit_code: str
    unit_name: str
    unit_type: str | None
    province_code: str | None
    province_code_2025: str | None
    province_name_2025: str | None


@dataclass(frozen=True)
class DeliveryTotals:
    """Loaded (current) deliveries: how many, and their row counts."""

    deliveries: int = 0
    received: int = 0
    published: int = 0
    rejected: int = 0
    superseded: int = 0

    @property
    def rejection_rate(self) -> float | None:
        """Rejected rows ÷ received rows; None when nothing was received."""
        return self.rejected / self.received if self.received else None


@dataclass(frozen=True)
class UnitDeliveries:
    cumulative: DeliveryTotals
    night: DeliveryTotals
    last_delivery_date: date | None


@dataclass(frozen=True)
class RejectedRow:
    unit_code: str
    business_date: date
    file_name: str | None
    line_number: int
    record_id: str | None
    reason_code: str
    reason_detail: str | None


@dataclass(frozen=True)
class WarningRow:
    unit_code: str
    business_date: date
    file_name: str | None
    line_number: int | None
    warning_code: str
    detail: str | None


@dataclass(frozen=True)
class ProblemDelivery:
    unit_code: str
    business_date: date
    delivery_id: int
    file_name: str | None
    status: str
    status_detail: str | None
    received_at: datetime | None
    loaded_at: datetime | None
    #: A later delivery of the same night was loaded.
    fixed: bool


@dataclass(frozen=True)
class MissedNight:
    unit_code: str
    business_date: date
    #: The night's recorded outcome (`quality.night_outcome`), None if not recorded.
    outcome: str | None
    detail: str | None
    #: A loaded delivery for that night exists now (delivered late).
    delivered_now: bool


@dataclass(frozen=True)
class DuplicateLink:
    initiative_key: str
    duplicate_of_key: str
    kind: str
    similarity: Decimal | None
    later_title: str | None
    later_date: date | None
    earlier_title: str | None
    earlier_date: date | None

    @property
    def later_unit(self) -> str:
        return self.initiative_key.split(":", 1)[0]

    @property
    def earlier_unit(self) -> str:
        return self.duplicate_of_key.split(":", 1)[0]


@dataclass(frozen=True)
class RecordCounts:
    """Stored records (not withdrawn) up to D, and how many of them are duplicates."""

    submitted: int = 0
    duplicate: int = 0

    @property
    def duplicate_rate(self) -> float | None:
        return self.duplicate / self.submitted if self.submitted else None


@dataclass(frozen=True)
class RankingRow:
    unit_code: str
    cumulative_valid: int
    rank: int
    rank_week_before: int | None
    rank_change: int | None
    units_ranked: int


@dataclass(frozen=True)
class Attainment:
    unit_code: str
    phase: int
    target_assigned: int | None
    target_registered: int | None
    valid: int
    pct_of_assigned: Decimal | None
    pct_of_registered: Decimal | None


@dataclass(frozen=True)
class ProgressPoint:
    date: date
    new_submitted: int
    new_valid: int
    cumulative_submitted: int
    cumulative_valid: int
    pct_of_target: Decimal | None
    valid_7day_avg: Decimal | None


@dataclass(frozen=True)
class BreakdownRow:
    dimension: str
    value: str
    valid: int
    valid_benefit_vnd: int | None


@dataclass
class Snapshot:
    """The warehouse as the reports of one business date see it."""

    business_date: date
    #: Date of the ranking, progress and breakdowns: D, or the last programme date before D.
    as_of_date: date | None
    units: dict[str, Unit]
    #: Every unit (the national median needs them all), also those without deliveries.
    deliveries: dict[str, UnitDeliveries]
    record_counts: dict[str, RecordCounts]
    #: Outcome recorded for night D, by unit.
    night_outcomes: dict[str, tuple[str, str | None]]
    #: Suspected-duplicate links per unit (either side), for the national overview.
    suspected_counts: dict[str, int]
    # Detail of the units being reported.
    rejected: dict[str, list[RejectedRow]] = field(default_factory=dict)
    warnings: dict[str, list[WarningRow]] = field(default_factory=dict)
    problems: dict[str, list[ProblemDelivery]] = field(default_factory=dict)
    missed: dict[str, list[MissedNight]] = field(default_factory=dict)
    #: Links by unit; a cross-unit pair is listed under both units.
    duplicates: dict[str, list[DuplicateLink]] = field(default_factory=dict)
    # National.
    ranking: list[RankingRow] = field(default_factory=list)
    attainment: dict[str, dict[int, Attainment]] = field(default_factory=dict)
    progress: list[ProgressPoint] = field(default_factory=list)
    breakdown: dict[str, list[BreakdownRow]] = field(default_factory=dict)
    #: Where the "nights not delivered" come from (shown in the reports).
    missed_sources: tuple[str, ...] = ("quality.night_outcome",)

    def rejection_rates(self) -> dict[str, float]:
        """Cumulative rejection rate of every unit that received rows."""
        return {
            unit: rate
            for unit, d in self.deliveries.items()
            if (rate := d.cumulative.rejection_rate) is not None
        }


_EMPTY = UnitDeliveries(DeliveryTotals(), DeliveryTotals(), None)
T = TypeVar("T")


def _rows(
    conn: psycopg.Connection, cls: type[T], query: str | sql.Composable, params: dict[str, Any]
) -> list[T]:
    with conn.cursor(row_factory=class_row(cls)) as cur:
        cur.execute(query, params)  # type: ignore[arg-type]
        return cur.fetchall()


def _by_unit(rows: Sequence[Any]) -> dict[str, list[Any]]:
    grouped: dict[str, list[Any]] = defaultdict(list)
    for r in rows:
        grouped[r.unit_code].append(r)
    return dict(grouped)


def _unit_filter(alias: str, units: list[str] | None) -> sql.Composable:
    """`and <alias>.unit_code = any(units)`, or nothing when every unit is reported."""
    if units is None:
        return sql.SQL("")
    return sql.SQL("and {} = any(%(units)s)").format(sql.Identifier(alias, "unit_code"))


def read_snapshot(dsn: str, business_date: date, units: list[str] | None = None) -> Snapshot:
    """Read what the reports of `business_date` show; detail only for `units` (None: all)."""
    from sangkien.warehouse.connection import REPORTER, connect

    with connect(dsn, role=REPORTER) as conn:
        conn.read_only = True
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        with conn.transaction():
            conn.execute(sql.SQL("set local time zone {}").format(sql.Literal(TIMEZONE)))
            return _read(conn, business_date, units)


def _read(conn: psycopg.Connection, business_date: date, units: list[str] | None) -> Snapshot:
    if conn.execute("select to_regclass('marts.dim_unit')").fetchone()[0] is None:  # type: ignore[index]
        raise ReportError("marts.dim_unit does not exist: build the models before the reports")
    p: dict[str, Any] = {"d": business_date, "units": units}
    all_units = {u.unit_code: u for u in _rows(conn, Unit, _UNITS, p)}
    if units is not None and (unknown := sorted(set(units) - set(all_units))):
        raise ReportError(f"not reporting units (not in marts.dim_unit): {', '.join(unknown)}")
    as_of = conn.execute(_AS_OF, p).fetchone()[0]  # type: ignore[index]
    p["as_of"] = as_of

    deliveries = {
        r[0]: UnitDeliveries(DeliveryTotals(*r[1:6]), DeliveryTotals(*r[6:11]), r[11])
        for r in conn.execute(_DELIVERY_TOTALS, p).fetchall()
    }
    snapshot = Snapshot(
        business_date=business_date,
        as_of_date=as_of,
        units=all_units,
        deliveries={u: deliveries.get(u, _EMPTY) for u in all_units},
        record_counts={
            r[0]: RecordCounts(int(r[1]), int(r[2]))
            for r in conn.execute(_RECORD_COUNTS, p).fetchall()
        },
        night_outcomes={r[0]: (r[1], r[2]) for r in conn.execute(_NIGHT_OUTCOMES, p).fetchall()},
        suspected_counts=dict(conn.execute(_SUSPECTED_COUNTS, p).fetchall()),  # type: ignore[arg-type]
    )

    snapshot.rejected = _by_unit(
        _rows(conn, RejectedRow, _REJECTED.format(_unit_filter("r", units)), p)
    )
    snapshot.warnings = _by_unit(
        _rows(conn, WarningRow, _WARNINGS.format(_unit_filter("w", units)), p)
    )
    snapshot.problems = _by_unit(
        _rows(conn, ProblemDelivery, _PROBLEMS.format(_unit_filter("d", units)), p)
    )
    has_freshness = conn.execute("select to_regclass('quality.unit_freshness')").fetchone()[0]  # type: ignore[index]
    missed_query = _MISSED_WITH_FRESHNESS if has_freshness else _MISSED
    if has_freshness:
        snapshot.missed_sources = ("quality.night_outcome", "quality.unit_freshness")
    snapshot.missed = _by_unit(
        _rows(conn, MissedNight, missed_query.format(_unit_filter("m", units)), p)
    )
    wanted = set(all_units) if units is None else set(units)
    for link in _rows(conn, DuplicateLink, _duplicates_query(units), p):
        # Both units of a cross-unit pair list it; a same-unit pair once.
        for unit in dict.fromkeys((link.later_unit, link.earlier_unit)):
            if unit in wanted:
                snapshot.duplicates.setdefault(unit, []).append(link)

    snapshot.ranking = _rows(conn, RankingRow, _RANKING, p) if as_of else []
    for a in _rows(conn, Attainment, _ATTAINMENT, p):
        snapshot.attainment.setdefault(a.unit_code, {})[a.phase] = a
    snapshot.progress = _rows(conn, ProgressPoint, _PROGRESS, p)
    for b in _rows(conn, BreakdownRow, _BREAKDOWN, p) if as_of else []:
        snapshot.breakdown.setdefault(b.dimension, []).append(b)
    return snapshot


_UNITS = """
    select unit_code, unit_name, unit_type, province_code, province_code_2025, province_name_2025
    from marts.dim_unit
    order by unit_code
"""

_AS_OF = "select max(as_of_date) from marts.rpt_unit_ranking where as_of_date <= %(d)s"

# Rates count loaded (current) deliveries only: an incomplete one counts all its
# rows as rejected without itemising them, a replaced one is history.
_DELIVERY_TOTALS = """
    with current_deliveries as (
        select unit_code, business_date, business_date = %(d)s as tonight,
               rows_received, rows_published, rows_rejected, rows_superseded
        from quality.delivery
        where status = 'loaded' and business_date <= %(d)s
    )
    select
        unit_code,
        count(*), sum(rows_received), sum(rows_published), sum(rows_rejected),
        sum(rows_superseded),
        count(*) filter (where tonight),
        coalesce(sum(rows_received) filter (where tonight), 0),
        coalesce(sum(rows_published) filter (where tonight), 0),
        coalesce(sum(rows_rejected) filter (where tonight), 0),
        coalesce(sum(rows_superseded) filter (where tonight), 0),
        max(business_date)
    from current_deliveries
    group by unit_code
"""

_RECORD_COUNTS = """
    select unit_code, coalesce(sum(submitted), 0), coalesce(sum(duplicate), 0)
    from marts.fct_unit_daily
    where date <= %(d)s
    group by unit_code
"""

_NIGHT_OUTCOMES = """
    select unit_code, outcome, detail from quality.night_outcome where business_date = %(d)s
"""

_SUSPECTED_COUNTS = """
    select unit_code, count(*)
    from (
        select split_part(initiative_key, ':', 1) as unit_code
        from quality.duplicate_link where kind = 'suspected'
        union all
        select split_part(duplicate_of_key, ':', 1)
        from quality.duplicate_link
        where kind = 'suspected'
            and split_part(duplicate_of_key, ':', 1) <> split_part(initiative_key, ':', 1)
    ) as sides
    group by unit_code
"""

_REJECTED = sql.SQL("""
    select r.unit_code, d.business_date, d.file_name, r.line_number, r.record_id,
           r.reason_code, r.reason_detail
    from quality.rejected_row as r
    inner join quality.delivery as d on d.delivery_id = r.delivery_id
    where d.status = 'loaded' and d.business_date <= %(d)s {}
    order by r.unit_code, d.business_date desc, r.line_number, r.reason_code, r.reason_detail
""")

_WARNINGS = sql.SQL("""
    select w.unit_code, d.business_date, d.file_name, w.line_number, w.warning_code, w.detail
    from quality.warning as w
    inner join quality.delivery as d on d.delivery_id = w.delivery_id
    where d.status = 'loaded' and d.business_date <= %(d)s {}
    order by w.unit_code, d.business_date desc, w.line_number nulls first, w.warning_code
""")

_PROBLEMS = sql.SQL("""
    select d.unit_code, d.business_date, d.delivery_id, d.file_name, d.status, d.status_detail,
           d.received_at, d.loaded_at,
           exists (
               select from quality.delivery as later
               where later.unit_code = d.unit_code and later.business_date = d.business_date
                   and later.status = 'loaded' and later.delivery_id > d.delivery_id
           ) as fixed
    from quality.delivery as d
    where d.status in ('incomplete', 'failed') and d.business_date <= %(d)s {}
    order by d.unit_code, d.business_date desc, d.delivery_id desc
""")

_MISSED_TAIL = """
    select m.unit_code, m.business_date, m.outcome, m.detail,
           exists (
               select from quality.delivery as d
               where d.unit_code = m.unit_code and d.business_date = m.business_date
                   and d.status = 'loaded'
           ) as delivered_now
    from missed as m
    where true {}
    order by m.unit_code, m.business_date desc
"""

_MISSED = sql.SQL(
    """
    with missed as (
        select unit_code, business_date, outcome, detail
        from quality.night_outcome
        where outcome in ('no_delivery', 'failed', 'incomplete') and business_date <= %(d)s
    )
"""
    + _MISSED_TAIL
)

# unit_freshness also knows the nights before the pipeline recorded outcomes.
_MISSED_WITH_FRESHNESS = sql.SQL(
    """
    with outcomes as (
        select unit_code, business_date, outcome, detail
        from quality.night_outcome
        where outcome in ('no_delivery', 'failed', 'incomplete') and business_date <= %(d)s
    ),
    undelivered as (
        select unit_code, business_date
        from quality.unit_freshness
        where not delivered and business_date <= %(d)s
    ),
    missed as (
        select coalesce(o.unit_code, u.unit_code) as unit_code,
               coalesce(o.business_date, u.business_date) as business_date,
               o.outcome, o.detail
        from outcomes as o
        full join undelivered as u
            on o.unit_code = u.unit_code and o.business_date = u.business_date
    )
"""
    + _MISSED_TAIL
)


def _duplicates_query(units: list[str] | None) -> sql.Composable:
    where = sql.SQL("")
    if units is not None:
        where = sql.SQL(
            "where split_part(l.initiative_key, ':', 1) = any(%(units)s)"
            " or split_part(l.duplicate_of_key, ':', 1) = any(%(units)s)"
        )
    return sql.SQL("""
        select l.initiative_key, l.duplicate_of_key, l.kind, l.similarity,
               later.title as later_title, later.submitted_date as later_date,
               earlier.title as earlier_title, earlier.submitted_date as earlier_date
        from quality.duplicate_link as l
        {}
        {}
        {}
        order by l.initiative_key, l.duplicate_of_key
    """).format(
        _record_by_key("l.initiative_key", "later"),
        _record_by_key("l.duplicate_of_key", "earlier"),
        where,
    )


def _record_by_key(key: str, alias: str) -> sql.Composable:
    """A left join to the published record `key` names, looked up in its unit's
    partition (`lateral … offset 0`): the planner would otherwise hash all of
    fct_initiative for a list a thirtieth its size."""
    return sql.SQL(
        """left join lateral (
            select f.title, f.submitted_date from marts.fct_initiative as f
            where f.unit_code = split_part({key}, ':', 1) and f.initiative_key = {key}
            offset 0
        ) as {alias} on true"""
    ).format(key=sql.SQL(key), alias=sql.Identifier(alias))


_RANKING = """
    select unit_code, cumulative_valid, rank, rank_week_before, rank_change, units_ranked
    from marts.rpt_unit_ranking
    where as_of_date = %(as_of)s
    order by rank, unit_code
"""

_ATTAINMENT = """
    select unit_code, phase, target_assigned, target_registered, valid,
           pct_of_assigned, pct_of_registered
    from marts.rpt_target_attainment
"""

_PROGRESS = """
    select date, new_submitted, new_valid, cumulative_submitted, cumulative_valid,
           pct_of_target, valid_7day_avg
    from marts.rpt_programme_progress
    order by date
"""

_BREAKDOWN = """
    select dimension, value, valid, valid_benefit_vnd
    from marts.rpt_breakdown
    where as_of_date = %(as_of)s
    order by dimension, valid desc, value
"""
