"""Small new deliveries of one unit, written together (a replay's landing).

A replay lands about 48,000 deliveries, most of a few dozen rows; one
transaction and one COPY each cost more than their rows. A batch reads and
checks each small delivery in full first (so one that does not match its
manifest is recorded `incomplete` and never written), then writes up to
`MAX_DELIVERIES` of them, or `MAX_ROWS` rows, in one transaction: one COPY,
one pipeline of rejected rows, warnings and counts. Each delivery is still
all or nothing; the tables are the same as when they are loaded one by one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

from sangkien.feeds.manifest import Manifest
from sangkien.feeds.readers import Header, UnreadableFile
from sangkien.landing._csv_rows import with_delivery_id
from sangkien.landing.checked_rows import (
    DeliveryResult,
    DeliveryRows,
    broken_upload,
    open_records,
)
from sangkien.landing.folders import DeliveryFolder, open_data
from sangkien.landing.writing import (
    begin_for_unit,
    copy_raw,
    finish_and_commit,
    insert_deliveries,
    record_incomplete,
    transaction,
)

#: A data file up to this size joins a batch (about 1,500 rows); larger ones are
#: loaded alone, their rows COPY'd as they are checked.
MAX_FILE_BYTES = 512 * 1024
MAX_DELIVERIES = 200
MAX_ROWS = 5000


@dataclass
class _Pending:
    folder: DeliveryFolder
    meta: dict[str, Any]
    rows: DeliveryRows
    #: The raw rows in binary COPY format, with delivery id 0 until the batch is written.
    encoded: list[bytes]

    def close(self) -> None:
        self.rows.close()


class DeliveryBatch:
    """Deliveries of `unit` that had no attempt yet, checked and waiting to be written."""

    def __init__(self, conn: psycopg.Connection, unit: str, transport: str):
        self._conn = conn
        self._unit = unit
        self._transport = transport
        self._pending: list[_Pending] = []
        self._rows = 0

    def takes(self, file_size: int | None) -> bool:
        return file_size is not None and file_size <= MAX_FILE_BYTES

    def add(
        self,
        folder: DeliveryFolder,
        data_file: Path,
        contents: bytes | None,
        manifest: Manifest | None,
        meta: dict[str, Any],
    ) -> DeliveryResult:
        """Read and check the delivery; its result is final once the batch is written
        (`flush`, which the caller runs when the batch is `full` and at the end)."""
        result = DeliveryResult(self._unit, folder.business_date.isoformat(), "loaded")
        headers: list[Header] = []
        pending = _Pending(folder, meta, DeliveryRows(result, headers), [])
        try:
            with open_data(data_file, contents) as raw:
                codec, records = open_records(raw, data_file, manifest, headers)
                meta["encoding"] = codec
                prefix = (0, self._unit, folder.business_date)
                pending.encoded.extend(pending.rows.raw_rows(records, prefix))
            problems = pending.rows.finish(manifest, meta["sha256"])
        except BaseException as exc:
            pending.close()
            if isinstance(exc, UnreadableFile) and (
                incomplete := broken_upload(manifest, meta, result, exc)
            ):
                return record_incomplete(self._conn, result, meta, incomplete)
            raise
        if problems:
            pending.close()
            return record_incomplete(self._conn, result, meta, "; ".join(problems))
        self._pending.append(pending)
        # Every row received counts (rejections wait in memory too), so memory stays flat.
        self._rows += result.rows_received
        return result

    @property
    def full(self) -> bool:
        return len(self._pending) >= MAX_DELIVERIES or self._rows >= MAX_ROWS

    def discard(self) -> None:
        """Forget the waiting deliveries (their unit's range failed before writing them)."""
        for p in self._pending:
            p.close()
        self._pending, self._rows = [], 0

    def flush(self) -> None:
        """Write the waiting deliveries in one transaction."""
        pending, self._pending, self._rows = self._pending, [], 0
        if not pending:
            return
        try:
            if not self._written(pending):
                self._one_by_one(pending)
        finally:
            for p in pending:
                p.close()

    def _written(self, pending: list[_Pending]) -> bool:
        try:
            return self._write(pending)
        except psycopg.Error:
            # One delivery the server refuses must not take the others with it:
            # one by one, those before it are written and it fails as it would alone.
            if self._conn.closed:
                raise
            return False

    def _write(self, pending: list[_Pending]) -> bool:
        """One transaction for `pending`; False (nothing written) when a loader ran
        meanwhile: the attempts were read before the unit's lock."""
        conn = self._conn
        with transaction(conn):
            with conn.pipeline():
                begin_for_unit(conn, self._unit)
                taken = conn.execute(
                    """select 1 from quality.delivery
                       where unit_code = %s and business_date = any(%s) limit 1""",
                    (self._unit, [p.folder.business_date for p in pending]),
                )
            if taken.fetchone():
                conn.execute("rollback")
                return False
            inserted = insert_deliveries(conn, [p.meta for p in pending])
            ids = {day: delivery_id for delivery_id, day in inserted}
            for p in pending:
                p.rows.result.delivery_id = ids[p.folder.business_date]
            copy_raw(
                conn,
                (
                    with_delivery_id(block, p.rows.result.delivery_id)
                    for p in pending
                    for block in p.encoded
                ),
            )
            finish_and_commit(conn, [p.rows for p in pending])
        return True

    def _one_by_one(self, pending: list[_Pending]) -> None:
        from sangkien.landing.delivery import load_delivery  # which imports this module

        for p in pending:
            fresh = load_delivery(self._conn, p.folder, self._transport)
            vars(p.rows.result).update(vars(fresh))
