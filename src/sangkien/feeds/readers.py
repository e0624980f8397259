"""Data files → records, streamed: CSV, JSON and XLSX (contract §2).

Each reader yields `SourceRecord`s numbered as the contract counts lines (the
1-based data record), holding cleaned text values by column, or the reason the
record could not be split into fields (`malformed`). Memory stays flat
whatever the file size: CSV and JSON are read incrementally, XLSX through
openpyxl's read-only mode.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from typing import BinaryIO

from sangkien.feeds.decoding import ERRORS, clean_text, nfc_lines
from sangkien.feeds.limits import MAX_FIELD_CHARS

# A longer field makes csv raise, and its record is reported MALFORMED_ROW.
csv.field_size_limit(MAX_FIELD_CHARS)


class UnreadableFile(ValueError):
    """The file cannot be read as its format at all (not a per-row problem)."""


@dataclass(slots=True)
class SourceRecord:
    line_number: int
    values: dict[str, str] = field(default_factory=dict)
    #: Why the record could not be split into fields, if it could not.
    malformed: str | None = None


@dataclass
class Header:
    columns: list[str]

    @classmethod
    def parse(cls, names: list[str]) -> Header:
        columns = [
            clean_text(str(n) if n is not None else "").lstrip("\ufeff").lower() for n in names
        ]
        seen: set[str] = set()
        for name in columns:
            if name and name in seen:
                raise UnreadableFile(f"column '{name}' appears twice in the header")
            seen.add(name)
        return cls(columns)


def read_csv(raw: BinaryIO, codec: str, header_out: list[Header]) -> Iterator[SourceRecord]:
    """RFC 4180 CSV in `codec`; the parsed header is appended to `header_out`."""
    text = io.TextIOWrapper(raw, encoding=codec, errors=ERRORS, newline="")
    return csv_records(text, header_out)


def csv_records(
    lines: Iterable[str],
    header_out: list[Header],
    *,
    header: Header | None = None,
    line_number: int = 0,
) -> Iterator[SourceRecord]:
    """The records of CSV text given as `io.TextIOWrapper(newline="")` gives its lines.

    With `header`, the lines start after it, at the record after `line_number`
    (where the C row path hands a file over, `sangkien.landing.csv_rows`)."""
    # Normalised a line at a time (C, once per line), so each field only needs trimming.
    reader = csv.reader(nfc_lines(lines), strict=True)
    if header is None:
        try:
            header = Header.parse(next(reader))
        except StopIteration:
            header_out.append(Header([]))
            return
        except csv.Error as exc:
            raise UnreadableFile(f"the header row cannot be read: {exc}") from None
        header_out.append(header)
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            line_number += 1
            yield SourceRecord(line_number, malformed=f"broken quoting: {exc}")
            continue
        if not fields:
            continue  # a blank line is not a record
        line_number += 1
        yield csv_record(line_number, fields, header)


def csv_record(line_number: int, fields: list[str], header: Header) -> SourceRecord:
    """One CSV record from its fields (NFC text, untrimmed)."""
    width = len(header.columns)
    if len(fields) != width:
        record = SourceRecord(
            line_number, malformed=f"{len(fields)} fields where the header has {width}"
        )
        # Keep what can be read for the report (the record id, usually first).
        record.values = {
            name: clean_text(value)
            for name, value in zip(header.columns, fields, strict=False)
            if name == "record_id"
        }
        return record
    return SourceRecord(line_number, dict(zip(header.columns, map(str.strip, fields), strict=True)))


def _json_scalar(value: object) -> str:
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, Decimal):
        return format(value, "f") if value == value.to_integral_value() else str(value)
    if isinstance(value, dict | list):
        raise TypeError("a nested object or list")
    return clean_text(str(value))


class _Utf8Reencoder(io.RawIOBase):
    """Decodes UTF-8 with the undecodable-byte marker and hands clean UTF-8 to ijson."""

    def __init__(self, raw: BinaryIO) -> None:
        self._text = io.TextIOWrapper(raw, encoding="utf-8-sig", errors=ERRORS)
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        while not self._pending:
            chunk = self._text.read(65536)
            if not chunk:
                return 0
            self._pending = chunk.encode("utf-8")
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n


_JSON_FILLED = ("recognized_by", "is_confidential")


def read_json(raw: BinaryIO, header_out: list[Header]) -> Iterator[SourceRecord]:
    """An array of objects, or `{"records": [...]}`; UTF-8."""
    import ijson

    stream = io.BufferedReader(_Utf8Reencoder(raw), buffer_size=65536)
    first = stream.peek(64).lstrip()[:1]
    if first == b"[":
        prefix = "item"
    elif first == b"{":
        prefix = "records.item"
    else:
        raise UnreadableFile('JSON data must be an array of records or {"records": [...]}')
    header_out.append(Header([]))
    line_number = 0
    try:
        for item in ijson.items(stream, prefix, use_float=False):
            line_number += 1
            if not isinstance(item, dict):
                yield SourceRecord(line_number, malformed="a JSON record must be an object")
                continue
            values: dict[str, str] = {}
            bad: list[str] = []
            for key, value in item.items():
                name = clean_text(str(key)).lower()
                try:
                    values[name] = _json_scalar(value)
                except TypeError:
                    bad.append(name)
            # JSON leaves empty values out: an absent key is an empty value (unlike a
            # column missing from a CSV or XLSX header, which no row can fill).
            for name in _JSON_FILLED:
                values.setdefault(name, "")
            if bad:
                yield SourceRecord(
                    line_number,
                    {k: v for k, v in values.items() if k == "record_id"},
                    malformed=f"nested value in {', '.join(bad)}",
                )
            else:
                yield SourceRecord(line_number, values)
    except ijson.JSONError as exc:
        raise UnreadableFile(f"JSON is broken after record {line_number}: {exc}") from None


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    return clean_text(str(value))


def read_xlsx(raw: BinaryIO, header_out: list[Header]) -> Iterator[SourceRecord]:
    """First sheet, header in row 1; a record's line is its sheet row minus one."""
    import zipfile

    import openpyxl

    try:
        workbook = openpyxl.load_workbook(raw, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise UnreadableFile(f"not a readable XLSX workbook: {exc}") from None
    try:
        sheet = workbook.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        try:
            header = Header.parse([c for c in next(rows)])
        except StopIteration:
            header_out.append(Header([]))
            return
        while header.columns and not header.columns[-1]:
            header.columns.pop()
        header_out.append(header)
        width = len(header.columns)
        for sheet_row, cells in enumerate(rows, start=2):
            texts = [_cell_text(c) for c in cells]
            if not any(texts):
                continue  # an empty sheet row is not a record
            if any(texts[width:]):
                yield SourceRecord(sheet_row - 1, malformed="values beyond the header's columns")
                continue
            texts += [""] * (width - len(texts))
            yield SourceRecord(sheet_row - 1, dict(zip(header.columns, texts[:width], strict=True)))
    finally:
        workbook.close()
