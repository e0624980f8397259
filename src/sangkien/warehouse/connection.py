"""Which warehouse to talk to, as whom, and a connection to it.

The pipeline's login, in order: `SANGKIEN_WAREHOUSE_DSN`; the Airflow connection
`sangkien_warehouse` (as Airflow exposes it in `AIRFLOW_CONN_SANGKIEN_WAREHOUSE`);
otherwise the private local cluster of this checkout, started on demand, whose
pipeline login is made like a deployment's (no superuser, member of the
pipeline's roles).

Each step works as one of the contract's roles, never as the login itself:
landing as `sangkien_loader`, dbt and publication as `sangkien_transformer`,
reports as `sangkien_reporter` (`connect(role=...)` sets the session's role at
start-up, so the step has that role's privileges only and what it creates is
owned by that role). Administration (`sangkien db bootstrap`, `grant-province`)
uses `SANGKIEN_WAREHOUSE_ADMIN_DSN`, or the local cluster's administrator.
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING

from sangkien.settings import STATE_DIR, load_settings

if TYPE_CHECKING:
    import psycopg

_PASSWORD = re.compile(r"(://[^:/@]+:)[^@]*(@)|(password\s*=\s*)('[^']*'|\S+)", re.IGNORECASE)


def redact(text: str) -> str:
    """A DSN or message with any password replaced by ***."""
    return _PASSWORD.sub(lambda m: f"{m[1]}***{m[2]}" if m[1] else f"{m[3]}***", text)


def _airflow_connection_uri() -> str | None:
    uri = os.environ.get("AIRFLOW_CONN_SANGKIEN_WAREHOUSE")
    if not uri:
        return None
    if uri.lstrip().startswith("{"):
        import json

        spec = json.loads(uri)
        return (
            f"postgresql://{spec.get('login', '')}:{spec.get('password', '')}@"
            f"{spec.get('host', 'localhost')}:{spec.get('port', 5432)}/{spec.get('schema', '')}"
        )
    # Airflow's URI scheme is `postgres://` or `postgresql://`; libpq takes both.
    return uri


LOADER = "sangkien_loader"
TRANSFORMER = "sangkien_transformer"
ANALYST = "sangkien_analyst"
REPORTER = "sangkien_reporter"
#: The roles the pipeline's login must be a member of.
PIPELINE_ROLES = (LOADER, TRANSFORMER, REPORTER)


#: Settings of every pipeline session (psycopg, GX, dbt). JIT compiles for seconds
#: whenever a plan's estimated cost is high, which the checks', tests' and reports'
#: plans are on big tables however few rows they touch.
SESSION_SETTINGS = {"jit": "off"}

#: Planner costs for an incremental build of a warehouse built before. Its working
#: set is in memory or on SSD, where an index probe costs little more than a
#: sequential read: at the default random_page_cost (4, for spinning disks) the
#: planner scanned multi-million-row tables to find a night's few thousand keys.
#: Not for a first build or a full refresh: there whole tables are joined, and at
#: 1.1 the planner swaps hash joins for merge joins over full index scans.
INCREMENTAL_BUILD_SETTINGS = {"random_page_cost": "1.1"}


def session_options(**settings: str) -> str:
    """libpq `options` setting these run-time parameters (`-c name=value ...`)."""
    return " ".join(f"-c {name}={value}" for name, value in settings.items())


class WarehouseRoleError(RuntimeError):
    """The login may not take the role a step works as."""


def local_cluster():  # type: ignore[no-untyped-def]
    """This checkout's private cluster (`.sangkien/postgres`)."""
    from sangkien.warehouse.local_cluster import LocalCluster

    return LocalCluster(STATE_DIR / "postgres")


def warehouse_dsn() -> str:
    """The pipeline login's connection string, starting the local cluster if needed."""
    dsn = load_settings().warehouse_dsn or _airflow_connection_uri()
    if dsn:
        return dsn
    return local_cluster().pipeline_dsn()


def admin_dsn() -> str:
    """The administrator's connection string: for installing and granting, never nightly."""
    dsn = os.environ.get("SANGKIEN_WAREHOUSE_ADMIN_DSN")
    if dsn:
        return dsn
    if load_settings().warehouse_dsn or _airflow_connection_uri():
        # A deployment without a separate admin DSN: its one login must do.
        return warehouse_dsn()
    return local_cluster().up()


def role_url(dsn: str, role: str, **settings: str) -> str:
    """`dsn` as a URL whose sessions start as `role`, with `settings` (`name=value`
    run-time parameters; for SQLAlchemy-based tools)."""
    from urllib.parse import quote

    from psycopg.conninfo import conninfo_to_dict

    params = {k: str(v) for k, v in conninfo_to_dict(dsn).items()}
    user, password = params.pop("user", ""), params.pop("password", "")
    host, port = params.pop("host", "127.0.0.1"), params.pop("port", "5432")
    dbname = params.pop("dbname", "")
    extra = {name.replace("__", "."): value for name, value in settings.items()}
    wanted = session_options(role=role, **SESSION_SETTINGS, **extra)
    params["options"] = f"{params.get('options', '')} {wanted}".strip()
    credentials = quote(user, safe="") + (":" + quote(password, safe="") if password else "")
    query = "&".join(f"{k}={quote(v, safe='')}" for k, v in params.items())
    return f"postgresql://{credentials}@{host}:{port}/{quote(dbname, safe='')}?{query}"


def connect(
    dsn: str | None = None, *, role: str | None = None, **kwargs: object
) -> psycopg.Connection:
    """A connection in Vietnam's time zone; with `role`, a session working as that role."""
    import psycopg

    options = session_options(
        timezone="Asia/Ho_Chi_Minh", **SESSION_SETTINGS, **({"role": role} if role else {})
    )
    try:
        return psycopg.connect(
            dsn or warehouse_dsn(),
            application_name="sangkien",
            options=options,
            **kwargs,  # type: ignore[arg-type]
        )
    except psycopg.OperationalError as exc:
        if role and "permission denied to set role" in str(exc):
            raise WarehouseRoleError(
                f"the warehouse login may not work as {role}: as the administrator, run "
                f"'grant {role} to <login>' (see SECURITY.md, 'Roles')"
            ) from None
        raise
