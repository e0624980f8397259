"""Fresh databases on the suite's one PostgreSQL server (the `pg_cluster` fixture),
for tests and module fixtures that need a database of their own by name."""

from __future__ import annotations

import psycopg

from sangkien.warehouse.bootstrap import bootstrap
from sangkien.warehouse.local_cluster import LocalCluster


def fresh_database(cluster: LocalCluster, name: str) -> str:
    """An empty database `name` (dropped first if it exists); its administrator's DSN."""
    server = cluster.dsn().rsplit("/", 1)[0]
    with psycopg.connect(server + "/postgres", autocommit=True) as conn:
        conn.execute(f'drop database if exists "{name}" with (force)')
        conn.execute(f'create database "{name}"')
    return f"{server}/{name}"


def fresh_warehouse(cluster: LocalCluster, name: str) -> str:
    """A new database `name`, bootstrapped as a warehouse; its administrator's DSN."""
    dsn = fresh_database(cluster, name)
    with psycopg.connect(dsn, autocommit=True) as conn:
        bootstrap(conn)
    return dsn
