"""A small streaming XLSX (SpreadsheetML) writer for the reports' typed tables.

The provinces' cumulative lists reach tens of thousands of rows a night, and a
general-purpose writer spent ~14 µs a cell on checks and bookkeeping the reports
never need. This one writes each sheet's XML straight into the zip, a row at a
time: text as inline strings, numbers and dates as typed cells with a style, a
bold frozen header, column widths and an auto-filter. The package has the parts
Excel, LibreOffice and openpyxl require and nothing else.

Cells arrive already decided (`text_cell`, `number_cell` with a `serial` for
dates); `spreadsheets.py` decides what a report value becomes.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import IO
from xml.sax.saxutils import escape, quoteattr

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

#: The number formats a cell can be shown in, by kind, in style order.
NUMBER_FORMATS = {
    "int": "#,##0",
    "percent": "0.00%",
    "decimal": "0.0000",
    "date": "DD/MM/YYYY",
    "datetime": "DD/MM/YYYY HH:MM",
}
HEADER_STYLE, QUOTED_STYLE, _FIRST_NUMBER_STYLE = 1, 2, 3
#: The style of a cell shown in a kind of `NUMBER_FORMATS`.
NUMBER_STYLES = {kind: _FIRST_NUMBER_STYLE + i for i, kind in enumerate(NUMBER_FORMATS)}

# Excel reads `_xHHHH_` in a string as an escaped character; a literal one is
# itself escaped by prefixing its underscore as `_x005F`.
_ESCAPE_LIKE = re.compile(r"_x[0-9A-Fa-f]{4}_")
# Characters XML cannot carry (control characters but tab and line ends, U+FFFE,
# U+FFFF, lone surrogates) go as Excel's escape.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
#: Excel's limit for a cell, in UTF-16 code units; a longer text makes it "repair" the file.
CELL_MAX = 32_767
# The 1900 system counts from 1899-12-30 for dates after 1900-02-28 (Excel's
# phantom 29 February 1900); the programme's dates are all far later.
_EXCEL_EPOCH = datetime(1899, 12, 30)


#: A cell: the rest of its `<c` element after the reference, and its style.
Cell = tuple[str, int]


@dataclass(frozen=True, slots=True)
class Sheet:
    name: str
    widths: Sequence[float]
    header: Sequence[str]
    #: Rows of cells from `text_cell` and `number_cell`; `None` leaves a cell empty.
    rows: Iterable[Sequence[Cell | None]]
    row_count: int


def text_cell(text: str, quoted: bool = False) -> Cell:
    """A string cell (never a formula); `quoted` adds the quote-prefix style. A text
    past Excel's limit is cut, with "…" (the CSV beside it has it whole)."""
    if len(text) > CELL_MAX // 2:
        text = _fit(text)
    if "_x" in text:
        text = _ESCAPE_LIKE.sub(lambda m: "_x005F" + m.group(0), text)
    text = _NOT_XML.sub(lambda m: f"_x{ord(m.group(0)):04X}_", text)
    space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
    # A carriage return as a reference: XML readers turn a literal one into a line feed.
    body = escape(text, {"\r": "&#13;"})
    return f't="inlineStr"><is><t{space}>{body}</t></is>', (QUOTED_STYLE if quoted else 0)


def _fit(text: str) -> str:
    def units(t: str) -> int:
        return len(t.encode("utf-16-le", "surrogatepass")) // 2

    if units(text) <= CELL_MAX:
        return text
    cut = text[: CELL_MAX - 1]
    while (excess := units(cut) - (CELL_MAX - 1)) > 0:  # characters past U+FFFF count twice
        cut = cut[:-excess]
    return cut + "…"


def number_cell(value: float | int, style: int) -> Cell:
    """A number shown with `style` (one of `NUMBER_STYLES`); a date is its `serial`."""
    return f"><v>{value!r}</v>", style


def serial(value: date | datetime) -> float | int:
    """Excel's day number (1900 system) of a naive date or wall-clock time."""
    if isinstance(value, datetime):
        delta = value - _EXCEL_EPOCH
        return delta.days + delta.seconds / 86400 + delta.microseconds / 8.64e10
    return (value - _EXCEL_EPOCH.date()).days


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def write_workbook(sheets: Sequence[Sheet], path: Path) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
        for number, sheet in enumerate(sheets, start=1):
            # No Zip64 (Excel refuses it in small packages): a sheet stays far below 2 GiB.
            with book.open(f"xl/worksheets/sheet{number}.xml", "w") as part:
                _write_sheet(part, sheet, selected=number == 1)
        book.writestr("[Content_Types].xml", _content_types(len(sheets)))
        book.writestr("_rels/.rels", _package_rels())
        book.writestr("xl/workbook.xml", _workbook(sheets))
        book.writestr("xl/_rels/workbook.xml.rels", _workbook_rels(len(sheets)))
        book.writestr("xl/styles.xml", _STYLES)


