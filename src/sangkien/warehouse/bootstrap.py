"""Create the schemas and tables the pipeline needs, idempotently."""

from __future__ import annotations

from importlib import resources

import psycopg

_LOCK_KEY = 7_425_113  # one bootstrap at a time across concurrent tasks


def bootstrap(conn: psycopg.Connection) -> None:
    """Apply `schema.sql`; safe to run on every start and from parallel tasks."""
    ddl = resources.files("sangkien.warehouse").joinpath("schema.sql").read_text("utf-8")
    with conn.transaction():
        conn.execute("select pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
        conn.execute(ddl)  # type: ignore[arg-type]
