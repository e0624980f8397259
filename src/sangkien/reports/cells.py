"""Spreadsheet formula neutralisation: one rule for every text cell the reports write.

Feeds are written by the units' own systems, so a record id or a rejection
detail can be any text — `=HYPERLINK("http://…","bấm vào đây")` included. A
spreadsheet program that opens the CSV or XLSX must show such text, never
evaluate it. The rule (OWASP "CSV injection"): a text that begins with `=`,
`+`, `-` or `@` — also after leading white space — or that begins with a tab,
carriage return or line feed, gets a leading apostrophe `'`. Both writers
call `neutralise` on every text value, and nothing else.

In the XLSX the neutralised text is also stored as an explicit string cell
with the `quotePrefix` style (see `spreadsheets.py`), so Excel neither
evaluates it on opening nor turns it into a formula when someone edits the
cell and presses Enter.
"""

from __future__ import annotations

#: Characters that make Excel, LibreOffice or Google Sheets read a cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@")
#: Leading control characters some programs skip before looking for a formula.
CONTROL_STARTS = ("\t", "\r", "\n")


def needs_neutralising(text: str) -> bool:
    """Whether a spreadsheet program could take `text` for a formula."""
    return text.startswith(CONTROL_STARTS) or text.lstrip().startswith(FORMULA_STARTS)


def neutralise(text: str) -> str:
    """`text`, with a leading `'` when a spreadsheet could evaluate it; else unchanged."""
    return "'" + text if needs_neutralising(text) else text
