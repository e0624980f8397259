"""The spreadsheet formula-neutralisation rule, on its own (no database)."""

from __future__ import annotations

import pytest

from sangkien.reports import neutralise


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('=HYPERLINK("http://x.invalid","bấm")', '\'=HYPERLINK("http://x.invalid","bấm")'),
        ("+1", "'+1"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("   =1+1", "'   =1+1"),  # after leading spaces
        ("\u00a0-3", "'\u00a0-3"),  # after a no-break space
        ("\t=1", "'\t=1"),
        ("\tchữ thường", "'\tchữ thường"),  # a leading tab or CR alone is enough
        ("\r\n@x", "'\r\n@x"),
    ],
)
def test_formula_like_text_gets_an_apostrophe(text: str, expected: str) -> None:
    assert neutralise(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "R-001",
        "Giải pháp = hiệu quả",
        "1+1",
        "'=already quoted",
        "email@example.org",
        "title: -",
    ],
)
def test_ordinary_text_is_unchanged(text: str) -> None:
    assert neutralise(text) == text
