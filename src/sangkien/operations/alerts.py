"""Alerts: a few deterministic rules over what the night recorded, sent once, kept as data.

Rules (evaluated by `evaluate_night_alerts` for one business date D, over the units
that have a `quality.night_outcome` row for D — every registry unit, once the night's
summary ran):

- `unit_failed`: the unit's outcome is `failed` (unreadable folder, API pull failed…).
- `delivery_incomplete`: the unit's outcome is `incomplete` (a delivery was refused
  whole because it disagrees with its manifest; the unit must deliver it again).
- `missed_delivery`: no delivery at all is recorded for D (no folder), and the unit did
  not fail (then we cannot tell; `unit_failed` already speaks). The message counts the
  nights in a row: D − the last date with a loaded/incomplete delivery, or, for a unit
  that never delivered, the nights since its first recorded night.
- `volume_jump` / `volume_collapse`: the rows received in D's loaded delivery against
  the median of the unit's previous `VOLUME_WINDOW` (14) loaded deliveries: more than
  `VOLUME_JUMP_FACTOR` (5×) or less than `VOLUME_COLLAPSE_FACTOR` (0.2×). Quiet unless
  the unit has at least `VOLUME_MIN_HISTORY` (7) earlier deliveries, and unless tonight
  or the median reaches `VOLUME_MIN_ROWS` (100): a unit going from 4 rows to 30 is noise.
  A catch-up delivery after a 1–3 night outage stays under 5× by construction.
- `night_failed`: the run itself failed (`night_failed_alert`, from the DAG's failure
  callback), or no unit recorded an outcome for D.
- `gate_blocked`: the quality gate refused to publish (`gate_blocked_alert`).

Sending (`raise_alerts`): all of a night's alerts go out as one batch per channel (one
e-mail, one webhook call). An alert already sent with the same message — a rerun of the
night — is not sent again; one whose message changed, or that no channel accepted, is.
Every alert raised is kept in `quality.alert` with when and where it was sent.
"""

from __future__ import annotations

import logging
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from sangkien.operations.freshness import freshness_of

if TYPE_CHECKING:
    import psycopg

    from sangkien.operations.notifiers import Notifier

log = logging.getLogger(__name__)

VOLUME_WINDOW = 14
VOLUME_MIN_HISTORY = 7
VOLUME_JUMP_FACTOR = 5.0
VOLUME_COLLAPSE_FACTOR = 0.2
VOLUME_MIN_ROWS = 100

#: Every kind, most urgent first, with the title shown in messages and the runbook.
KINDS: dict[str, str] = {
    "night_failed": "Night failed",
    "gate_blocked": "Publication blocked",
    "unit_failed": "Unit failed",
    "delivery_incomplete": "Incomplete delivery",
    "missed_delivery": "Missed delivery",
    "volume_collapse": "Volume collapse",
    "volume_jump": "Volume jump",
}
RUNBOOK = "docs/runbook.md"


@dataclass(frozen=True)
class Alert:
    business_date: date
    kind: str
    message: str
    unit_code: str | None = None
    details: dict[str, Any] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown alert kind {self.kind!r}")

    @property
    def key(self) -> tuple[date, str, str | None]:
        return (self.business_date, self.kind, self.unit_code)

    def as_dict(self) -> dict[str, Any]:
        return {
            "business_date": self.business_date.isoformat(),
            "kind": self.kind,
            "title": KINDS[self.kind],
            "unit_code": self.unit_code,
            "message": self.message,
            "details": self.details,
        }


# -- rules -----------------------------------------------------------------


def volume_verdict(rows_tonight: int, history: Sequence[int]) -> str | None:
    """`volume_jump`, `volume_collapse` or None, by the rule in this module's docstring."""
    if len(history) < VOLUME_MIN_HISTORY:
        return None
    baseline = statistics.median(history)
    if max(rows_tonight, baseline) < VOLUME_MIN_ROWS:
        return None
    if rows_tonight > VOLUME_JUMP_FACTOR * baseline:
        return "volume_jump"
    if rows_tonight < VOLUME_COLLAPSE_FACTOR * baseline:
        return "volume_collapse"
    return None


