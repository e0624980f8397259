"""A delivery's records checked row by row (contract §3–§4), before any is written.

`DeliveryRows.stored` turns records into the rows to store (values, then the
authors' pseudonyms), keeping each rejection and warning with its line and the
delivery's counts; `DeliveryRows.raw_rows` gives them as binary COPY data, a
CSV file's through the C row path (`csv_rows`). Nothing here touches the
database: the rows go to a COPY as they come (`delivery`) or wait for a batch
of small deliveries (`batch`).
"""

from __future__ import annotations

import pickle
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, BinaryIO

from sangkien.feeds.contract import KNOWN_COLUMNS, Warning_
from sangkien.feeds.decoding import codec_for
from sangkien.feeds.manifest import Manifest
from sangkien.feeds.pseudonyms import author_keys, pseudonym_key
from sangkien.feeds.readers import Header, SourceRecord, read_json, read_xlsx
from sangkien.feeds.rows import STORED_COLUMNS, check_record
from sangkien.landing._csv_rows import RecordIds, encode_rows
from sangkien.landing.csv_rows import csv_raw_rows

_AUTHORS, _AUTHOR_IDS = STORED_COLUMNS.index("authors"), STORED_COLUMNS.index("author_ids")
_RECORD_ID = STORED_COLUMNS.index("record_id")
#: Record ids tracked per delivery for repeats (a few MB); past it, assume some repeat.
_TRACKED_RECORD_IDS = 100_000
#: Rows the Python rules stored, encoded for COPY this many at a time.
_ENCODE_ROWS = 1000


@dataclass
class DeliveryResult:
    unit_code: str
    business_date: str
    status: str  # loaded | unchanged | incomplete | failed
    delivery_id: int | None = None
    rows_received: int = 0
    rows_published: int = 0
    rows_rejected: int = 0
    rows_superseded: int = 0
    detail: str | None = None
    rejected_by_reason: dict[str, int] = field(default_factory=dict)


class Spool:
    """Rows kept for later, spilling to a temporary file past a few thousand."""

    def __init__(self, limit: int = 5000) -> None:
        self._rows: list[tuple[Any, ...]] = []
        self._file: IO[bytes] | None = None
        self._limit = limit
        self._count = 0

    def add(self, row: tuple[Any, ...]) -> None:
        self._rows.append(row)
        self._count += 1
        if len(self._rows) >= self._limit:
            if self._file is None:
                self._file = tempfile.TemporaryFile()  # noqa: SIM115 - closed by close()
            pickle.dump(self._rows, self._file)
            self._rows = []

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        if self._file is not None:
            self._file.seek(0)
            while True:
                try:
                    yield from pickle.load(self._file)
                except EOFError:
                    break
        yield from self._rows

    def close(self) -> None:
        if self._file is not None:
            self._file.close()


