"""A CSV delivery's raw rows, through the C row path where it can take them.

The Python rules (`sangkien.feeds.readers.csv_records`, `sangkien.feeds.rows.
check_record`, `sangkien.feeds.pseudonyms.author_keys`) are the contract; they
cost about 60 µs a row, four times what PostgreSQL spends taking the row in.
`_csv_rows.c` reads the same bytes as the csv module does and writes, in
PostgreSQL's binary COPY format, every record those rules would store as it is,
with the same values; every other record comes back as its fields and goes
through the Python rules, and where the bytes cannot be split as the csv
module would split them, the csv module reads the rest of the file. The
tables are the same either way (tests/test_csv_rows.py compares both paths
record by record); only the time differs.

The C code reads UTF-8: a UTF-8 file (BOM dropped) goes to it as it is; a file
in another encoding is decoded and encoded again, a block at a time. It makes
the NFC of text with combining marks itself (decomposed Vietnamese, and what
Windows-1258 decodes to), or leaves the record to Python, which normalises.
"""

from __future__ import annotations

import codecs
import io
from collections.abc import Iterable, Iterator
from typing import Any, BinaryIO

from sangkien.feeds.contract import (
    COLUMNS,
    ENUMS,
    RECORD_ID_MAX,
    REQUIRED_COLUMNS_EMPTY_ALLOWED,
    REQUIRED_VALUES,
    TITLE_MAX,
    TITLE_MIN,
)
from sangkien.feeds.decoding import ERRORS, nfc
from sangkien.feeds.limits import MAX_FIELD_CHARS
from sangkien.feeds.pseudonyms import pseudonym_key
from sangkien.feeds.readers import Header, SourceRecord, csv_record, csv_records
from sangkien.landing import _csv_rows as native

native.configure(
    REQUIRED_VALUES,
    REQUIRED_VALUES + REQUIRED_COLUMNS_EMPTY_ALLOWED,
    {name: sorted(values) for name, values in ENUMS.items()},
    TITLE_MIN,
    TITLE_MAX,
    RECORD_ID_MAX,
    MAX_FIELD_CHARS,
)
if native.COLUMNS != COLUMNS:  # the C code's column numbers are the contract's order
    raise ImportError("sangkien.landing._csv_rows was built for other contract columns")

#: Bytes read at a time (the C code releases the GIL for each block).
BLOCK_BYTES = 1 << 20
#: A header, or a record, longer than this is left to the csv module.
_MAX_PENDING_BYTES = 64 << 20
_DIRECT_CODECS = ("utf-8", "utf-8-sig")
_REQUIRED_COLUMNS = frozenset(REQUIRED_VALUES + REQUIRED_COLUMNS_EMPTY_ALLOWED)


class _Utf8Blocks:
    """The file as UTF-8 blocks for the C code, and as text lines for the csv module
    from any point the C code reached."""

    def __init__(self, raw: BinaryIO, codec: str) -> None:
        self._raw = raw
        self.eof = False
        first = raw.read(BLOCK_BYTES)
        if codec in _DIRECT_CODECS:
            if first.startswith(codecs.BOM_UTF8):  # as utf-8-sig drops it
                first = first[len(codecs.BOM_UTF8) :]
            codec = "utf-8"
        self.direct = codec == "utf-8"
        self._first: bytes | None = first
        if not self.direct:
            self._decoder = codecs.getincrementaldecoder(codec)(errors=ERRORS)
            self._carry = ""
            self._texts = self._text_blocks()

    def read(self) -> bytes:
        """The next block (b"" and `eof` at the end)."""
        if self.direct:
            if self._first is not None:
                block, self._first = self._first, None
            else:
                block = self._raw.read(BLOCK_BYTES)
            self.eof = not block
            return block
        text = next(self._texts, None)
        self.eof = text is None
        return text.encode("utf-8") if text else b""

    def _text_blocks(self) -> Iterator[str]:
        """The text, each block ending at a line end (the last one wherever the file
        does), so that the csv module can take over at any block's end."""
        while True:
            if self._first is not None:
                chunk, self._first = self._first, None
            else:
                chunk = self._raw.read(BLOCK_BYTES)
            text = self._carry + self._decoder.decode(chunk, final=not chunk)
            if not chunk:
                self._carry = ""
                if text:
                    yield text
                return
            cut = _after_last_line_end(text)
            self._carry = text[cut:]
            if cut:
                yield text[:cut]

    def lines(self, leftover: bytes) -> Iterable[str]:
        """The text from `leftover` (the unread part of the last block) to the end,
        in lines as `io.TextIOWrapper(newline="")` gives them."""
        if self.direct:
            return io.TextIOWrapper(
                _Prefixed(leftover, self._raw), encoding="utf-8", errors=ERRORS, newline=""
            )
        return _lines_of([leftover.decode("utf-8"), *self._texts])


