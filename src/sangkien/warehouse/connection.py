"""Which warehouse to talk to, and a connection to it.

In order: `SANGKIEN_WAREHOUSE_DSN`; the Airflow connection `sangkien_warehouse`
(as Airflow exposes it in `AIRFLOW_CONN_SANGKIEN_WAREHOUSE`); otherwise the
private local cluster of this checkout, started on demand.
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


def warehouse_dsn() -> str:
    """The libpq connection string of the warehouse, starting the local one if needed."""
    dsn = load_settings().warehouse_dsn or _airflow_connection_uri()
    if dsn:
        return dsn
    from sangkien.warehouse.local_cluster import LocalCluster

    return LocalCluster(STATE_DIR / "postgres").up()


def connect(dsn: str | None = None, **kwargs: object) -> psycopg.Connection:
    import psycopg

    return psycopg.connect(
        dsn or warehouse_dsn(),
        application_name="sangkien",
        options="-c timezone=Asia/Ho_Chi_Minh",
        **kwargs,  # type: ignore[arg-type]
    )
