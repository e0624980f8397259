"""The simulator's landing area through the real loader: every planted defect is caught.

The simulator writes a ledger of what it planted (`_simulation/defects.csv`),
line by line; the expectations below come from that ledger and the contract,
never from the loader's own output.
"""

from __future__ import annotations

import csv
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest

from sangkien.night import run_night
from sangkien.simulate import CONFIDENTIAL_MARKER, simulate

FIRST, LAST = date(2022, 5, 20), date(2022, 5, 22)
# One unit of every format and encoding (the simulator's fixed profiles) and the leader.
UNITS = ["P38", "P01", "P17", "P44", "P46", "P22", "P12", "S13", "P48", "S10", "S11"]
REJECTIONS = {
    "MISSING_REQUIRED",
    "BAD_ENUM",
    "BAD_DATE",
    "BAD_NUMBER",
    "TITLE_LENGTH",
    "UNIT_MISMATCH",
    "ENCODING_ERROR",
    "MALFORMED_ROW",
}


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, str]]]:
    out = tmp_path_factory.mktemp("feeds")
    simulate(out, FIRST, LAST, scale=0.3, seed=7, progress=False, units=UNITS)
    with open(out / "_simulation" / "defects.csv", encoding="utf-8", newline="") as f:
        return out, list(csv.DictReader(f))


@pytest.fixture
def landed(simulated, db, sources, monkeypatch):
    out, ledger = simulated
    monkeypatch.setenv("SANGKIEN_LANDING_DIR", str(out))
    for unit in UNITS:
        sources(unit)
    night = FIRST
    while night <= LAST:
        run_night(night, publish=False)
        night += timedelta(days=1)
    return db, ledger


def test_every_planted_rejection_is_reported_on_its_line(landed) -> None:
    db, ledger = landed
    incomplete = set(
        db.execute(
            "select unit_code, business_date::text from quality.delivery"
            " where status = 'incomplete'"
        ).fetchall()
    )
    planted = {
        (d["unit_code"], d["business_date"], int(d["line_number"]), d["kind"])
        for d in ledger
        if d["kind"] in REJECTIONS and (d["unit_code"], d["business_date"]) not in incomplete
    }
    reported = set(
        db.execute(
            """select q.unit_code, d.business_date::text, q.line_number, q.reason_code
           from quality.rejected_row q join quality.delivery d using (delivery_id)
           where d.status = 'loaded'"""
        ).fetchall()
    )
    assert planted, "the window should contain planted rejections"
    assert planted <= reported
    # Nothing is rejected that was not planted (one planted defect may carry more reasons).
    assert {r[:3] for r in reported} == {p[:3] for p in planted}


def test_superseded_versions_and_warnings_match_the_ledger(landed) -> None:
    db, ledger = landed
    kinds = Counter((d["unit_code"], d["business_date"], d["kind"]) for d in ledger)
    superseded = dict(
        db.execute(
            """select unit_code || ' ' || business_date, rows_superseded from quality.delivery
           where status = 'loaded'"""
        ).fetchall()
    )
    planted_repeats = 0
    for (unit, day, kind), n in kinds.items():
        if kind == "IN_DELIVERY_REPEAT" and f"{unit} {day}" in superseded:
            # A lower bound: the simulator may also send two updates of an older
            # record on one night, which the contract supersedes just the same.
            assert superseded[f"{unit} {day}"] >= n
            planted_repeats += n
    assert planted_repeats > 0
    warnings = Counter(
        db.execute(
            """select w.unit_code || ' ' || d.business_date || ' ' || w.warning_code
           from quality.warning w join quality.delivery d using (delivery_id)
           where d.status = 'loaded'"""
        ).fetchall()
    )
    for unit, day, kind in kinds:
        if kind in ("UNKNOWN_COLUMN", "NO_MANIFEST"):
            assert warnings[(f"{unit} {day} {kind}",)] == 1


def test_broken_manifests_are_incomplete_and_nothing_confidential_is_stored(landed) -> None:
    db, ledger = landed
    broken = {
        (d["unit_code"], d["business_date"])
        for d in ledger
        if d["kind"] in ("BAD_ROW_COUNT", "BAD_SHA256")
    }
    incomplete = set(
        db.execute(
            "select unit_code, business_date::text from quality.delivery"
            " where status = 'incomplete'"
        ).fetchall()
    )
    assert incomplete == broken
    leaks = db.execute(
        """select count(*) from (
               select r::text as t from raw.initiative_row r
               union all select q::text from quality.rejected_row q
               union all select w::text from quality.warning w) s
           where t like '%%' || %s || '%%'""",
        (CONFIDENTIAL_MARKER,),
    ).fetchone()[0]
    assert leaks == 0
    unbalanced = db.execute(
        """select count(*) from quality.delivery
           where rows_received <> rows_published + rows_rejected + rows_superseded"""
    ).fetchone()[0]
    assert unbalanced == 0
