"""Create or update the warehouse login the pipeline runs as (idempotent).

Run by docker/init.sh after `sangkien db bootstrap`, with the warehouse admin's
DSN. The login gets no superuser, CREATEDB or CREATEROLE right: only membership
of the project's group roles (`SANGKIEN_APP_ROLES`, space separated), which
`sangkien db bootstrap` creates. Its password is (re)set from the environment on
every run, so rotating it is: change `.env`, rerun airflow-init, restart.

Environment: SANGKIEN_WAREHOUSE_ADMIN_DSN, SANGKIEN_APP_LOGIN,
SANGKIEN_APP_PASSWORD, SANGKIEN_APP_ROLES.
"""

from __future__ import annotations

import os
import sys

import psycopg
from psycopg import sql

DEFAULT_ROLES = "sangkien_loader sangkien_transformer sangkien_reporter"


def main() -> int:
    admin_dsn = os.environ["SANGKIEN_WAREHOUSE_ADMIN_DSN"]
    login = os.environ["SANGKIEN_APP_LOGIN"]
    password = os.environ["SANGKIEN_APP_PASSWORD"]
    roles = (os.environ.get("SANGKIEN_APP_ROLES") or DEFAULT_ROLES).split()

    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        found = {
            name
            for (name,) in conn.execute(
                "select rolname from pg_roles where rolname = any(%s)", (roles,)
            ).fetchall()
        }
        missing = [role for role in roles if role not in found]
        if missing:
            print(
                "ensure_warehouse_login: role(s) missing after `sangkien db bootstrap`: "
                + ", ".join(missing)
                + " (set SANGKIEN_APP_ROLES to the roles the bootstrap creates)",
                file=sys.stderr,
            )
            return 1

        exists = conn.execute("select 1 from pg_roles where rolname = %s", (login,)).fetchone()
        verb = sql.SQL("alter role" if exists else "create role")
        conn.execute(
            sql.SQL(
                "{} {} with login inherit nosuperuser nocreatedb nocreaterole password {}"
            ).format(verb, sql.Identifier(login), sql.Literal(password))
        )
        for role in roles:
            conn.execute(
                sql.SQL("grant {} to {}").format(sql.Identifier(role), sql.Identifier(login))
            )
    print(f"ensure_warehouse_login: {login} is a member of {', '.join(roles)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
