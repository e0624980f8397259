"""Writes delivery folders for tests: rows in, a contract-shaped folder out.

`write_delivery` produces `<landing>/<unit>/<date>/initiatives.<fmt>` and a
manifest that matches it (unless told to break it), so each test states only
the rows and the defect it is about.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import date
from pathlib import Path
from typing import Any

from sangkien.feeds.contract import COLUMNS

# A valid record; tests override the fields they are about.
BASE_ROW: dict[str, str] = {
    "record_id": "R1",
    "unit_code": "P38",
    "grassroots_union": "CĐCS Trường THPT Hàm Rồng",
    "title": "Giải pháp nâng cao hiệu quả giảng dạy",
    "solution_type": "technical",
    "field": "production_business",
    "participant_group": "public_service_unit",
    "authors": "Nguyễn Văn An;Lê Thị Bình",
    "author_ids": "M001;M002",
    "summary": "Tóm tắt nội dung",
    "effect_summary": "Tiết kiệm thời gian",
    "benefit_vnd": "1.500.000",
    "applied_on": "2022-03-01",
    "recognized_by": "Hội đồng sáng kiến cơ sở",
    "recognition_level": "grassroots",
    "award": "",
    "is_confidential": "false",
    "review_status": "valid",
    "submitted_at": "2022-05-31T21:04:00+07:00",
    "updated_at": "",
    "is_deleted": "",
}


def row(**overrides: str) -> dict[str, str]:
    """A valid record with some fields replaced."""
    return {**BASE_ROW, **overrides}


def csv_bytes(rows: list[dict[str, str]], columns: list[str] | None = None) -> str:
    columns = columns or list(COLUMNS)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for r in rows:
        writer.writerow([r.get(c, "") for c in columns])
    return out.getvalue()


def write_delivery(
    landing: Path,
    unit: str,
    business_date: date | str,
    rows: list[dict[str, Any]],
    *,
    fmt: str = "csv",
    encoding: str = "utf-8",
    manifest: bool = True,
    manifest_overrides: dict[str, Any] | None = None,
    data: bytes | None = None,
    columns: list[str] | None = None,
) -> Path:
    """Write one delivery folder; `data` replaces the generated file bytes verbatim."""
    day = business_date if isinstance(business_date, str) else business_date.isoformat()
    folder = landing / unit / day
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("initiatives.*"):
        old.unlink()
    name = f"initiatives.{fmt}"
    if data is None:
        if fmt == "csv":
            data = csv_bytes(rows, columns).encode(encoding)
        elif fmt == "json":
            data = json.dumps(rows, ensure_ascii=False).encode("utf-8")
        elif fmt == "xlsx":
            data = xlsx_bytes(rows, columns)
        else:
            raise ValueError(fmt)
    (folder / name).write_bytes(data)
    manifest_path = folder / "manifest.json"
    if manifest:
        content = {
            "schema_version": 1,
            "unit_code": unit,
            "business_date": day,
            "file": name,
            "encoding": encoding,
            "row_count": len(rows),
            "sha256": hashlib.sha256(data).hexdigest(),
            "generated_at": f"{day}T23:30:00+07:00",
        }
        content.update(manifest_overrides or {})
        manifest_path.write_text(json.dumps(content), encoding="utf-8")
    elif manifest_path.exists():
        manifest_path.unlink()
    return folder


def xlsx_bytes(rows: list[dict[str, Any]], columns: list[str] | None = None) -> bytes:
    import openpyxl

    columns = columns or list(COLUMNS)
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(columns)
    for r in rows:
        sheet.append([r.get(c, "") for c in columns])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
