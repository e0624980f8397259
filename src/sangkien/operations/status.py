"""`sangkien status`: one screen on the state of the pipeline, read from the warehouse.

Last night's outcome per unit (counts, and the units neither loaded nor unchanged),
freshness (units without a delivery for the night, and for how long), the quality
gate's decision and the last published night (`quality.publication`, "not yet built"
while the gate has written nothing), and the recent alerts. Read-only: it works for a
reader role and on a warehouse where some tables do not exist yet.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sangkien.operations.alerts import KINDS
from sangkien.operations.freshness import freshness_of

if TYPE_CHECKING:
    import psycopg

OUTCOMES = ("loaded", "unchanged", "no_delivery", "incomplete", "failed")
ALERT_NIGHTS = 7  # alerts of this many nights up to the one shown
ALERT_LINES = 10
_INDENT = " " * 14


def render_status(conn: psycopg.Connection, business_date: date | None = None) -> str:
    """The status screen for `business_date` (default: the latest night with outcomes)."""
    night = business_date or _latest_night(conn)
    lines = [f"sangkien status — night {night or '(none)'}"]
    if night is None:
        lines.append(_row("Outcome", "no night has run yet"))
    else:
        lines += _outcome(conn, night)
        lines += _freshness(conn, night)
    lines += _publication(conn, night)
    if night is not None:
        lines += _alerts(conn, night)
    return "\n".join(lines)


def _row(label: str, text: str) -> str:
    return f"{label:<12}{text}"


def _scalar(conn: psycopg.Connection, sql: str, *params: object) -> Any:
    row = conn.execute(sql, params).fetchone()  # type: ignore[arg-type]
    return row[0] if row else None


def _exists(conn: psycopg.Connection, table: str) -> bool:
    return bool(_scalar(conn, "select to_regclass(%s) is not null", table))


def _latest_night(conn: psycopg.Connection) -> date | None:
    if not _exists(conn, "quality.night_outcome"):
        return None
    return _scalar(conn, "select max(business_date) from quality.night_outcome")


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else "?"


def _outcome(conn: psycopg.Connection, night: date) -> list[str]:
    rows = conn.execute(
        """select unit_code, outcome, detail, recorded_at from quality.night_outcome
           where business_date = %s order by unit_code""",
        (night,),
    ).fetchall()
    if not rows:
        return [_row("Outcome", f"no outcome recorded for {night}")]
    counts = {o: sum(1 for r in rows if r[1] == o) for o in OUTCOMES}
    summary = ", ".join(f"{n} {o.replace('_', ' ')}" for o, n in counts.items() if n)
    last = max(r[3] for r in rows)
    lines = [_row("Outcome", f"{len(rows)} units: {summary} (recorded {_when(last)})")]
    attention = [r for r in rows if r[1] not in ("loaded", "unchanged")]
    if attention:
        lines.append(f"{_INDENT}not loaded or unchanged:")
        order = {o: i for i, o in enumerate(reversed(OUTCOMES))}  # failed first
        for unit, outcome, detail, _ in sorted(attention, key=lambda r: (order[r[1]], r[0])):
            text = f"{_INDENT}  {unit:<5} {outcome.replace('_', ' '):<12}"
            lines.append((text + f" {(detail or '')[:80]}").rstrip())
    return lines


def _freshness(conn: psycopg.Connection, night: date) -> list[str]:
    # The units that ran that night, with the alerts' definition of a delivery.
    units = [
        r[0]
        for r in conn.execute(
            "select unit_code from quality.night_outcome where business_date = %s", (night,)
        )
    ]
    found = sorted(
        freshness_of(conn, night, units),
        key=lambda f: (
            -(f.days_since_delivery if f.days_since_delivery is not None else 10**6),
            f.unit_code,
        ),
    )
    rows = [(f.unit_code, f.last_delivery_date, f.days_since_delivery, f.delivered) for f in found]
    if not rows:
        return [_row("Freshness", f"not recorded for {night}")]
    late = [r for r in rows if not r[3]]
    if not late:
        return [_row("Freshness", f"all {len(rows)} units delivered for {night}")]
    lines = [_row("Freshness", f"{len(late)} of {len(rows)} units without a delivery for {night}:")]
    for unit, last, days, _ in late:
        since = (
            "no delivery on record"
            if last is None
            else f"{days} night{'s' if days != 1 else ''} (last delivery {last})"
        )
        lines.append(f"{_INDENT}  {unit:<5} {since}")
    return lines


# The gate (sangkien.gate.publish) keeps one row per decision: `publication_id`,
# `decided_at`. Read through to_jsonb so that a table with one row per night and a
# `published_at` column reads the same.
_DECISIONS = """
    select business_date, published, failed_checks,
           coalesce(j->>'published_at', j->>'decided_at')::timestamptz as decided_at
    from quality.publication p, to_jsonb(p) j
    where {where}
    order by {order}, (j->>'publication_id')::bigint desc nulls last, decided_at desc nulls last
    limit 1
"""


def _publication(conn: psycopg.Connection, night: date | None) -> list[str]:
    if not _exists(conn, "quality.publication") or not _scalar(
        conn, "select exists (select from quality.publication)"
    ):
        return [_row("Gate", "not yet built"), _row("Published", "not yet built")]
    decision = conn.execute(
        _DECISIONS.format(where="business_date = %s", order="business_date"), (night,)
    ).fetchone()
    if decision is None:
        gate = f"no decision recorded for {night}"
    elif decision[1]:
        gate = f"passed, published {_when(decision[3])}"
    else:
        gate = f"BLOCKED {_when(decision[3])}: {', '.join(decision[2]) or 'no check named'}"
    last = conn.execute(_DECISIONS.format(where="published", order="business_date desc")).fetchone()
    published = f"{last[0]} (at {_when(last[3])})" if last else "nothing published yet"
    return [_row("Gate", gate), _row("Published", f"last published night {published}")]


def _alerts(conn: psycopg.Connection, night: date) -> list[str]:
    if not _exists(conn, "quality.alert"):
        return [_row("Alerts", "not set up yet")]
    since = night - timedelta(days=ALERT_NIGHTS - 1)
    rows = conn.execute(
        """select business_date, kind, unit_code, message, channels, sent_at
           from quality.alert where business_date between %s and %s
           order by business_date desc, array_position(%s, kind), unit_code""",
        (since, night, list(KINDS)),
    ).fetchall()
    if not rows:
        return [_row("Alerts", f"none from {since} to {night}")]
    lines = [_row("Alerts", f"{len(rows)} from {since} to {night}, newest night first:")]
    for day, kind, _unit, message, channels, sent_at in rows[:ALERT_LINES]:
        where = ", ".join(channels) if sent_at else "NOT SENT"
        lines.append(f"{_INDENT}  {day} {kind:<19} {message[:90]} [{where}]")
    if len(rows) > ALERT_LINES:
        lines.append(f"{_INDENT}  … and {len(rows) - ALERT_LINES} more (quality.alert)")
    return lines