def evaluate_night_alerts(conn: psycopg.Connection, business_date: date) -> list[Alert]:
    """The night's alerts, most urgent first; reads the warehouse, writes nothing."""
    outcomes = {
        unit: (outcome, detail)
        for unit, outcome, detail in conn.execute(
            """select unit_code, outcome, detail from quality.night_outcome
               where business_date = %s order by unit_code""",
            (business_date,),
        )
    }
    if not outcomes:
        return [night_failed_alert(business_date, "no unit recorded an outcome for the night")]
    from sangkien.warehouse.connection import redact

    units = list(outcomes)
    alerts: list[Alert] = []
    for unit, (outcome, raw_detail) in outcomes.items():
        # Details quote the loader's errors: no password may ride along into an alert.
        detail = redact(raw_detail) if raw_detail else None
        if outcome == "failed":
            alerts.append(
                Alert(
                    business_date,
                    "unit_failed",
                    f"{unit}: landing failed for {business_date}: {detail or 'no detail'}",
                    unit,
                    {"detail": detail},
                )
            )
        elif outcome == "incomplete":
            alerts.append(
                Alert(
                    business_date,
                    "delivery_incomplete",
                    f"{unit}: a delivery was refused whole (not published): "
                    f"{detail or 'no detail'}",
                    unit,
                    {"detail": detail},
                )
            )
    alerts += _missed_deliveries(conn, business_date, units, outcomes)
    alerts += _volume_changes(conn, business_date, units)
    order = list(KINDS)
    return sorted(alerts, key=lambda a: (order.index(a.kind), a.unit_code or ""))


def _missed_deliveries(
    conn: psycopg.Connection,
    business_date: date,
    units: list[str],
    outcomes: dict[str, tuple[str, str | None]],
) -> list[Alert]:
    missing = [
        f
        for f in freshness_of(conn, business_date, units)
        if f.delivery_status is None and outcomes[f.unit_code][0] != "failed"
    ]
    if not missing:
        return []
    first_nights = dict(
        conn.execute(
            """select unit_code, min(business_date) from quality.night_outcome
               where unit_code = any(%s) and business_date <= %s group by unit_code""",
            ([f.unit_code for f in missing], business_date),
        ).fetchall()
    )
    alerts = []
    for f in missing:
        if f.last_delivery_date is not None:
            nights = (business_date - f.last_delivery_date).days
            since = f"last delivery {f.last_delivery_date}"
        else:
            first = first_nights.get(f.unit_code, business_date)
            nights = (business_date - first).days + 1
            since = f"no delivery on record since its first night {first}"
        alerts.append(
            Alert(
                business_date,
                "missed_delivery",
                f"{f.unit_code}: no delivery for {business_date} — "
                f"{nights} night{'s' if nights != 1 else ''} in a row ({since})",
                f.unit_code,
                {
                    "nights_in_a_row": nights,
                    "last_delivery_date": f.last_delivery_date and f.last_delivery_date.isoformat(),
                },
            )
        )
    return alerts


def _volume_changes(conn: psycopg.Connection, business_date: date, units: list[str]) -> list[Alert]:
    rows = conn.execute(
        """select t.unit_code, t.rows_received, h.history
           from quality.delivery t
           cross join lateral (
               select coalesce(array_agg(p.rows_received), '{}') as history
               from (select rows_received from quality.delivery p
                     where p.unit_code = t.unit_code and p.status = 'loaded'
                       and p.business_date < t.business_date
                     order by p.business_date desc limit %(window)s) p
           ) h
           where t.business_date = %(night)s and t.status = 'loaded'
             and t.unit_code = any(%(units)s)
           order by t.unit_code""",
        {"night": business_date, "units": units, "window": VOLUME_WINDOW},
    ).fetchall()
    alerts = []
    for unit, tonight, history in rows:
        kind = volume_verdict(tonight, history)
        if kind is None:
            continue
        baseline = statistics.median(history)
        ratio = f"{tonight / baseline:.2g}×" if baseline else "∞×"
        alerts.append(
            Alert(
                business_date,
                kind,
                f"{unit}: {tonight:,} rows received for {business_date}, {ratio} the median "
                f"({baseline:,g}) of its last {len(history)} delivered nights",
                unit,
                {"rows_received": tonight, "median": baseline, "nights": len(history)},
            )
        )
    return alerts


