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
import math
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from sangkien.reports import xlsx
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


# Excel refuses sheet names longer than 31 characters or containing these.
_SHEET_FORBIDDEN = str.maketrans({c: " " for c in "[]:*?/\\"})


def xlsx_cell(value: Cell) -> xlsx.Cell | None:
    """A report value as a typed XLSX cell (None: left empty)."""
    if value is None:
        return None
    if isinstance(value, str):
        # Control characters carry no meaning in a report: shown as a visible mark.
        text = ILLEGAL_CHARACTERS_RE.sub("\N{REPLACEMENT CHARACTER}", value)
        if needs_neutralising(text):
            return xlsx.text_cell(neutralise(text), quoted=True)
        return xlsx.text_cell(text)
    if isinstance(value, bool):
        return xlsx.text_cell("Có" if value else "Không")
    if isinstance(value, Percent):
        return _number(float(value), "percent")
    if isinstance(value, datetime):
        # Excel has no time zones: local wall-clock time, as the HTML shows it.
        return _number(xlsx.serial(local_datetime(value).replace(tzinfo=None)), "datetime")
    if isinstance(value, date):
        return _number(xlsx.serial(value), "date")
    if isinstance(value, int):
        return xlsx.number_cell(value, xlsx.NUMBER_STYLES["int"])
    return _number(float(value), "decimal")


def _number(number: float, kind: str) -> xlsx.Cell | None:
    # A spreadsheet has no NaN or infinity: such a ratio is shown empty, like a missing one.
    if not math.isfinite(number):
        return None
    return xlsx.number_cell(number, xlsx.NUMBER_STYLES[kind])


def sheet_title(title: str, taken: set[str]) -> str:
    base = title.translate(_SHEET_FORBIDDEN).strip()[:31]
    name, n = base, 2
    while name.lower() in taken:
        suffix = f" ({n})"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(name.lower())
    return name


def write_xlsx(tables: Sequence[Table], path: Path) -> None:
    taken: set[str] = set()
    xlsx.write_workbook(
        [
            xlsx.Sheet(
                name=sheet_title(table.sheet or table.title, taken),
                widths=[column.width for column in table.columns],
                header=[column.label for column in table.columns],
                rows=([xlsx_cell(value) for value in row] for row in table.rows),
                row_count=len(table.rows),
            )
            for table in tables
        ],
        path,
    )
