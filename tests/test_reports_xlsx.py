"""The reports' XLSX writer: every kind of cell reads back as what the report meant."""

from __future__ import annotations

import zipfile
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl

from sangkien.reports.spreadsheets import write_xlsx
from sangkien.reports.tables import Column, Percent, Table

COLUMNS = (
    Column("text", "Văn bản", 30),
    Column("day", "Ngày", 12),
    Column("share", "Tỷ lệ"),
    Column("count", "Số"),
    Column("at", "Lúc", 18),
    Column("amount", "Giá trị"),
)


def _book(tmp_path: Path, tables: list[Table]) -> openpyxl.Workbook:
    path = tmp_path / "report.xlsx"
    write_xlsx(tables, path)
    assert zipfile.ZipFile(path).testzip() is None
    return openpyxl.load_workbook(path)


def test_typed_cells_read_back_with_their_formats(tmp_path: Path) -> None:
    rows = [
        (
            "Sáng kiến cải tiến",
            date(2022, 5, 27),
            Percent(0.125),
            1_234_567,
            # 01:04:05 in Hà Nội: shown as local wall-clock time.
            datetime(2022, 5, 26, 18, 4, 5, tzinfo=UTC),
            Decimal("1.5"),
        ),
        (None, None, None, -7, None, 0.25),
    ]
    sheet = _book(tmp_path, [Table("t", "Bảng", COLUMNS, rows)])["Bảng"]
    first = sheet[2]
    assert [c.value for c in first] == [
        "Sáng kiến cải tiến",
        datetime(2022, 5, 27),
        0.125,
        1_234_567,
        datetime(2022, 5, 27, 1, 4, 5),
        1.5,
    ]
    assert [c.number_format for c in first[1:]] == [
        "DD/MM/YYYY",
        "0.00%",
        "#,##0",
        "DD/MM/YYYY HH:MM",
        "0.0000",
    ]
    assert [c.value for c in sheet[3]] == [None, None, None, -7, None, 0.25]
    assert sheet.column_dimensions["A"].width >= 30
    assert sheet["A1"].font.bold and sheet["A1"].value == "Văn bản"


def test_text_is_kept_exactly_as_text(tmp_path: Path) -> None:
    texts = [
        "a < b & c > d",
        "  two leading spaces",
        "trailing space ",
        "line one\nline two",
        "windows line\r\nend",
        '=HYPERLINK("http://x")',
        "true",
        "0012",
    ]
    table = Table("t", "Bảng", (Column("text", "Văn bản"),), [(t,) for t in texts])
    sheet = _book(tmp_path, [table])["Bảng"]
    values = [row[0].value for row in sheet.iter_rows(min_row=2)]
    assert values == [*texts[:5], "'" + texts[5], *texts[6:]]
    assert all(row[0].data_type == "s" for row in sheet.iter_rows(min_row=2))


def test_text_excel_would_alter_is_stored_the_way_excel_keeps_it(tmp_path: Path) -> None:
    # openpyxl neither decodes `_xHHHH_` nor trims text, but Excel does both: it reads
    # `_xHHHH_` as the character HHHH (ECMA-376 ST_Xstring) and drops white space at
    # the ends unless told to keep it. So the stored XML is what is checked.
    rows = [("id _x0041_ và _x00e1_",), ("  indented",), ("ends ",), ("bad \uffff char",)]
    # A header is written as it is given; a control character in it must not break the file.
    table = Table("t", "Bảng", (Column("text", "Văn\x01bản"),), rows)
    path = tmp_path / "report.xlsx"
    write_xlsx([table], path)
    sheet_xml = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml").decode()
    assert "<t>Văn_x0001_bản</t>" in sheet_xml
    assert "<t>id _x005F_x0041_ và _x005F_x00e1_</t>" in sheet_xml
    assert '<t xml:space="preserve">  indented</t>' in sheet_xml
    assert '<t xml:space="preserve">ends </t>' in sheet_xml
    # A character XML cannot carry (here U+FFFF) would make the file unreadable.
    assert "<t>bad _xFFFF_ char</t>" in sheet_xml
    assert openpyxl.load_workbook(path)["Bảng"]["A5"].value == "bad _xFFFF_ char"


def test_text_past_excels_cell_limit_is_cut_visibly(tmp_path: Path) -> None:
    # A rejection detail quotes the bad value whole: up to 65,536 characters.
    long_text = "Giải pháp " * 5_000  # 50,000 characters
    astral = "\U0001f600" * 20_000  # 40,000 UTF-16 units
    table = Table("t", "Bảng", (Column("text", "Văn bản"),), [(long_text,), (astral,), ("ngắn",)])
    sheet = _book(tmp_path, [table])["Bảng"]
    cut, cut_astral, short = (row[0].value for row in sheet.iter_rows(min_row=2))
    assert len(cut) == 32_767 and cut.endswith("…") and long_text.startswith(cut[:-1])
    assert len(cut_astral.encode("utf-16-le")) // 2 <= 32_767 and cut_astral.endswith("…")
    assert short == "ngắn"


def test_control_characters_become_a_visible_mark(tmp_path: Path) -> None:
    table = Table("t", "Bảng", (Column("text", "Văn bản"),), [("bad\x01byte",)])
    sheet = _book(tmp_path, [table])["Bảng"]
    assert sheet["A2"].value == "bad\N{REPLACEMENT CHARACTER}byte"


def test_a_ratio_without_a_value_is_left_empty(tmp_path: Path) -> None:
    rows = [(Percent(float("nan")),), (float("inf"),), (Percent(0.5),)]
    table = Table("t", "Bảng", (Column("share", "Tỷ lệ"),), rows)
    sheet = _book(tmp_path, [table])["Bảng"]
    assert [row[0].value for row in sheet.iter_rows(min_row=2)] == [None, None, 0.5]


def test_sheet_names_and_filters(tmp_path: Path) -> None:
    long_title = "Lần gửi không đầy đủ: [bị lỗi] / it's long"
    tables = [
        Table("a", long_title, COLUMNS[:2], [("x", date(2022, 8, 1)), ("y", None)]),
        Table("b", long_title, COLUMNS[:1], []),
    ]
    book = _book(tmp_path, tables)
    first, second = book.sheetnames
    assert len(first) <= 31 and not set("[]:*?/\\") & set(first)
    assert second != first and len(second) <= 31
    assert book[first].auto_filter.ref == "A1:B3"
    assert book[second].auto_filter.ref is None
    assert book[second].freeze_panes == "A2"
    assert book[second].max_row == 1