def gate_blocked_alert(business_date: date, failed_checks: list[str], units: list[str]) -> Alert:
    """The quality gate refused to publish the night: marts keep the last good state."""
    checks = ", ".join(failed_checks) or "unnamed checks"
    where = f"; units concerned: {', '.join(sorted(units))}" if units else ""
    return Alert(
        business_date,
        "gate_blocked",
        f"publication of {business_date} blocked: {len(failed_checks)} failing check"
        f"{'s' if len(failed_checks) != 1 else ''} ({checks}){where}. "
        "The published tables keep the last good night.",
        None,
        {"failed_checks": list(failed_checks), "units": sorted(units)},
    )


def night_failed_alert(business_date: date, reason: str) -> Alert:
    """The night's run failed as a whole (not one unit)."""
    return Alert(business_date, "night_failed", f"the night {business_date} failed: {reason}", None)


# -- sending and recording -------------------------------------------------


def _headline(alerts: Sequence[Alert]) -> str:
    nights = sorted({a.business_date for a in alerts})
    when = f"night {nights[0]}" if len(nights) == 1 else f"nights {nights[0]}–{nights[-1]}"
    counts = Counter(a.kind for a in alerts)
    parts = ", ".join(f"{counts[k]} {KINDS[k].lower()}" for k in KINDS if counts[k])
    return f"{when}: {len(alerts)} alert{'s' if len(alerts) != 1 else ''} ({parts})"


def subject_of(alerts: Sequence[Alert]) -> str:
    """E.g. `[sangkien] night 2022-05-31: 2 alerts (1 unit failed, 1 missed delivery)`."""
    return f"[sangkien] {_headline(alerts)}"


def render_text(alerts: Sequence[Alert]) -> str:
    """The plain-text body shared by the e-mail and the webhook's `text`."""
    headline = _headline(alerts)
    lines = [headline[:1].upper() + headline[1:], ""]
    for kind, title in KINDS.items():
        of_kind = [a for a in alerts if a.kind == kind]
        if of_kind:
            anchor = title.lower().replace(" ", "-")
            lines.append(f"{title} ({len(of_kind)}) — what to do: {RUNBOOK}#{anchor}")
            lines += [f"  - {a.message}" for a in of_kind]
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def send_alerts(alerts: Sequence[Alert], notifiers: Sequence[Notifier]) -> list[str]:
    """Send the batch through every channel; return the channels that accepted it.

    Never raises: a channel that fails is logged (without secrets) and skipped, so
    alerting can never break the night it reports on."""
    if not alerts:
        return []
    delivered = []
    for notifier in notifiers:
        try:
            notifier.send(alerts)
        except Exception as exc:
            from sangkien.operations.notifiers import scrub

            log.error(
                "alert channel %s failed (%d alerts not sent there): %s: %s",
                notifier.name,
                len(alerts),
                type(exc).__name__,
                scrub(str(exc), notifier),
            )
        else:
            delivered.append(notifier.name)
    return delivered


def raise_alerts(
    conn: psycopg.Connection,
    alerts: Sequence[Alert],
    notifiers: Sequence[Notifier] | None = None,
) -> list[Alert]:
    """Send what was not sent yet, record everything in `quality.alert`; return the sent.

    `notifiers` defaults to `notifiers_from_env()`."""
    from psycopg.types.json import Jsonb

    if not alerts:
        return []
    sent_before = {
        (day, kind, unit): message
        for day, kind, unit, message in conn.execute(
            """select business_date, kind, unit_code, message from quality.alert
               where sent_at is not null and business_date = any(%s)""",
            (sorted({a.business_date for a in alerts}),),
        )
    }
    fresh = [a for a in alerts if sent_before.get(a.key) != a.message]
    if not fresh:
        return []
    if notifiers is None:
        from sangkien.operations.notifiers import notifiers_from_env

        notifiers = notifiers_from_env()
    channels = send_alerts(fresh, notifiers)
    with conn.transaction(), conn.cursor() as cur:
        cur.executemany(
            """insert into quality.alert as a (business_date, kind, unit_code, message, details,
                   sent_at, channels)
               values (%s, %s, %s, %s, %s, case when %s then now() end, %s)
               on conflict (business_date, kind, coalesce(unit_code, '')) do update set
                   message = excluded.message, details = excluded.details,
                   raised_at = now(), sent_at = excluded.sent_at, channels = excluded.channels""",
            [
                (
                    a.business_date,
                    a.kind,
                    a.unit_code,
                    a.message,
                    Jsonb(a.details),
                    bool(channels),
                    channels,
                )
                for a in fresh
            ],
        )
    return fresh if channels else []
