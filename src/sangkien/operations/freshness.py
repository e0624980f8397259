"""Freshness for the alerts: did each unit deliver for the night, and since when not.

Computed on demand from `quality.delivery` (the published table
`quality.unit_freshness` is a dbt model with the same definition of a delivery):

- `last_delivery_date`: the latest business date ≤ the night for which the unit has a
  `loaded` or `incomplete` delivery (an incomplete delivery arrived, it just could not
  be published: the unit did deliver);
- `delivered`: whether that date is the night itself;
- `days_since_delivery`: night − `last_delivery_date` (0 when delivered, null when the
  unit never delivered);
- `delivery_status`: the night's own delivery (`loaded`, else the latest attempt:
  `incomplete` or `failed`), null when there was no folder for the night.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import psycopg

# Deliveries that count as "the unit delivered for that date".
DELIVERED_STATUSES = ("loaded", "incomplete")

_FRESHNESS_SQL = """
    select u.unit_code, last.last_delivery_date, night.status
    from unnest(%(units)s::text[]) as u (unit_code)
    left join lateral (
        select max(d.business_date) as last_delivery_date
        from quality.delivery d
        where d.unit_code = u.unit_code and d.business_date <= %(night)s
          and d.status = any(%(delivered)s)
    ) last on true
    left join lateral (
        select d.status
        from quality.delivery d
        where d.unit_code = u.unit_code and d.business_date = %(night)s
        order by d.status = 'loaded' desc, d.delivery_id desc
        limit 1
    ) night on true
    order by u.unit_code
"""


@dataclass(frozen=True)
class Freshness:
    unit_code: str
    business_date: date
    last_delivery_date: date | None
    delivery_status: str | None

    @property
    def delivered(self) -> bool:
        return self.last_delivery_date == self.business_date

    @property
    def days_since_delivery(self) -> int | None:
        if self.last_delivery_date is None:
            return None
        return (self.business_date - self.last_delivery_date).days


def freshness_of(
    conn: psycopg.Connection, business_date: date, unit_codes: list[str]
) -> list[Freshness]:
    """Each unit's freshness for the night, computed now from `quality.delivery`."""
    rows = conn.execute(
        _FRESHNESS_SQL,
        {"units": list(unit_codes), "night": business_date, "delivered": list(DELIVERED_STATUSES)},
    ).fetchall()
    return [Freshness(unit, business_date, last, status) for unit, last, status in rows]
