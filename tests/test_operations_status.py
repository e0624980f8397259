"""`render_status` on a small warehouse with three real nights behind it."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import psycopg
import pytest

from sangkien.night import run_night
from sangkien.operations import (
    ensure_operations_schema,
    render_status,
    watch_night,
)
from sangkien.operations.notifiers import LogNotifier

from feed_builder import row, write_delivery

NIGHT = date(2022, 5, 31)
UNITS = ["P01", "P04", "P06", "P38"]


def _day(offset: int) -> date:
    return NIGHT + timedelta(days=offset)


@pytest.fixture
def three_nights(db: psycopg.Connection, landing: Path, sources) -> psycopg.Connection:
    """P38 delivers every night, P01 only on D-2, P04 never; P06's folder for D is broken."""
    for unit in UNITS:
        sources(unit)
    for offset in (-2, -1, 0):
        write_delivery(landing, "P38", _day(offset), [row(record_id=f"A{offset}")])
    write_delivery(landing, "P01", _day(-2), [row(record_id="B", unit_code="P01")])
    broken = write_delivery(landing, "P06", NIGHT, [row(unit_code="P06")])
    (broken / "manifest.json").write_text("{not json")
    ensure_operations_schema(db)
    for offset in (-2, -1, 0):
        run_night(_day(offset), publish=False)
        watch_night(db, _day(offset), UNITS, [LogNotifier()])
    return db


def _section(screen: str, label: str) -> list[str]:
    """The lines of one section: its labelled line and the indented ones under it."""
    lines = screen.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(label))
    end = next(
        (i for i in range(start + 1, len(lines)) if not lines[i].startswith(" ")), len(lines)
    )
    return [line.strip() for line in lines[start:end]]


def test_the_screen_shows_outcomes_freshness_and_alerts(three_nights: psycopg.Connection) -> None:
    screen = render_status(three_nights)  # the latest night by default
    assert screen.splitlines()[0] == f"sangkien status — night {NIGHT}"

    outcome = _section(screen, "Outcome")
    assert outcome[0].startswith("Outcome     4 units: 1 loaded, 2 no delivery, 1 failed")
    assert outcome[1] == "not loaded or unchanged:"
    assert [line.split()[:2] for line in outcome[2:]] == [
        ["P06", "failed"],  # the worst first
        ["P01", "no"],
        ["P04", "no"],
    ]
    assert "manifest" in outcome[2]

    assert _section(screen, "Freshness") == [
        f"Freshness   3 of 4 units without a delivery for {NIGHT}:",
        "P04   no delivery on record",
        "P06   no delivery on record",  # its only folder could not be read
        f"P01   2 nights (last delivery {_day(-2)})",
    ]
    assert _section(screen, "Gate") == ["Gate        not yet built"]
    assert _section(screen, "Published") == ["Published   not yet built"]

    alerts = _section(screen, "Alerts")
    # Missed: D-2 P04 P06; D-1 P01 P04 P06; D P01 P04 (P06 failed instead).
    assert alerts[0] == f"Alerts      8 from {_day(-6)} to {NIGHT}, newest night first:"
    shown = [line.split()[:3] for line in alerts[1:]]
    assert shown == [
        [str(NIGHT), "unit_failed", "P06:"],
        [str(NIGHT), "missed_delivery", "P01:"],
        [str(NIGHT), "missed_delivery", "P04:"],
        [str(_day(-1)), "missed_delivery", "P01:"],
        [str(_day(-1)), "missed_delivery", "P04:"],
        [str(_day(-1)), "missed_delivery", "P06:"],
        [str(_day(-2)), "missed_delivery", "P04:"],
        [str(_day(-2)), "missed_delivery", "P06:"],
    ]
    assert all(line.endswith("[log]") for line in alerts[1:])


def test_the_gate_decision_and_the_last_published_night(three_nights: psycopg.Connection) -> None:
    from sangkien.gate.publish import record_blocked

    # What `publish` records for a good night (it needs built models to run itself).
    three_nights.execute(
        """insert into quality.publication (business_date, published, decided_at)
           values (%s, true, '2022-05-31 01:20+07')""",
        (_day(-1),),
    )
    record_blocked(three_nights, NIGHT, ["rows_reconcile", "rank_is_dense"], ["P06"], "blocked")
    screen = render_status(three_nights)
    (gate,) = _section(screen, "Gate")
    assert gate.startswith("Gate        BLOCKED ")
    assert gate.endswith(": rows_reconcile, rank_is_dense")
    assert _section(screen, "Published") == [
        f"Published   last published night {_day(-1)} (at 2022-05-31 01:20)"
    ]

    earlier = render_status(three_nights, _day(-1))
    assert earlier.splitlines()[0] == f"sangkien status — night {_day(-1)}"
    assert _section(earlier, "Gate") == ["Gate        passed, published 2022-05-31 01:20"]
    assert _section(earlier, "Freshness")[0] == (
        f"Freshness   3 of 4 units without a delivery for {_day(-1)}:"
    )
    # No alert is shown from after the night asked for.
    assert all(str(NIGHT) not in line for line in _section(earlier, "Alerts"))

    # The night is published after all (a rerun): its latest decision counts.
    three_nights.execute(
        """insert into quality.publication (business_date, published, decided_at)
           values (%s, true, '2022-06-01 09:05+07')""",
        (NIGHT,),
    )
    screen = render_status(three_nights)
    assert _section(screen, "Gate") == ["Gate        passed, published 2022-06-01 09:05"]
    assert _section(screen, "Published") == [
        f"Published   last published night {NIGHT} (at 2022-06-01 09:05)"
    ]


def test_a_warehouse_where_nothing_ran_yet(db: psycopg.Connection) -> None:
    screen = render_status(db)
    assert screen.splitlines() == [
        "sangkien status — night (none)",
        "Outcome     no night has run yet",
        "Gate        not yet built",
        "Published   not yet built",
    ]
