"""The reports on the real path: feeds landed by the loader, marts built by dbt.

The only reports test that runs dbt (about 20 s): it checks that the queries
agree with the tables the models really build, and that what the loader
records (line numbers, reasons, warnings, incomplete deliveries) and what dbt
derives (duplicate links, freshness, ranking) reaches the unit reports.
"""

from __future__ import annotations

import re
from datetime import date

import openpyxl
import pytest

from sangkien.landing.unit_night import land_unit_night
from sangkien.registry import Source
from sangkien.reports import write_reports
from sangkien.transform import build_models

from feed_builder import row, write_delivery

D = date(2022, 6, 1)
TITLE = "Cải tiến dây chuyền đóng gói sản phẩm tự động cho phân xưởng"


def _sheet(path, title: str) -> list[tuple]:  # type: ignore[no-untyped-def, type-arg]
    return list(openpyxl.load_workbook(path)[title].iter_rows(min_row=2, values_only=True))


@pytest.mark.slow
def test_landed_and_modelled_data_reaches_the_reports(db, landing, warehouse_dsn, tmp_path) -> None:
    write_delivery(
        landing,
        "P38",
        "2022-05-31",
        [
            row(record_id="R1", title=TITLE, submitted_at="2022-05-20T08:00:00+07:00"),
            row(record_id="R2", title="x"),
            row(record_id="R3", field="bogus"),
            row(record_id="R4", title=TITLE + "n", submitted_at="2022-05-25T08:00:00+07:00"),
        ],
    )
    write_delivery(landing, "P38", D, [row(record_id="R5", title="Sổ tay an toàn lao động")])
    write_delivery(
        landing,
        "P01",
        D,
        [
            row(
                record_id="Z1",
                unit_code="P01",
                title=TITLE,
                submitted_at="2022-05-30T08:00:00+07:00",
            )
        ],
        manifest=False,
    )
    write_delivery(
        landing,
        "S05",
        D,
        [row(record_id="X1", unit_code="S05")],
        manifest_overrides={"row_count": 7},
    )
    for unit in ("P38", "P01", "S05"):
        land_unit_night(db, Source(unit), D, landing)
    build_models(warehouse_dsn)

    index = write_reports(warehouse_dsn, D, tmp_path)

    assert len(index.units) == 82
    p38, p01, s05 = (index.units[u].xlsx for u in ("P38", "P01", "S05"))
    rejected = {(r[2], r[4]) for r in _sheet(p38, "Dòng bị từ chối")}
    assert rejected == {(2, "TITLE_LENGTH"), (3, "BAD_ENUM")}
    assert ("R1", "P01:Z1") in {(r[0], r[4]) for r in _sheet(p38, "Trùng lặp")}
    assert ("Z1", "P38:R1") in {(r[0], r[4]) for r in _sheet(p01, "Trùng lặp")}
    suspected = {(r[0], r[4]): r[-1] for r in _sheet(p38, "Nghi trùng lặp")}
    assert suspected.keys() == {("R4", "P38:R1")}
    assert 0.85 <= suspected[("R4", "P38:R1")] < 1
    assert "NO_MANIFEST" in {r[3] for r in _sheet(p01, "Cảnh báo")}
    incomplete = _sheet(s05, "Lần gửi không đầy đủ, bị lỗi")
    assert len(incomplete) == 1 and "row_count" in incomplete[0][3]
    # unit_freshness (built by dbt) knows every night S05 has not delivered.
    assert len(_sheet(s05, "Đêm không gửi dữ liệu")) == (D - date(2022, 1, 8)).days + 1

    national = index.national.read_text("utf-8")
    assert re.findall(r'<tr data-unit="(\w+)" data-rank="1">', national) == ["P38"]
    assert set(re.findall(r'<tr data-late="(\w+)">', national)) == set(index.units) - {"P38", "P01"}
