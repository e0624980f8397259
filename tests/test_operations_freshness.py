"""Freshness as the alerts see it, from real landed nights; and the alerts table's grants."""

from __future__ import annotations

from datetime import date, timedelta

import psycopg
import pytest

from sangkien.night import run_night
from sangkien.operations import ensure_operations_schema
from sangkien.operations.freshness import freshness_of

from feed_builder import row, write_delivery

NIGHT = date(2022, 5, 31)


def _day(offset: int) -> date:
    return NIGHT + timedelta(days=offset)


def test_the_schema_is_applied_once_and_readable_by_the_contract_roles(
    db: psycopg.Connection,
) -> None:
    # `sangkien db bootstrap` (the fixture's) applied it: unchanged DDL, nothing runs.
    assert ensure_operations_schema(db) is False
    roles = ("sangkien_loader", "sangkien_transformer", "sangkien_analyst", "sangkien_reporter")
    privileges = db.execute(
        """select r, has_table_privilege(r, 'quality.alert', 'select'),
                  has_table_privilege(r, 'quality.alert', 'insert')
           from unnest(%s::text[]) r""",
        (list(roles),),
    ).fetchall()
    # The loader (a night's outcomes) and the transformer (the gate) raise alerts.
    assert {r: (s, i) for r, s, i in privileges} == {
        r: (True, r in ("sangkien_loader", "sangkien_transformer")) for r in roles
    }
    db.execute("drop table quality.alert")
    assert ensure_operations_schema(db) is True  # a dropped table comes back
    assert ensure_operations_schema(db) is False


@pytest.fixture
def three_units(db, landing, sources):
    for unit in ("P38", "P01", "P02"):
        sources(unit)
    write_delivery(landing, "P38", _day(0), [row(record_id="A")])
    write_delivery(landing, "P01", _day(-2), [row(record_id="B", unit_code="P01")])
    write_delivery(
        landing,
        "P01",
        _day(-1),
        [row(record_id="C", unit_code="P01")],
        manifest_overrides={"row_count": 7},
    )
    for offset in (-2, -1, 0):
        run_night(_day(offset), publish=False)
    return db


def test_freshness_says_whether_and_when_each_unit_last_delivered(three_units) -> None:
    found = {f.unit_code: f for f in freshness_of(three_units, NIGHT, ["P38", "P01", "P02"])}
    assert (found["P38"].delivered, found["P38"].days_since_delivery) == (True, 0)
    # An incomplete delivery arrived: it counts as delivered, a day ago.
    assert (found["P01"].last_delivery_date, found["P01"].days_since_delivery) == (_day(-1), 1)
    assert found["P01"].delivered is False
    assert (found["P02"].last_delivery_date, found["P02"].days_since_delivery) == (None, None)


def test_freshness_never_looks_past_its_own_night(three_units) -> None:
    found = {f.unit_code: f for f in freshness_of(three_units, _day(-2), ["P38", "P01"])}
    assert found["P38"].last_delivery_date is None
    assert found["P01"].delivered is True
