"""The statements that write checked deliveries into `raw` and `quality`.

Shared by the one-delivery load (`delivery`) and the replay's batches of small
deliveries (`batch`): both open the transaction in their first pipeline and
commit in their last (psycopg's `transaction()` spends a round trip on each),
so that a small delivery costs a handful of round trips.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from sangkien.feeds.rows import STORED_COLUMNS
from sangkien.landing.checked_rows import DeliveryResult, DeliveryRows

#: raw.initiative_row's columns in the order the rows are encoded (`_csv_rows.c`,
#: `encode_rows`): the prefix, the stored columns, the pseudonyms. Binary COPY: no
#: value is written out as text and parsed back; a type that does not match the
#: table fails every load, loudly.
_RAW_COLUMNS = ("delivery_id", "unit_code", "business_date", *STORED_COLUMNS, "author_keys")
_COPY_RAW = f"copy raw.initiative_row ({', '.join(_RAW_COLUMNS)}) from stdin (format binary)"
#: Binary COPY's header (signature, no flags, no extension) and trailer.
_BINARY_HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(8)
_BINARY_TRAILER = b"\xff\xff"
_COPY_WRITE_BYTES = 1 << 18
_REJECTED = ("delivery_id", "unit_code", "line_number", "record_id", "reason_code", "reason_detail")
_WARNED = ("delivery_id", "unit_code", "line_number", "warning_code", "detail")
#: Up to this many rejected rows or warnings are inserted (pipelined), past it COPY'd.
_FEW_ROWS = 200

_OPEN = (psycopg.pq.TransactionStatus.INTRANS, psycopg.pq.TransactionStatus.INERROR)


@contextmanager
def transaction(conn: psycopg.Connection) -> Iterator[None]:
    """Roll back whatever the block began and did not commit (the block says
    `begin` and `commit` itself, each inside a pipeline)."""
    try:
        yield
    except BaseException:
        if conn.info.transaction_status in _OPEN:
            # A lost connection must not hide what went wrong first.
            with contextlib.suppress(psycopg.Error):
                conn.execute("rollback")
        raise


def begin_for_unit(conn: psycopg.Connection, unit: str) -> None:
    """Open the transaction and take the unit's lock (inside the caller's pipeline):
    one loader per unit at a time (CLI and scheduler may overlap)."""
    conn.execute("begin")
    conn.execute("select pg_advisory_xact_lock(hashtext('sangkien-unit-' || %s))", (unit,))


def copy_raw(conn: psycopg.Connection, rows: Iterable[bytes]) -> None:
    """One COPY into `raw.initiative_row` of rows already in binary COPY format
    (`DeliveryRows.raw_rows`), a block at a time."""
    if conn.info.encoding != "utf-8":  # binary text is taken in the client's encoding
        raise RuntimeError(f"the loader's connection must use UTF-8, not {conn.info.encoding}")
    with conn.cursor().copy(_COPY_RAW) as copy:
        # Each write waits until it is sent: a batch's many small deliveries go together.
        pending = bytearray(_BINARY_HEADER)
        for block in rows:
            pending += block
            if len(pending) >= _COPY_WRITE_BYTES:
                copy.write(pending)
                pending = bytearray()
        pending += _BINARY_TRAILER
        copy.write(pending)


def insert_delivery(conn: psycopg.Connection, meta: dict[str, Any]) -> psycopg.Cursor[Any]:
    """The delivery's row (its id is the cursor's one row); the night's delivery
    loaded before becomes `replaced` first."""
    conn.execute(
        """update quality.delivery set status = 'replaced', replaced_at = now()
           where unit_code = %s and business_date = %s and status = 'loaded'""",
        (meta["unit_code"], meta["business_date"]),
    )
    return conn.execute(
        f"insert into quality.delivery ({', '.join(meta)}, status) "
        f"values ({', '.join(['%s'] * len(meta))}, 'loaded') returning delivery_id",
        list(meta.values()),
    )


def insert_deliveries(conn: psycopg.Connection, metas: list[dict[str, Any]]) -> psycopg.Cursor[Any]:
    """A batch's delivery rows in one statement (the batch made sure, under the unit's
    lock, that none of these nights has a delivery); the cursor's rows are
    (delivery_id, business_date)."""
    columns = ", ".join(metas[0])
    return conn.execute(
        f"""insert into quality.delivery ({columns}, status)
            select {columns}, 'loaded'
            from jsonb_populate_recordset(null::quality.delivery, %s)
            returning delivery_id, business_date""",
        (_recordset(metas),),
    )


def finish_and_commit(conn: psycopg.Connection, written: list[DeliveryRows]) -> None:
    """The deliveries' rejected rows and warnings, their counts (removing the rows
    superseded within each), and the commit: one round trip unless there are many
    rejected rows or warnings, which go by COPY first."""
    pending = []
    for table, columns, kept in (
        ("quality.rejected_row", _REJECTED, "rejected"),
        ("quality.warning", _WARNED, "warnings"),
    ):
        rows = ((d.result.delivery_id, *row) for d in written for row in getattr(d, kept))
        if sum(len(getattr(d, kept)) for d in written) > _FEW_ROWS:
            _copy_rows(conn, table, columns, rows)
        else:
            pending.append((table, columns, list(rows)))
    # Only a delivery whose record ids repeat can have superseded rows to remove.
    repeating = [d for d in written if d.repeats]
    plain = [d for d in written if not d.repeats]
    with conn.pipeline():
        for table, columns, few in pending:
            if few:
                _insert_rows(conn, table, columns, few)
        counted = [_drop_superseded_and_count(conn, d) for d in repeating]
        if plain:
            _set_counts(conn, plain)
        conn.execute("commit")
    for delivery in plain:
        delivery.result.rows_superseded = 0
        delivery.result.rows_published = delivery.published
    for delivery, cursor in zip(repeating, counted, strict=True):
        result = delivery.result
        result.rows_superseded = int(cursor.fetchone()[0])  # type: ignore[index]
        result.rows_published = delivery.published - result.rows_superseded


def record_incomplete(
    conn: psycopg.Connection, result: DeliveryResult, meta: dict[str, Any], detail: str
) -> DeliveryResult:
    """Nothing of the delivery is published; the whole delivery counts as rejected."""
    columns = ", ".join(meta)
    delivery_id = conn.execute(
        f"insert into quality.delivery ({columns}, status, status_detail, rows_received, "
        f"rows_rejected) values ({', '.join(['%s'] * len(meta))}, 'incomplete', %s, %s, %s) "
        "returning delivery_id",
        [*meta.values(), detail, result.rows_received, result.rows_received],
    ).fetchone()[0]  # type: ignore[index]
    return DeliveryResult(
        result.unit_code,
        result.business_date,
        "incomplete",
        delivery_id,
        rows_received=result.rows_received,
        rows_rejected=result.rows_received,
        detail=detail,
    )


#: The rows superseded within a delivery, deleted; their number is `dropped.n`.
#: The unit names the partition (a ctid is only unique within one).
_DROP_SUPERSEDED = """superseded as (
               delete from raw.initiative_row r
               using (
                   select tableoid, ctid, row_number() over (
                       partition by record_id order by updated_at desc nulls last, line_number desc
                   ) as version_rank
                   from raw.initiative_row where unit_code = %(unit)s and delivery_id = %(id)s
               ) ranked
               where r.unit_code = %(unit)s and r.delivery_id = %(id)s
                   and r.tableoid = ranked.tableoid and r.ctid = ranked.ctid
                   and ranked.version_rank > 1
               returning 1
           ),
           dropped as (select count(*)::integer as n from superseded)"""


def _set_counts(conn: psycopg.Connection, written: list[DeliveryRows]) -> None:
    """The counts of deliveries with nothing superseded, in one statement."""
    counts = [
        {
            "delivery_id": d.result.delivery_id,
            "rows_received": d.result.rows_received,
            "rows_published": d.published,
            "rows_rejected": d.result.rows_rejected,
        }
        for d in written
    ]
    conn.execute(
        """update quality.delivery d set rows_received = c.rows_received,
               rows_published = c.rows_published, rows_rejected = c.rows_rejected,
               rows_superseded = 0, loaded_at = now()
           from jsonb_populate_recordset(null::quality.delivery, %s) c
           where d.delivery_id = c.delivery_id""",
        (_recordset(counts),),
    )


def _drop_superseded_and_count(
    conn: psycopg.Connection, delivery: DeliveryRows
) -> psycopg.Cursor[Any]:
    """Remove the rows superseded within the delivery and write its counts, in one
    statement whose one row is how many were superseded. Within a delivery the
    latest `updated_at`, then the later line, wins (contract §4a)."""
    result = delivery.result
    return conn.execute(
        f"""with {_DROP_SUPERSEDED}
           update quality.delivery set rows_received = %(received)s,
               rows_published = %(copied)s - dropped.n, rows_rejected = %(rejected)s,
               rows_superseded = dropped.n, loaded_at = now()
           from dropped
           where delivery_id = %(id)s
           returning rows_superseded""",
        {
            "id": result.delivery_id,
            "unit": result.unit_code,
            "received": result.rows_received,
            "copied": delivery.published,
            "rejected": result.rows_rejected,
        },
    )


def _copy_rows(
    conn: psycopg.Connection, table: str, columns: tuple[str, ...], rows: Iterable[tuple[Any, ...]]
) -> None:
    """COPY `rows` into a quality table, through a temporary table: row-level security
    (the provincial analysts' scope) is on for those tables, and PostgreSQL refuses
    COPY FROM into them for any role that does not bypass it, as the loader does not."""
    listed = ", ".join(columns)
    buffer = f"copy_{table.replace('.', '_')}"
    conn.execute(
        f"create temporary table if not exists {buffer} as select {listed} from {table}"
        " with no data"
    )
    with conn.cursor().copy(f"copy {buffer} ({listed}) from stdin") as copy:
        for row in rows:
            copy.write_row(row)
    conn.execute(f"insert into {table} ({listed}) select {listed} from {buffer}")
    conn.execute(f"truncate {buffer}")


def _insert_rows(
    conn: psycopg.Connection, table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]
) -> None:
    """A few hundred rows at most (the deliveries' rejections and warnings), in one
    statement: a statement each made a batch of 200 deliveries wait on hundreds."""
    listed = ", ".join(columns)
    conn.execute(
        f"""insert into {table} ({listed})
            select {listed} from jsonb_populate_recordset(null::{table}, %s)""",
        (_recordset([dict(zip(columns, row, strict=True)) for row in rows]),),
    )


def _recordset(rows: list[dict[str, Any]]) -> Jsonb:
    """Rows for `jsonb_populate_recordset`, dates and times as ISO text."""
    return Jsonb(rows, dumps=lambda value: json.dumps(value, default=lambda v: v.isoformat()))
