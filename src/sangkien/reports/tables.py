"""The shape every report section takes: a titled table of typed cells.

A unit's quality report is a list of `Table`s; the HTML, CSV and XLSX writers
render the same list, so the three files never disagree. Cell values keep
their type (int, `Percent`, date, datetime, Decimal, str, None) until a writer
formats them: the XLSX gets real numbers and dates, the HTML Vietnamese text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import TypeAlias


class Percent(float):
    """A ratio (0.125) that is shown as a percentage (12,50%)."""


Cell: TypeAlias = str | int | float | Decimal | date | datetime | None


@dataclass(frozen=True)
class Column:
    #: Stable key: CSV columns of different sections with the same key are one column.
    key: str
    label: str
    #: Width in the XLSX, in characters.
    width: int = 14


@dataclass
class Table:
    key: str
    title: str
    columns: tuple[Column, ...]
    rows: list[tuple[Cell, ...]] = field(default_factory=list)
    #: One sentence under the title saying what the table shows.
    intro: str = ""
    #: Shown instead of an empty table.
    empty: str = "Không có."
    #: XLSX sheet name when the title is longer than Excel's 31 characters.
    sheet: str = ""
    #: Whether the HTML heading shows the number of rows (not for summaries).
    counted: bool = True

    def column_index(self, key: str) -> int | None:
        return next((i for i, c in enumerate(self.columns) if c.key == key), None)