class DeliveryRows:
    """One delivery's rows as they are checked; rejections and warnings are kept
    without the delivery id (known only when the delivery is written)."""

    def __init__(self, result: DeliveryResult, headers: list[Header]) -> None:
        self.result = result
        self.headers = headers  # filled by the reader with the file's header
        self.rejected = Spool()  # (unit, line, record id, reason, detail)
        self.warnings = Spool()  # (unit, line, warning, detail)
        self.published = 0
        # Whether a published record id repeats. Nearly no delivery repeats one,
        # and those skip the server's search for superseded rows, a query on the
        # partitioned raw table that cost more than the rest of a small delivery.
        # A hash collision, or a delivery too big to track, only means the search
        # runs after all (memory stays flat).
        self.record_ids = RecordIds(_TRACKED_RECORD_IDS)
        self._unknown_columns: set[str] = set()

    @property
    def repeats(self) -> bool:
        return self.record_ids.repeats

    def raw_rows(self, records: Iterable[SourceRecord] | CsvFile, prefix: tuple[Any, ...]):  # type: ignore[no-untyped-def]
        """The rows to store as binary COPY data (blocks of bytes) for raw.initiative_row,
        each prefixed with `prefix`: (delivery_id, unit_code, business_date)."""
        if isinstance(records, CsvFile):
            return csv_raw_rows(self, records.raw, records.codec, prefix)
        return self.encoded(records, prefix)

    def encoded(self, records: Iterable[SourceRecord], prefix: tuple[Any, ...]) -> Iterator[bytes]:
        """`stored(records)` as binary COPY data, a thousand rows at a time."""
        rows = []
        for row in self.stored(records):
            rows.append(row)
            if len(rows) == _ENCODE_ROWS:
                yield encode_rows(prefix, rows)
                rows = []
        if rows:
            yield encode_rows(prefix, rows)

    def count_stored(self, rows: int) -> None:
        """Rows received and stored elsewhere (the C row path) with no rejection or warning."""
        self.result.rows_received += rows
        self.published += rows

    def stored(self, records: Iterable[SourceRecord]) -> Iterator[tuple[Any, ...]]:
        """The rows to store (the stored columns, then the authors' pseudonyms)."""
        result, headers = self.result, self.headers
        unit = result.unit_code
        key = pseudonym_key()
        for record in records:
            result.rows_received += 1
            if not headers or not headers[0].columns:
                self._unknown_columns.update(record.values.keys() - KNOWN_COLUMNS)
            checked = check_record(record, unit)
            for code, detail in checked.warnings:
                self.warnings.add((unit, checked.line_number, code.value, detail))
            if checked.stored is not None:
                stored = checked.stored
                yield (*stored, author_keys(key, unit, stored[_AUTHORS], stored[_AUTHOR_IDS]))
                self.published += 1
                self.record_ids.add(stored[_RECORD_ID])
                continue
            result.rows_rejected += 1
            for code, detail in checked.reasons:
                self.rejected.add(
                    (unit, checked.line_number, checked.record_id, code.value, detail)
                )
                result.rejected_by_reason[code.value] = (
                    result.rejected_by_reason.get(code.value, 0) + 1
                )

    def finish(self, manifest: Manifest | None, sha256: str) -> list[str]:
        """After the last row: the delivery's own warnings, and what does not match
        its manifest (an incomplete delivery) if anything."""
        unit, headers = self.result.unit_code, self.headers
        if headers and headers[0].columns:
            self._unknown_columns.update(c for c in headers[0].columns if c not in KNOWN_COLUMNS)
        if manifest is None:
            self.warnings.add(
                (
                    unit,
                    None,
                    Warning_.NO_MANIFEST.value,
                    "no manifest.json: completeness could not be checked",
                )
            )
        if self._unknown_columns:
            self.warnings.add(
                (
                    unit,
                    None,
                    Warning_.UNKNOWN_COLUMN.value,
                    "ignored columns: " + ", ".join(sorted(self._unknown_columns)),
                )
            )
        return manifest_mismatch(manifest, sha256, self.result.rows_received)

    def close(self) -> None:
        self.rejected.close()
        self.warnings.close()


def manifest_mismatch(manifest: Manifest | None, sha256: str, rows: int) -> list[str]:
    if manifest is None:
        return []
    problems = []
    if manifest.row_count != rows:
        problems.append(f"manifest row_count {manifest.row_count}, file has {rows} records")
    if manifest.sha256 != sha256:
        problems.append(f"manifest sha256 {manifest.sha256[:12]}…, file is {sha256[:12]}…")
    return problems


@dataclass
class CsvFile:
    """A CSV data file, read when its rows are (`DeliveryRows.raw_rows`)."""

    raw: BinaryIO
    codec: str


def open_records(raw: BinaryIO, data_file: Path, manifest: Manifest | None, headers: list[Header]):  # type: ignore[no-untyped-def]
    """(codec, what `DeliveryRows.raw_rows` reads): a `CsvFile`, or the file's records."""
    suffix = data_file.suffix.lower()
    if suffix == ".csv":
        codec = codec_for(manifest.encoding if manifest else None, raw.peek(4)[:4])
        return codec, CsvFile(raw, codec)
    if suffix == ".json":
        return "utf-8", read_json(raw, headers)
    return None, read_xlsx(raw, headers)


def broken_upload(
    manifest: Manifest | None, meta: dict[str, Any], result: DeliveryResult, exc: Exception
) -> str | None:
    """Why a file that breaks off is incomplete, if it is: one that does not match its
    manifest's hash is an unfinished upload (the unit re-sends it), not a broken delivery."""
    if manifest is not None and manifest.sha256 != meta["sha256"]:
        return (
            f"manifest sha256 {manifest.sha256[:12]}…, file is {meta['sha256'][:12]}…; "
            f"the file breaks after record {result.rows_received}: {exc}"
        )
    return None
