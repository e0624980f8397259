"""Shared test fixtures: one real PostgreSQL server for the whole suite.

The server is the same embedded cluster `sangkien db up` makes, started once
per test session in a folder of its own (fsync off: it is thrown away). Each
test that needs a warehouse gets its own fresh database on it.
"""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest

from sangkien.warehouse.local_cluster import LocalCluster

from databases import fresh_warehouse

os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "False")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

_database_numbers = itertools.count(1)


@contextmanager
def _private_dir(prefix: str) -> Iterator[Path]:
    """A directory of this run's own, outside pytest's base temp: pytest keeps only
    its last three base directories and prunes older ones when another run starts,
    which took a running suite's server from under it."""
    path = Path(tempfile.mkdtemp(prefix=f"sangkien-tests-{prefix}-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[LocalCluster]:
    with _private_dir("pg") as root:
        cluster = LocalCluster(root, durable=False)
        cluster.up()
        yield cluster
        cluster.down()


@pytest.fixture
def warehouse_dsn(pg_cluster: LocalCluster, monkeypatch: pytest.MonkeyPatch) -> str:
    """A new, empty, bootstrapped warehouse database; returns its administrator's DSN.

    As in a deployment, the pipeline runs as a login without superuser
    (SANGKIEN_WAREHOUSE_DSN) and administration uses SANGKIEN_WAREHOUSE_ADMIN_DSN;
    tests set up and inspect through the administrator's DSN they are given."""
    name = f"wh_{next(_database_numbers)}"
    dsn = fresh_warehouse(pg_cluster, name)
    monkeypatch.setenv("SANGKIEN_WAREHOUSE_DSN", pg_cluster.pipeline_dsn(name))
    monkeypatch.setenv("SANGKIEN_WAREHOUSE_ADMIN_DSN", dsn)
    return dsn


@pytest.fixture
def db(warehouse_dsn: str) -> Iterator[psycopg.Connection]:
    """An autocommit connection to a fresh warehouse, in Asia/Ho_Chi_Minh time."""
    with psycopg.connect(
        warehouse_dsn, autocommit=True, options="-c timezone=Asia/Ho_Chi_Minh"
    ) as conn:
        yield conn


@pytest.fixture
def landing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty landing area; SANGKIEN_LANDING_DIR points to it."""
    path = tmp_path / "landing"
    path.mkdir()
    monkeypatch.setenv("SANGKIEN_LANDING_DIR", str(path))
    return path


@pytest.fixture(scope="session")
def airflow_home() -> Iterator[Path]:
    """One migrated Airflow home (SQLite metadata) shared by every DAG test."""
    from sangkien.airflow_runner import prepare_airflow_home

    os.environ["SANGKIEN_TASK_RETRIES"] = "1"
    os.environ["SANGKIEN_RETRY_DELAY_SECONDS"] = "1"
    with _private_dir("airflow") as root:
        yield prepare_airflow_home(root)


@pytest.fixture
def sources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Write a source registry for the test; SANGKIEN_SOURCES_DIR points to it."""
    folder = tmp_path / "sources"
    folder.mkdir()
    monkeypatch.setenv("SANGKIEN_SOURCES_DIR", str(folder))

    def write(unit: str, **settings: object) -> None:
        lines = [f"unit_code: {unit}"] + [f"{k}: {v}" for k, v in settings.items()]
        (folder / f"{unit}.yml").write_text("\n".join(lines) + "\n", encoding="utf-8")

    return write
