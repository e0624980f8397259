"""Fresh warehouses on the suite's one PostgreSQL server (the `pg_cluster` fixture),
for tests and module fixtures that need a database of their own by name (an empty
one: `pg_cluster.recreate_database`)."""

from __future__ import annotations

import psycopg

from sangkien.warehouse.bootstrap import bootstrap
from sangkien.warehouse.local_cluster import LocalCluster


def fresh_warehouse(cluster: LocalCluster, name: str) -> str:
    """A new database `name`, bootstrapped as a warehouse; its administrator's DSN."""
    dsn = cluster.recreate_database(name)
    with psycopg.connect(dsn, autocommit=True) as conn:
        bootstrap(conn)
    return dsn
