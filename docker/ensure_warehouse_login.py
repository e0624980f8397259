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

from sangkien.warehouse.connection import PIPELINE_ROLES
from sangkien.warehouse.logins import ensure_pipeline_login


def main() -> int:
    login = os.environ["SANGKIEN_APP_LOGIN"]
    roles = tuple((os.environ.get("SANGKIEN_APP_ROLES") or " ".join(PIPELINE_ROLES)).split())
    with psycopg.connect(os.environ["SANGKIEN_WAREHOUSE_ADMIN_DSN"], autocommit=True) as conn:
        try:
            ensure_pipeline_login(conn, login, os.environ["SANGKIEN_APP_PASSWORD"], roles)
        except RuntimeError as exc:
            print(f"ensure_warehouse_login: {exc}", file=sys.stderr)
            return 1
    print(f"ensure_warehouse_login: {login} is a member of {', '.join(roles)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
