"""Province-scoped access: a provincial analyst's login sees only its unit's rows.

A provincial analyst is a login granted `sangkien_province_analyst` and mapped
to one unit in `quality.analyst_scope` (`sangkien grant-province`). Row-level
security on every `quality` and `restricted` table with a unit shows such a
login its unit's rows only; the pipeline's roles and the national analysts and
reporter keep seeing every row. dbt recreates some of these tables, so the
policies are re-applied after every build (`apply_row_security`).
"""

from __future__ import annotations

import re
import secrets

import psycopg
from psycopg import sql

from sangkien.reference import reporting_units

PROVINCE_ROLE = "sangkien_province_analyst"
_EVERYONE_ELSE = "sangkien_loader, sangkien_transformer, sangkien_analyst, sangkien_reporter"
_OWN_UNIT = "unit_code in (select quality.visible_units())"
_ANY_SIDE = (
    "split_part(initiative_key, ':', 1) in (select quality.visible_units())"
    " or split_part(duplicate_of_key, ':', 1) in (select quality.visible_units())"
)
#: Tables with rows of one unit, and how a row's unit is read.
SCOPED_TABLES: dict[str, str] = {
    "quality.delivery": _OWN_UNIT,
    "quality.rejected_row": _OWN_UNIT,
    "quality.warning": _OWN_UNIT,
    "quality.night_outcome": _OWN_UNIT,
    "quality.unit_freshness": _OWN_UNIT,
    # A duplicate pair concerns both units: each sees it.
    "quality.duplicate_link": _ANY_SIDE,
    "restricted.initiative_detail": _OWN_UNIT,
}

SETUP_SQL = f"""
do $$
begin
    if not exists (select from pg_roles where rolname = '{PROVINCE_ROLE}') then
        create role {PROVINCE_ROLE} nologin;
    end if;
end
$$;
create table if not exists quality.analyst_scope (
    login text primary key,
    unit_code text not null,
    granted_at timestamptz not null default now()
);
-- The caller's units, readable without granting the mapping table itself.
create or replace function quality.visible_units() returns setof text
language sql stable security definer set search_path = pg_catalog, quality as $fn$
    select unit_code from quality.analyst_scope where login = session_user
$fn$;
revoke all on quality.analyst_scope from public;
grant usage on schema marts, quality, restricted to {PROVINCE_ROLE};
"""


def apply_row_security(conn: psycopg.Connection) -> list[str]:
    """(Re)create the policies on every scoped table that exists; return those tables."""
    may_create_roles = conn.execute(
        "select rolsuper or rolcreaterole from pg_roles where rolname = current_user"
    ).fetchone()[0]  # type: ignore[index]
    if may_create_roles:
        conn.execute(SETUP_SQL)  # type: ignore[arg-type]
    if conn.execute("select from pg_roles where rolname = %s", (PROVINCE_ROLE,)).fetchone() is None:
        return []  # installed by `sangkien db bootstrap` as the administrator
    done = []
    for table, visible in SCOPED_TABLES.items():
        # Only a table's owner may change its policies: the administrator at
        # bootstrap (the loader's tables), the pipeline after a build (dbt's).
        owned = conn.execute(
            """select pg_has_role(current_user, c.relowner, 'usage') from pg_class c
               where c.oid = to_regclass(%s)""",
            (table,),
        ).fetchone()
        if not owned or not owned[0]:
            continue
        conn.execute(f"alter table {table} enable row level security")
        conn.execute(f"drop policy if exists own_unit on {table}")
        conn.execute(
            f"create policy own_unit on {table} for select to {PROVINCE_ROLE} using ({visible})"
        )
        conn.execute(f"drop policy if exists every_row on {table}")
        conn.execute(
            f"create policy every_row on {table} to {_EVERYONE_ELSE} using (true) with check (true)"
        )
        conn.execute(f"grant select on {table} to {PROVINCE_ROLE}")
        done.append(table)
    conn.execute(f"grant select on all tables in schema marts to {PROVINCE_ROLE}")
    return done


def grant_province(
    conn: psycopg.Connection, unit_code: str, login: str, password: str | None = None
) -> str | None:
    """Create or update a provincial analyst's login for one unit.

    Returns the generated password when none was given (shown once, never stored).
    """
    if unit_code not in reporting_units():
        raise ValueError(f"{unit_code} is not a reporting unit")
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", login):
        raise ValueError(f"login '{login}' must be lower-case letters, digits and _ (max 63)")
    generated = None
    if password is None:
        password = generated = secrets.token_urlsafe(18)
    with conn.transaction():
        apply_row_security(conn)
        exists = conn.execute("select from pg_roles where rolname = %s", (login,)).fetchone()
        verb = "alter" if exists is not None else "create"
        conn.execute(
            sql.SQL(verb + " role {} with login password {}").format(
                sql.Identifier(login), sql.Literal(password)
            )
        )
        conn.execute(
            sql.SQL("grant {} to {}").format(sql.Identifier(PROVINCE_ROLE), sql.Identifier(login))
        )
        conn.execute(
            """insert into quality.analyst_scope (login, unit_code) values (%s, %s)
               on conflict (login) do update set unit_code = excluded.unit_code,
                   granted_at = now()""",
            (login, unit_code),
        )
    return generated