def _after_last_line_end(text: str) -> int:
    cut = text.rfind("\n") + 1
    if not cut:
        # Only '\r' line ends: one at the very end may be the first half of '\r\n'.
        cut = text.rfind("\r", 0, len(text) - 1) + 1
    return cut


def _lines_of(blocks: Iterable[str]) -> Iterator[str]:
    for block in blocks:
        yield from io.StringIO(block, newline="")


class _Prefixed(io.RawIOBase):
    """`prefix`, then the rest of `raw`."""

    def __init__(self, prefix: bytes, raw: BinaryIO) -> None:
        self._prefix = memoryview(prefix)
        self._raw = raw

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._prefix:
            n = min(len(buffer), len(self._prefix))
            buffer[:n] = self._prefix[:n]
            self._prefix = self._prefix[n:]
            return n
        data = self._raw.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _decoded(field: bytes) -> str:
    return nfc(field.decode("utf-8", ERRORS))


def _record(line_number: int, fields: list[bytes] | str, header: Header) -> SourceRecord:
    """A record the C code left to Python: its fields, or the csv module's error."""
    if isinstance(fields, str):  # as csv_records reports it
        return SourceRecord(line_number, malformed=f"broken quoting: {fields}")
    return csv_record(line_number, [_decoded(f) for f in fields], header)


def csv_raw_rows(rows: Any, raw: BinaryIO, codec: str, prefix: tuple[Any, ...]) -> Iterator[bytes]:
    """The delivery's raw rows as binary COPY data, a block at a time.

    `rows` is the delivery's `DeliveryRows` (counts, rejections, warnings, record
    ids); `prefix` the rows' (delivery_id, unit_code, business_date)."""
    blocks = _Utf8Blocks(raw, codec)
    data = blocks.read()
    while True:
        status, fields, consumed = native.split_header(data, blocks.eof)
        if status != "more" or len(data) > _MAX_PENDING_BYTES:
            break
        data += blocks.read()
    if status != "record":  # the csv module reads the header, and so the whole file
        yield from rows.encoded(csv_records(blocks.lines(data), rows.headers), prefix)
        return
    header = Header.parse([_decoded(f) for f in fields])
    rows.headers.append(header)
    data = data[consumed:]
    columns = [COLUMNS.index(c) if c in COLUMNS else -1 for c in header.columns]
    if len(columns) > native.MAX_COLUMNS or not set(header.columns) >= _REQUIRED_COLUMNS:
        # (Without a required column every record is rejected: the Python rules say why.)
        records = csv_records(blocks.lines(data), rows.headers, header=header)
        yield from rows.encoded(records, prefix)
        return
    engine = native.CsvRows(
        prefix[1], prefix[2], prefix[0], columns, pseudonym_key(), rows.record_ids
    )
    counted = 0
    while True:
        consumed, encoded, deferred, stopped = engine.feed(data, blocks.eof)
        if encoded:
            yield encoded
        rows.count_stored(engine.accepted - counted)
        counted = engine.accepted
        if deferred:
            yield from rows.encoded((_record(line, fs, header) for line, fs in deferred), prefix)
        data = data[consumed:]
        if stopped or (len(data) > _MAX_PENDING_BYTES and not blocks.eof):
            # From this record on, the csv module reads.
            records = csv_records(
                blocks.lines(data), rows.headers, header=header, line_number=engine.line_number
            )
            yield from rows.encoded(records, prefix)
            return
        if blocks.eof:
            return
        data += blocks.read()
