"""HTML rendering: Jinja2 templates in `templates/`, autoescaped, with Vietnamese filters.

Pages are self-contained: the stylesheet is inlined, charts are inline SVG,
there is no script and no reference to anything outside the reports folder,
so a page opens the same from a file share, an e-mail or a web server.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from sangkien.reports.labels import (
    vn_date,
    vn_datetime,
    vn_decimal,
    vn_int,
    vn_percent,
)
from sangkien.reports.tables import Cell, Percent, Table

#: Rows of one table shown in a page; the CSV and XLSX always have all of them.
HTML_ROW_LIMIT = 2000


def cell_text(value: Cell) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "Có" if value else "Không"
    if isinstance(value, Percent):
        return vn_percent(value)
    if isinstance(value, datetime):
        return vn_datetime(value)
    if isinstance(value, date):
        return vn_date(value)
    if isinstance(value, int):
        return vn_int(value)
    if isinstance(value, float | Decimal):
        return vn_decimal(value, 4)
    return str(value)


def is_number(value: Cell) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def night_rows(table: Table, night: date) -> set[int]:
    """Indexes of the rows that belong to the night's deliveries (highlighted)."""
    index = table.column_index("business_date")
    if index is None:
        return set()
    return {i for i, row in enumerate(table.rows) if row[index] == night}


def body_rows(table: Table, highlighted: set[int]) -> Markup:
    """The shown rows of a table as `<tr>` lines: a page holds up to 82 units' tables
    of thousands of rows, which a template loop rendered at ~10 µs a cell."""
    lines = []
    for index, row in enumerate(table.rows[:HTML_ROW_LIMIT]):
        cells = "".join(
            f'<td class="num">{escape(cell_text(value))}</td>'
            if is_number(value)
            else f"<td>{escape(cell_text(value))}</td>"
            for value in row
        )
        mark = ' class="dem-nay"' if index in highlighted else ""
        lines.append(f"<tr{mark}>{cells}</tr>\n")
    return Markup("".join(lines))


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("sangkien.reports", "templates"),
        autoescape=select_autoescape(["html", "j2"], default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        cell=cell_text,
        vn_int=vn_int,
        vn_percent=vn_percent,
        vn_decimal=vn_decimal,
        vn_date=vn_date,
        vn_datetime=vn_datetime,
    )
    # The stylesheet is inlined verbatim (read as data, not parsed as a template).
    css = env.loader.get_source(env, "style.css")[0]  # type: ignore[union-attr]
    env.globals.update(
        body_rows=body_rows,
        night_rows=night_rows,
        row_limit=HTML_ROW_LIMIT,
        stylesheet=Markup(css),
    )
    return env


def render(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)