def _write_sheet(part: IO[bytes], sheet: Sheet, selected: bool) -> None:
    letters = [column_letter(i) for i in range(len(sheet.header))]
    last = "".join(_last_cell(sheet))
    tab = ' tabSelected="1"' if selected else ""
    # Excel's widths count the padding a column adds around its characters.
    cols = "".join(
        f'<col min="{i}" max="{i}" width="{w + 0.7109375}" customWidth="1"/>'
        for i, w in enumerate(sheet.widths, start=1)
    )
    cols = f"<cols>{cols}</cols>" if cols else ""
    part.write(
        (
            f'{_DECLARATION}<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}">'
            f'<dimension ref="A1:{last}"/><sheetViews><sheetView'
            f'{tab} workbookViewId="0">'
            '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
            '<selection pane="bottomLeft"/></sheetView></sheetViews>'
            f'<sheetFormatPr defaultRowHeight="15"/>{cols}<sheetData><row r="1">'
            + "".join(
                f'<c r="{letters[i]}1" s="{HEADER_STYLE}" {text_cell(label)[0]}</c>'
                for i, label in enumerate(sheet.header)
            )
            + "</row>"
        ).encode()
    )
    buffer: list[str] = []
    for number, row in enumerate(sheet.rows, start=2):
        buffer.append(f'<row r="{number}">')
        for letter, cell in zip(letters, row, strict=True):
            if cell is not None:
                body, style = cell
                if style:
                    buffer.append(f'<c r="{letter}{number}" s="{style}" {body}</c>')
                else:
                    buffer.append(f'<c r="{letter}{number}" {body}</c>')
        buffer.append("</row>")
        if len(buffer) > 4096:
            part.write("".join(buffer).encode())
            buffer.clear()
    buffer.append("</sheetData>")
    if sheet.row_count:
        buffer.append(f'<autoFilter ref="A1:{last}"/>')
    buffer.append(
        '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75"'
        ' header="0.3" footer="0.3"/></worksheet>'
    )
    part.write("".join(buffer).encode())


def _last_cell(sheet: Sheet) -> tuple[str, str]:
    """The column letter and row number of the sheet's last cell (header included)."""
    return column_letter(max(len(sheet.header) - 1, 0)), str(sheet.row_count + 1)


def _content_types(count: int) -> str:
    sheets = "".join(
        f'<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType='
        '"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        for n in range(1, count + 1)
    )
    return (
        f"{_DECLARATION}"
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/styles.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        f"{sheets}</Types>"
    )


def _package_rels() -> str:
    return (
        f'{_DECLARATION}<Relationships xmlns="{_PACKAGE_REL}"><Relationship Id="rId1" '
        f'Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    )


def _workbook_rels(count: int) -> str:
    sheets = "".join(
        f'<Relationship Id="rId{n}" Type="{_REL}/worksheet" Target="worksheets/sheet{n}.xml"/>'
        for n in range(1, count + 1)
    )
    return (
        f'{_DECLARATION}<Relationships xmlns="{_PACKAGE_REL}">{sheets}'
        f'<Relationship Id="rId{count + 1}" Type="{_REL}/styles" Target="styles.xml"/>'
        "</Relationships>"
    )


def _workbook(sheets: Sequence[Sheet]) -> str:
    entries, filters = [], []
    for index, sheet in enumerate(sheets):
        entries.append(
            f'<sheet name={quoteattr(sheet.name)} sheetId="{index + 1}" r:id="rId{index + 1}"/>'
        )
        if sheet.row_count:
            quoted = "'" + sheet.name.replace("'", "''") + "'"
            column, row = _last_cell(sheet)
            filters.append(
                f'<definedName name="_xlnm._FilterDatabase" localSheetId="{index}" hidden="1">'
                f"{escape(quoted)}!$A$1:${column}${row}</definedName>"
            )
    names = f"<definedNames>{''.join(filters)}</definedNames>" if filters else ""
    return (
        f'{_DECLARATION}<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><bookViews>'
        f'<workbookView xWindow="240" yWindow="15" windowWidth="16095" windowHeight="9660"/>'
        f"</bookViews><sheets>{''.join(entries)}</sheets>{names}"
        '<calcPr calcId="124519" fullCalcOnLoad="1"/></workbook>'
    )


def _styles() -> str:
    formats = "".join(
        f'<numFmt numFmtId="{164 + i}" formatCode={quoteattr(code)}/>'
        for i, code in enumerate(NUMBER_FORMATS.values())
    )
    numbers = "".join(
        f'<xf numFmtId="{164 + i}" fontId="0" fillId="0" borderId="0" xfId="0"'
        ' applyNumberFormat="1"/>'
        for i in range(len(NUMBER_FORMATS))
    )
    return (
        f'{_DECLARATION}<styleSheet xmlns="{_MAIN}">'
        f'<numFmts count="{len(NUMBER_FORMATS)}">{formats}</numFmts>'
        '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
        '<font><b/><sz val="11"/><color rgb="FFFFFFFF"/><name val="Calibri"/><family val="2"/>'
        '</font></fonts><fills count="3"><fill><patternFill patternType="none"/></fill>'
        '<fill><patternFill patternType="gray125"/></fill><fill><patternFill patternType='
        '"solid"><fgColor rgb="FF1F4E79"/><bgColor indexed="64"/></patternFill></fill></fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
        f'</cellStyleXfs><cellXfs count="{_FIRST_NUMBER_STYLE + len(NUMBER_FORMATS)}">'
        '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
        '<xf numFmtId="0" fontId="1" fillId="2" borderId="0" xfId="0" applyFont="1"'
        ' applyFill="1" applyAlignment="1"><alignment vertical="top" wrapText="1"/></xf>'
        '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" quotePrefix="1"/>'
        f"{numbers}</cellXfs>"
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
        '<dxfs count="0"/><tableStyles count="0"/></styleSheet>'
    )


_STYLES = _styles()
