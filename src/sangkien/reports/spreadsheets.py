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

import xlsxwriter
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

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


_HEADER = {
    "bold": True,
    "font_color": "#FFFFFF",
    "bg_color": "#1F4E79",
    "pattern": 1,
    "text_wrap": True,
    "valign": "top",
}
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
    # XlsxWriter, streaming rows (constant_memory): the provinces' cumulative lists
    # run to tens of thousands of rows a night, which openpyxl wrote 3-4 times slower.
    workbook = xlsxwriter.Workbook(
        str(path),
        {
            "constant_memory": True,
            # text stays text: no formula, URL or number is ever inferred from it
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    header = workbook.add_format(_HEADER)
    number_formats = {f: workbook.add_format({"num_format": f}) for f in _FORMATS.values()}
    quoted = workbook.add_format({"quote_prefix": True})
    taken: set[str] = set()
    for table in tables:
        sheet = workbook.add_worksheet(sheet_title(table.sheet or table.title, taken))
        for index, column in enumerate(table.columns):
            sheet.set_column(index, index, column.width)
        sheet.freeze_panes(1, 0)
        if table.rows:
            sheet.autofilter(0, 0, len(table.rows), len(table.columns) - 1)
        for index, column in enumerate(table.columns):
            sheet.write_string(0, index, column.label, header)
        for row_number, row in enumerate(table.rows, start=1):
            for column_number, value in enumerate(row):
                stored, number_format = _xlsx_value(value)
                if stored is None:
                    continue
                if isinstance(stored, str):
                    # Control characters are not allowed in the XML; they carry no meaning.
                    text = ILLEGAL_CHARACTERS_RE.sub("\N{REPLACEMENT CHARACTER}", stored)
                    style = quoted if needs_neutralising(text) else None
                    sheet.write_string(row_number, column_number, neutralise(text), style)
                elif isinstance(stored, date):
                    style = number_formats[number_format]  # type: ignore[index]
                    sheet.write_datetime(row_number, column_number, stored, style)
                else:
                    style = number_formats[number_format] if number_format else None
                    sheet.write_number(row_number, column_number, stored, style)  # type: ignore[arg-type]
    workbook.close()
