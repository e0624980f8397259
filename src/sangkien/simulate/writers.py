"""Serialising a delivery: the data file (CSV, JSON or XLSX) and its manifest.

Owns the byte-exact rendering (deterministic, including XLSX zip metadata), the
MALFORMED_ROW line shapes, and the manifest of contract §1.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import zipfile
from collections.abc import Sequence
from datetime import date, datetime

from .encodings import encode_text
from .formatting import is_true
from .profiles import CSV, JSON, XLSX, Profile
from .rows import Row

DATA_FILES = {CSV: "initiatives.csv", JSON: "initiatives.json", XLSX: "initiatives.xlsx"}
MANIFEST = "manifest.json"

_CLEAN_NUMBER = re.compile(r"\d{1,3}(?:([., ])\d{3})?(?:\1\d{3})*$|\d+$")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}$")
_DMY_DATE = re.compile(r"\d{2}/\d{2}/\d{4}$")
_NEEDS_QUOTES = re.compile(r'[",\r\n]')


def _quote(value: str) -> str:
    if _NEEDS_QUOTES.search(value):
        return '"' + value.replace('"', '""') + '"'
    return value


def _malformed_line(values: list[str], columns: Sequence[str], variant: str, eol: str) -> str:
    """A CSV record with the wrong number of fields, as a buggy exporter writes it."""
    cells = [_quote(v) for v in values]
    title_at = columns.index("title")
    if variant == "missing_field":
        victim = next(
            (columns.index(c) for c in ("award", "grassroots_union", "author_ids")
             if c in columns), len(cells) - 1,
        )  # fmt: skip
        del cells[victim]
    elif variant == "unquoted_comma":
        effect_at = columns.index("effect_summary")
        cells[effect_at] = values[effect_at].replace('"', "") + ", có xác nhận của đơn vị"
    else:  # unescaped_quote: inner quotes not doubled, followed by a comma
        head, _, tail = values[title_at].partition(" ")
        cells[title_at] = f'"{head} "mới", {tail}"'
    return ",".join(cells) + eol


def render_csv(columns: Sequence[str], rows: list[Row], prof: Profile) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator=prof.line_terminator)
    writer.writerow(columns)
    bad: list[bytes] = []
    for row in rows:
        values = [row.values.get(c, "") for c in columns]
        if row.malformed:
            buf.write(_malformed_line(values, columns, row.malformed, prof.line_terminator))
        else:
            writer.writerow(values)
        if row.bad_bytes:
            bad.append(row.bad_bytes)
    return encode_text(buf.getvalue(), prof.encoding, bad)


def _json_value(column: str, value: str, native: bool) -> str | int | bool | None:
    if not native:
        return value
    if value == "":
        return None
    if column in ("is_confidential", "is_deleted"):
        return is_true(value)
    if column == "benefit_vnd" and _CLEAN_NUMBER.match(value):
        return int(re.sub(r"[., ]", "", value))
    return value


def render_json(columns: Sequence[str], rows: list[Row], prof: Profile, form: str) -> bytes:
    objects = []
    for row in rows:
        # A tombstone carries only its identifying keys.
        keys = [c for c in columns if c in row.values] if row.is_tombstone else list(columns)
        obj = {k: _json_value(k, row.values.get(k, ""), prof.json_native) for k in keys}
        if prof.json_native:  # a real API leaves unknown optional values out
            obj = {k: v for k, v in obj.items() if v is not None or k in ("summary", "award")}
        objects.append(json.dumps(obj, ensure_ascii=False))
    body = "[\n" + ",\n".join(objects) + "\n]" if objects else "[]"
    if form == "records":
        body = '{"records": ' + body + "}"
    return (body + "\n").encode("utf-8")


def _xlsx_value(column: str, value: str, prof: Profile) -> str | int | date | None:
    if value == "":
        return None
    if column == "benefit_vnd" and _CLEAN_NUMBER.match(value):
        return int(re.sub(r"[., ]", "", value))  # Excel users type amounts as numbers
    if column == "applied_on" and prof.xlsx_date_cells:
        try:  # a real date cell; an impossible date (a planted BAD_DATE) stays text
            if _ISO_DATE.match(value):
                return date.fromisoformat(value)
            if _DMY_DATE.match(value):
                day, month, year = value.split("/")
                return date(int(year), int(month), int(day))
        except ValueError:
            return value
    return value


_ZIP_EPOCH = (2022, 1, 1, 0, 0, 0)


def render_xlsx(columns: Sequence[str], rows: list[Row], prof: Profile, stamp: datetime) -> bytes:
    # Imported here: openpyxl is slow to import and only a few units deliver XLSX.
    from openpyxl import Workbook
    from openpyxl.writer.excel import ExcelWriter

    wb = Workbook(write_only=True)
    wb.properties.creator = f"{prof.unit} export"
    wb.properties.created = wb.properties.modified = stamp  # not the wall clock
    ws = wb.create_sheet("initiatives")
    ws.append(list(columns))
    for row in rows:
        ws.append([_xlsx_value(c, row.values.get(c, ""), prof) for c in columns])
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(wb, archive).save()
    # Rewrite the archive with fixed entry timestamps so the bytes are reproducible.
    out = io.BytesIO()
    with (
        zipfile.ZipFile(raw) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=_ZIP_EPOCH)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()


def manifest_bytes(
    unit: str,
    business_date: date,
    file_name: str,
    encoding: str | None,
    row_count: int,
    sha256: str,
    generated_at: datetime,
) -> bytes:
    manifest: dict[str, object] = {
        "schema_version": 1,
        "unit_code": unit,
        "business_date": business_date.isoformat(),
        "file": file_name,
    }
    if encoding is not None:
        manifest["encoding"] = encoding
    manifest.update(
        row_count=row_count,
        sha256=sha256,
        generated_at=generated_at.strftime("%Y-%m-%dT%H:%M:%S+07:00"),
    )
    return (json.dumps(manifest, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
