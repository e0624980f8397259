"""The pipeline's own login: no superuser, a member of the pipeline's roles only.

Made at install time with the administrator's connection (docker/init.sh in a
deployment, the local cluster for demos and tests); its password comes from the
caller and is never stored in the warehouse.
"""

from __future__ import annotations

import psycopg
from psycopg import sql

from sangkien.warehouse.connection import PIPELINE_ROLES


def pipeline_login_ready(conn: psycopg.Connection, login: str, roles: tuple[str, ...]) -> bool:
    """Whether `login` exists, may log in, is no superuser and holds every role."""
    row = conn.execute(
        """select r.rolcanlogin and not r.rolsuper
               and (select bool_and(pg_has_role(r.oid, g, 'member')) from unnest(%s::text[]) g)
           from pg_roles r where r.rolname = %s""",
        (list(roles), login),
    ).fetchone()
    return bool(row and row[0])


def ensure_pipeline_login(
    conn: psycopg.Connection,
    login: str,
    password: str,
    roles: tuple[str, ...] = PIPELINE_ROLES,
) -> None:
    """Create or update `login` (password reset) as a member of `roles`.

    The roles must exist (`sangkien db bootstrap` creates them); raises otherwise."""
    found = {
        name
        for (name,) in conn.execute(
            "select rolname from pg_roles where rolname = any(%s)", (list(roles),)
        ).fetchall()
    }
    missing = [role for role in roles if role not in found]
    if missing:
        raise RuntimeError(
            f"role(s) {', '.join(missing)} missing: run `sangkien db bootstrap` "
            "with the administrator's DSN first"
        )
    exists = conn.execute("select from pg_roles where rolname = %s", (login,)).fetchone()
    verb = sql.SQL("alter role" if exists is not None else "create role")
    conn.execute(
        sql.SQL("{} {} with login inherit nosuperuser nocreatedb nocreaterole password {}").format(
            verb, sql.Identifier(login), sql.Literal(password)
        )
    )
    for role in roles:
        conn.execute(sql.SQL("grant {} to {}").format(sql.Identifier(role), sql.Identifier(login)))
