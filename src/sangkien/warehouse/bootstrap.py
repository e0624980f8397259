"""Create the schemas, tables and roles the pipeline needs, idempotently.

The DDL is applied only when it changed since the last bootstrap (its hash is
kept in `quality.bootstrap`), so the nightly run can call this cheaply to check
that the warehouse is installed. Applying it takes the administrator (at install
or upgrade time, `sangkien db bootstrap`): the pipeline's roles may not create
schemas, and a night that finds the schema missing or out of date stops with
`BootstrapRequired` instead of failing half-way.
"""

from __future__ import annotations

import hashlib
from importlib import resources

import psycopg
from psycopg import sql

_LOCK_KEY = 7_425_113  # one bootstrap at a time across concurrent tasks


def _sql(name: str) -> str:
    return resources.files("sangkien.warehouse").joinpath(name).read_text("utf-8")


class BootstrapRequired(RuntimeError):
    """The warehouse's schema is missing or older than this code."""


def _can_create_roles(conn: psycopg.Connection) -> bool:
    row = conn.execute(
        "select rolsuper or rolcreaterole from pg_roles where rolname = current_user"
    ).fetchone()
    return bool(row and row[0])


def _partition_raw(conn: psycopg.Connection) -> None:
    """One partition of `raw.initiative_row` per reporting unit, and a default one."""
    partitioned = conn.execute(
        "select relkind = 'p' from pg_class where oid = 'raw.initiative_row'::regclass"
    ).fetchone()[0]  # type: ignore[index]
    if not partitioned:
        return  # made before partitioning: left as it is
    from sangkien.reference import reporting_units

    for code in reporting_units():
        conn.execute(
            sql.SQL(
                "create table if not exists raw.{} partition of raw.initiative_row"
                " for values in ({})"
            ).format(sql.Identifier(f"initiative_row_{code.lower()}"), sql.Literal(code))
        )
    conn.execute(
        "create table if not exists raw.initiative_row_default"
        " partition of raw.initiative_row default"
    )


def bootstrap(conn: psycopg.Connection) -> bool:
    """Apply the schema (and roles where allowed); return whether anything ran."""
    schema, roles = _sql("schema.sql"), _sql("roles.sql")
    operations = resources.files("sangkien.operations").joinpath("operations.sql").read_text()
    with_roles = _can_create_roles(conn)
    # The tables' digest says "installed" to the pipeline's roles; the administrator's
    # also covers the roles and grants.
    from sangkien.reference import reporting_units

    tables = schema + operations + ",".join(reporting_units())  # a new unit: a new partition
    tables_digest = hashlib.sha256(tables.encode()).hexdigest()
    digest = hashlib.sha256((tables + roles).encode()).hexdigest()
    if (
        conn.execute("select to_regclass('quality.bootstrap')").fetchone()[0]
        and conn.execute(  # type: ignore[index]
            "select 1 from quality.bootstrap where schema_sha256 = %s",
            (digest if with_roles else tables_digest,),
        ).fetchone()
    ):
        return False
    may_create = conn.execute(
        "select has_database_privilege(current_user, current_database(), 'CREATE')"
    ).fetchone()[0]  # type: ignore[index]
    if not (with_roles or may_create):
        raise BootstrapRequired(
            "the warehouse schema is missing or older than this version of sangkien: "
            "run `sangkien db bootstrap` with the administrator's DSN "
            "(SANGKIEN_WAREHOUSE_ADMIN_DSN), then rerun the night"
        )
    with conn.transaction():
        conn.execute("select pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
        conn.execute(schema)  # type: ignore[arg-type]
        _partition_raw(conn)
        conn.execute(
            "create table if not exists quality.bootstrap ("
            " schema_sha256 text primary key, applied_at timestamptz not null default now())"
        )
        if with_roles:
            conn.execute(roles)  # type: ignore[arg-type]
            from sangkien.warehouse.row_security import apply_row_security

            apply_row_security(conn)
        from sangkien.operations.schema import ensure_operations_schema

        ensure_operations_schema(conn)
        conn.execute(
            "insert into quality.bootstrap (schema_sha256) values (%s), (%s)"
            " on conflict do nothing",
            (tables_digest, digest if with_roles else tables_digest),
        )
    return True
