"""Publishing: the audited candidate statistics become what analysts read, atomically.

dbt builds the published models into `marts_candidate`; the gate audits them
there; only then does `publish` copy them into `marts` in one transaction
(write-audit-publish). A night whose gate fails publishes nothing: `marts`
keeps the last good state, and the next good night publishes everything
since.

The small tables (units × dates at most) are replaced whole. `fct_initiative`
(millions of rows, partitioned by unit) is synced by key: only the records
whose state changed since the last publication are deleted and re-inserted,
read from the change log dbt appends to (`intermediate.int_records__change_log`),
so publishing costs in proportion to the nights since the last publication,
not to history.
Replacing rows, not tables, keeps the tables' identity (analysts' own views
and grants survive).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import psycopg
from psycopg import sql

CANDIDATE = "marts_candidate"
PUBLISHED = "marts"
WHOLE_TABLES = (
    "dim_unit",
    "fct_unit_daily",
    "rpt_unit_ranking",
    "rpt_target_attainment",
    "rpt_programme_progress",
    "rpt_breakdown",
    "rpt_unit_participants",
)
#: Synced by key, unit by unit: each key starts with its unit's code
#: (`<unit_code>:<record_id>`).
KEYED_TABLES = {"fct_initiative": "initiative_key"}
#: Published tables LIST-partitioned by unit: a partition per unit that has rows,
#: in a schema of their own (analysts see and are granted the one table). The
#: nightly sync then deletes a unit's changed keys in that unit's partition, and a
#: unit's records can be reloaded, detached or moved (Citus, docs/scaling.md) alone.
PARTITIONED_BY_UNIT = ("fct_initiative",)
PARTITIONS = "marts_partitions"
CHANGE_LOG = "intermediate.int_records__change_log"
#: What the nightly gate compares with the last published state (gate/checks.py).
GATE_COMPARES = ("fct_initiative", "fct_unit_daily")

# `quality.publication` is made at install time (operations/operations.sql).


@dataclass
class Publication:
    business_date: date
    published: bool
    rows_synced: int = 0
    message: str = ""


def _columns(conn: psycopg.Connection, schema: str, table: str) -> list[tuple[str, str]]:
    return conn.execute(
        """select a.attname, format_type(a.atttypid, a.atttypmod)
           from pg_attribute a join pg_class c on c.oid = a.attrelid
           join pg_namespace n on n.oid = c.relnamespace
           where n.nspname = %s and c.relname = %s and a.attnum > 0 and not a.attisdropped
           order by a.attnum""",
        (schema, table),
    ).fetchall()


def _ensure_published_table(conn: psycopg.Connection, table: str) -> bool:
    """Create or reshape `marts.table` like the candidate (partitioned by unit where
    listed, so an older unpartitioned table is replaced); True when (re)created."""
    wanted = _columns(conn, CANDIDATE, table)
    if not wanted:
        raise RuntimeError(f"{CANDIDATE}.{table} does not exist: build the models first")
    if _columns(conn, PUBLISHED, table) == wanted and _partitioned(conn, table) == (
        table in PARTITIONED_BY_UNIT
    ):
        return False
    conn.execute(f"drop table if exists {PUBLISHED}.{table}")
    _create_published_table(conn, table)
    return True


def _partitioned(conn: psycopg.Connection, table: str) -> bool:
    found = conn.execute(
        "select relkind = 'p' from pg_class where oid = to_regclass(%s)",
        (f"{PUBLISHED}.{table}",),
    ).fetchone()
    return bool(found and found[0])


def _create_published_table(conn: psycopg.Connection, table: str) -> None:
    like = f"(like {CANDIDATE}.{table} including defaults)"
    partitioned = table in PARTITIONED_BY_UNIT
    by_unit = " partition by list (unit_code)" if partitioned else ""
    conn.execute(f"create table {PUBLISHED}.{table} {like}{by_unit}")
    if table in KEYED_TABLES:
        # A partitioned table's unique keys include its partition column: the
        # same rows are unique, since the key starts with the unit's code.
        key = ("unit_code, " if partitioned else "") + KEYED_TABLES[table]
        conn.execute(f"alter table {PUBLISHED}.{table} add primary key ({key})")


def _ensure_unit_partitions(conn: psycopg.Connection, table: str, units_query: str) -> None:
    """Create the partitions of `marts.table` the units of `units_query` need."""
    if table not in PARTITIONED_BY_UNIT:
        return
    existing = {
        name
        for (name,) in conn.execute(
            """select c.relname from pg_inherits i join pg_class c on c.oid = i.inhrelid
               where i.inhparent = %s::regclass""",
            (f"{PUBLISHED}.{table}",),
        )
    }
    units = [u for (u,) in conn.execute(f"select distinct unit_code from ({units_query}) u")]
    for unit in sorted(units):
        name = f"{table}_{unit.lower()}"
        if name not in existing:
            conn.execute(
                sql.SQL("create table {} partition of {} for values in ({})").format(
                    sql.Identifier(PARTITIONS, name),
                    sql.Identifier(PUBLISHED, table),
                    sql.Literal(unit),
                )
            )


def _is_empty(conn: psycopg.Connection, table: str) -> bool:
    return not conn.execute(f"select exists (select from {PUBLISHED}.{table})").fetchone()[0]  # type: ignore[index]


def prepare_published_tables(conn: psycopg.Connection) -> None:
    """Create the published tables the gate compares the candidate with, when missing.

    Before the first publication they are created empty (like the candidate);
    `publish` copies a keyed table whole while it is empty, so creating it early
    never turns a first copy into a partial one."""
    for table in GATE_COMPARES:
        if not _columns(conn, PUBLISHED, table):
            _create_published_table(conn, table)


def last_publication(conn: psycopg.Connection) -> tuple[date | None, datetime | None]:
    row = conn.execute(
        """select business_date, changes_through from quality.publication
           where published order by publication_id desc limit 1"""
    ).fetchone()
    return (row[0], row[1]) if row else (None, None)


def publish(conn: psycopg.Connection, business_date: date, *, full: bool = False) -> Publication:
    """Copy the audited candidate into `marts` in one transaction."""
    synced = 0
    with conn.transaction():
        # One publisher at a time; readers keep seeing the old rows until commit.
        conn.execute("select pg_advisory_xact_lock(hashtext('sangkien-publish'))")
        _, since = last_publication(conn)
        through = conn.execute(f"select max(changed_at) from {CHANGE_LOG}").fetchone()[0]  # type: ignore[index]
        for table in WHOLE_TABLES:
            _ensure_published_table(conn, table)
            conn.execute(f"delete from {PUBLISHED}.{table}")
            synced += conn.execute(
                f"insert into {PUBLISHED}.{table} select * from {CANDIDATE}.{table}"
            ).rowcount
        for table, key in KEYED_TABLES.items():
            recreated = _ensure_published_table(conn, table)
            if full or recreated or since is None or _is_empty(conn, table):
                _ensure_unit_partitions(conn, table, f"select unit_code from {CANDIDATE}.{table}")
                conn.execute(f"delete from {PUBLISHED}.{table}")
                synced += conn.execute(
                    f"insert into {PUBLISHED}.{table} select * from {CANDIDATE}.{table}"
                ).rowcount
                continue
            synced += _sync_changed(conn, table, key, since)
        _grant_readers(conn)
        conn.execute(
            """insert into quality.publication (business_date, published, changes_through,
                   message) values (%s, true, %s, %s)""",
            (business_date, through, f"{synced} rows published"),
        )
    return Publication(business_date, True, synced, f"published {synced} rows")


def _sync_changed(conn: psycopg.Connection, table: str, key: str, since: datetime) -> int:
    """Replace the rows of the keys changed since `since`; the number inserted."""
    conn.execute(
        f"""create temporary table changed_keys on commit drop as
            select distinct {key}, split_part({key}, ':', 1) as unit_code
            from {CHANGE_LOG} where changed_at > %s""",
        (since,),
    )
    _ensure_unit_partitions(conn, table, "select unit_code from changed_keys")
    # Unit by unit, each delete reads one partition through its key index.
    by_unit = conn.execute(
        f"select unit_code, array_agg({key}) from changed_keys group by unit_code"
    ).fetchall()
    conn.cursor().executemany(
        f"delete from {PUBLISHED}.{table} where unit_code = %s and {key} = any(%s)", by_unit
    )
    return conn.execute(
        f"""insert into {PUBLISHED}.{table}
            select t.* from {CANDIDATE}.{table} t join changed_keys c using ({key})"""
    ).rowcount


def record_blocked(
    conn: psycopg.Connection,
    business_date: date,
    failed_checks: list[str],
    units: list[str],
    message: str,
) -> Publication:
    """Remember that the gate kept `marts` as it was for this night."""
    conn.execute(
        """insert into quality.publication (business_date, published, failed_checks,
               units_involved, message) values (%s, false, %s, %s, %s)""",
        (business_date, failed_checks, units, message),
    )
    return Publication(business_date, False, 0, message)


def _grant_readers(conn: psycopg.Connection) -> None:
    """Re-apply the readers' grants on every publication (tables may be recreated)."""
    exists = conn.execute(
        "select count(*) from pg_roles where rolname in ('sangkien_analyst', 'sangkien_reporter')"
    ).fetchone()[0]  # type: ignore[index]
    if exists == 2:
        conn.execute("grant usage on schema marts to sangkien_analyst, sangkien_reporter")
        conn.execute(
            "grant select on all tables in schema marts to sangkien_analyst, sangkien_reporter"
        )
        from sangkien.warehouse.row_security import apply_row_security

        apply_row_security(conn)
