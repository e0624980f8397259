"""CSV and XLSX renderings of a report's tables, safe to open in Excel.

CSV: one file, UTF-8 with a byte-order mark (so Excel picks UTF-8 and shows
Vietnamese correctly), comma separated, CRLF line ends. Its first column
"Phần" names the section; the other columns are the union of the sections'
columns (a column shared by several sections, e.g. "Ngày dữ liệu", is one
column). Dates are ISO (2022-05-31, read right by Excel in every locale),
numbers are plain, percentages are written "12.50%".

XLSX: one sheet per section, bold header row frozen, an auto-filter, column
widths set; numbers, percentages and dates are real typed cells with
Vietnamese-style number formats.

Every text cell goes through `cells.neutralise` in both formats. In the XLSX
a neutralised text is additionally forced to a string cell (never `<f>`)
with the `quotePrefix` style.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from sangkien.reports.cells import needs_neutralising, neutralise
from sangkien.reports.labels import local_datetime
from sangkien.reports.tables import Cell, Column, Percent, Table

SECTION_LABEL = "Phần"


def csv_text(value: Cell) -> str:
    """A cell as CSV text: machine-readable numbers and dates, neutralised text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Có" if value else "Không"
    if isinstance(value, Percent):
        return f"{value * 100:.2f}%"
    if isinstance(value, datetime):
        return local_datetime(value).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int | float | Decimal):
        return str(value)
    return neutralise(str(value))


def csv_columns(tables: Sequence[Table]) -> list[Column]:
    """The union of the tables' columns, by key, in order of first appearance."""
    columns: dict[str, Column] = {}
    for table in tables:
        for column in table.columns:
            known = columns.setdefault(column.key, column)
            if known.label != column.label:
                raise ValueError(
                    f"column {column.key!r} has two labels: {known.label!r}, {column.label!r}"
                )
    return list(columns.values())


def write_csv(tables: Sequence[Table], path: Path) -> None:
    columns = csv_columns(tables)
    position = {c.key: i for i, c in enumerate(columns)}
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f, lineterminator="\r\n")
        writer.writerow([SECTION_LABEL, *(c.label for c in columns)])
        for table in tables:
            slots = [position[c.key] for c in table.columns]
            for row in table.rows:
                line = [""] * len(columns)
                for slot, value in zip(slots, row, strict=True):
                    line[slot] = csv_text(value)
                writer.writerow([table.title, *line])


_HEADER_FONT = Font(bold=True, color="FFFFFF")
_HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
_WRAP = Alignment(wrap_text=True, vertical="top")
_FORMATS = {
    "int": "#,##0",
    "percent": "0.00%",
    "decimal": "0.0000",
    "date": "DD/MM/YYYY",
    "datetime": "DD/MM/YYYY HH:MM",
}
# Excel refuses sheet names longer than 31 characters or containing these.
_SHEET_FORBIDDEN = str.maketrans({c: " " for c in "[]:*?/\\"})


def _xlsx_value(value: Cell) -> tuple[object, str | None]:
    """The value to store and its number format (None: General / text)."""
    if value is None or isinstance(value, str):
        return value, None
    if isinstance(value, bool):
        return ("Có" if value else "Không"), None
    if isinstance(value, Percent):
        return float(value), _FORMATS["percent"]
    if isinstance(value, datetime):
        # Excel has no time zones: local wall-clock time, as the HTML shows it.
        return local_datetime(value).replace(tzinfo=None), _FORMATS["datetime"]
    if isinstance(value, date):
        return value, _FORMATS["date"]
    if isinstance(value, int):
        return value, _FORMATS["int"]
    return float(value), _FORMATS["decimal"]


def sheet_title(title: str, taken: set[str]) -> str:
    base = title.translate(_SHEET_FORBIDDEN).strip()[:31]
    name, n = base, 2
    while name.lower() in taken:
        suffix = f" ({n})"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(name.lower())
    return name


def write_xlsx(tables: Sequence[Table], path: Path) -> None:
    workbook = Workbook()
    workbook.remove(workbook.active)  # type: ignore[arg-type]
    taken: set[str] = set()
    for table in tables:
        sheet = workbook.create_sheet(sheet_title(table.sheet or table.title, taken))
        sheet.append([c.label for c in table.columns])
        for cell in sheet[1]:
            cell.font, cell.fill, cell.alignment = _HEADER_FONT, _HEADER_FILL, _WRAP
        for row_number, row in enumerate(table.rows, start=2):
            for column_number, value in enumerate(row, start=1):
                stored, number_format = _xlsx_value(value)
                cell = sheet.cell(row=row_number, column=column_number)
                if isinstance(stored, str):
                    # Control characters are not allowed in the XML; they carry no meaning here.
                    text = ILLEGAL_CHARACTERS_RE.sub("\N{REPLACEMENT CHARACTER}", stored)
                    cell.value = neutralise(text)
                    cell.data_type = "s"  # a string cell, never a formula
                    if needs_neutralising(text):
                        cell.quotePrefix = True
                else:
                    cell.value = stored
                    if number_format:
                        cell.number_format = number_format
        for index, column in enumerate(table.columns, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = column.width
        sheet.freeze_panes = "A2"
        if table.rows:
            last = get_column_letter(len(table.columns))
            sheet.auto_filter.ref = f"A1:{last}{len(table.rows) + 1}"
    workbook.save(path)
