"""Create the schemas, tables and roles the pipeline needs, idempotently.

The DDL is applied only when it changed since the last bootstrap (its hash is
kept in `quality.bootstrap`), so the nightly run can call this cheaply, even
as a login that may not create schemas. Roles are created only by a role that
may create them (the administrator, at install time).
"""

from __future__ import annotations

import hashlib
from importlib import resources

import psycopg

_LOCK_KEY = 7_425_113  # one bootstrap at a time across concurrent tasks


def _sql(name: str) -> str:
    return resources.files("sangkien.warehouse").joinpath(name).read_text("utf-8")


def _can_create_roles(conn: psycopg.Connection) -> bool:
    row = conn.execute(
        "select rolsuper or rolcreaterole from pg_roles where rolname = current_user"
    ).fetchone()
    return bool(row and row[0])


def bootstrap(conn: psycopg.Connection) -> bool:
    """Apply the schema (and roles where allowed); return whether anything ran."""
    schema, roles = _sql("schema.sql"), _sql("roles.sql")
    with_roles = _can_create_roles(conn)
    digest = hashlib.sha256((schema + (roles if with_roles else "")).encode()).hexdigest()
    if (
        conn.execute("select to_regclass('quality.bootstrap')").fetchone()[0]
        and conn.execute(  # type: ignore[index]
            "select 1 from quality.bootstrap where schema_sha256 = %s", (digest,)
        ).fetchone()
    ):
        return False
    with conn.transaction():
        conn.execute("select pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
        conn.execute(schema)  # type: ignore[arg-type]
        if with_roles:
            conn.execute(roles)  # type: ignore[arg-type]
            from sangkien.warehouse.row_security import apply_row_security

            apply_row_security(conn)
        conn.execute(
            "create table if not exists quality.bootstrap ("
            " schema_sha256 text primary key, applied_at timestamptz not null default now())"
        )
        conn.execute(
            "insert into quality.bootstrap (schema_sha256) values (%s) on conflict do nothing",
            (digest,),
        )
    return True
