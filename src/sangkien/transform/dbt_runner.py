"""Running the dbt project in-process against the warehouse of a libpq DSN.

Configuration is split by concern: `DbtConnection` (how to reach the
warehouse, from the DSN, exported as the SANGKIEN_DBT_* variables that
`dbt_project/profiles.yml` reads), `DbtPaths` (project, profiles, and the
run's target/log folders: `<SANGKIEN_STATE_DIR>/dbt`, by default the
git-ignored `.sangkien/dbt`) and the command itself. A failing run raises
`ModelBuildError` naming the failing nodes.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sangkien.warehouse.connection import (
    INCREMENTAL_BUILD_SETTINGS,
    SESSION_SETTINGS,
    TRANSFORMER,
    session_options,
)

PROJECT_DIR = Path(__file__).resolve().parents[3] / "dbt_project"

# dbt keeps global state (flags, adapters): one invocation at a time per process.
_DBT_LOCK = threading.Lock()

_OK_STATUSES = {"success", "pass", "warn", "skipped_no_op"}


class ModelBuildError(RuntimeError):
    """dbt failed; `failures` lists the failing nodes with their messages."""

    def __init__(
        self,
        command: str,
        failures: list[NodeResult],
        detail: str | None = None,
        skipped: list[NodeResult] | None = None,
    ):
        self.command = command
        self.failures = failures
        self.skipped = skipped or []
        lines = [f"{f.status}: {f.name} — {f.message}" for f in failures]
        if self.skipped:
            lines.append(f"{len(self.skipped)} node(s) skipped because of them")
        if detail:
            lines.append(detail)
        what = "failing: " + ", ".join(f.name for f in failures) if failures else "no node ran"
        super().__init__(f"dbt {command} failed ({what}):\n  " + "\n  ".join(lines))


@dataclass(frozen=True)
class NodeResult:
    unique_id: str
    name: str
    resource_type: str
    status: str
    seconds: float
    message: str | None = None


@dataclass
class BuildResult:
    full_refresh: bool
    seconds: float
    nodes: list[NodeResult] = field(default_factory=list)
    target_path: Path | None = None

    @property
    def models(self) -> list[NodeResult]:
        return [n for n in self.nodes if n.resource_type == "model"]

    def timing(self, name: str) -> float:
        return sum(n.seconds for n in self.nodes if n.name == name)


@dataclass(frozen=True)
class DbtConnection:
    """The warehouse connection, as environment variables for profiles.yml."""

    host: str
    port: str
    user: str
    password: str
    dbname: str
    sslmode: str

    @classmethod
    def from_dsn(cls, dsn: str) -> DbtConnection:
        from psycopg.conninfo import conninfo_to_dict

        params = conninfo_to_dict(dsn)
        return cls(
            host=str(params.get("host") or params.get("hostaddr") or "127.0.0.1"),
            port=str(params.get("port") or "5432"),
            user=str(params.get("user") or os.environ.get("PGUSER") or "sangkien_transformer"),
            password=str(params.get("password") or os.environ.get("PGPASSWORD") or ""),
            dbname=str(params.get("dbname") or "sangkien"),
            sslmode=str(params.get("sslmode") or "prefer"),
        )

    def environment(self, settings: dict[str, str] | None = None) -> dict[str, str]:
        """The profile's variables; `settings` are added to the sessions' settings."""
        return {
            "SANGKIEN_DBT_HOST": self.host,
            "SANGKIEN_DBT_PORT": self.port,
            "SANGKIEN_DBT_USER": self.user,
            "SANGKIEN_DBT_PASSWORD": self.password,
            "SANGKIEN_DBT_DBNAME": self.dbname,
            "SANGKIEN_DBT_SSLMODE": self.sslmode,
            "SANGKIEN_DBT_ROLE": TRANSFORMER,
            # The pipeline's session settings, for dbt's tests too (libpq reads it).
            "PGOPTIONS": session_options(**SESSION_SETTINGS, **(settings or {})),
        }


@dataclass(frozen=True)
class DbtPaths:
    """Where dbt reads the project and writes its artefacts (not committed)."""

    project_dir: Path
    state_dir: Path

    @classmethod
    def for_state_dir(cls, state_dir: str | Path | None) -> DbtPaths:
        if state_dir is None:
            from sangkien.settings import STATE_DIR  # SANGKIEN_STATE_DIR, else .sangkien/

            state_dir = STATE_DIR / "dbt"
        return cls(PROJECT_DIR, Path(state_dir))

    def target_path(self, dbname: str) -> Path:
        # One target folder per database keeps dbt's partial parsing useful.
        return self.state_dir / f"target-{dbname}"

    @property
    def log_path(self) -> Path:
        return self.state_dir / "logs"


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "False")
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


def _node_results(run_result: Any) -> list[NodeResult]:
    nodes: list[NodeResult] = []
    results = getattr(run_result, "results", None) or []
    for r in results:
        node = getattr(r, "node", None)
        status = str(getattr(r.status, "value", r.status))
        nodes.append(
            NodeResult(
                unique_id=getattr(node, "unique_id", "?"),
                name=getattr(node, "name", "?"),
                resource_type=str(getattr(getattr(node, "resource_type", None), "value", "?")),
                status=status,
                seconds=float(getattr(r, "execution_time", 0.0) or 0.0),
                message=getattr(r, "message", None),
            )
        )
    return nodes


def _invoke(
    command: Sequence[str],
    dsn: str,
    state_dir: str | Path | None,
    extra: Sequence[str] = (),
    settings: dict[str, str] | None = None,
) -> tuple[list[NodeResult], Path]:
    from dbt.cli.main import dbtRunner

    connection = DbtConnection.from_dsn(dsn)
    paths = DbtPaths.for_state_dir(state_dir)
    target_path = paths.target_path(connection.dbname)
    target_path.mkdir(parents=True, exist_ok=True)
    paths.log_path.mkdir(parents=True, exist_ok=True)
    args = [
        *command,
        "--project-dir",
        str(paths.project_dir),
        "--profiles-dir",
        str(paths.project_dir),
        "--target-path",
        str(target_path),
        "--log-path",
        str(paths.log_path),
        *extra,
    ]
    with _DBT_LOCK, _environment(connection.environment(settings)):
        outcome = dbtRunner().invoke(["--no-send-anonymous-usage-stats", "--quiet", *args])
    nodes = _node_results(outcome.result)
    failures = [n for n in nodes if n.status not in _OK_STATUSES | {"skipped"}]
    skipped = [n for n in nodes if n.status == "skipped"]
    if not outcome.success or failures:
        detail = str(outcome.exception) if outcome.exception else None
        raise ModelBuildError(" ".join(command), failures, detail, skipped)
    return nodes, target_path


def _built_before(dsn: str) -> bool:
    """Whether a build already completed here (then this one is incremental)."""
    import psycopg

    with psycopg.connect(dsn, connect_timeout=10) as conn:
        found = conn.execute("select to_regclass('intermediate.int_deliveries__processed')")
        return found.fetchone()[0] is not None  # type: ignore[index]


def build_models(
    dsn: str,
    *,
    full_refresh: bool = False,
    state_dir: str | Path | None = None,
    vars: dict[str, Any] | None = None,
    select: Sequence[str] = (),
) -> BuildResult:
    """Load the seeds and build + test every model (incrementally unless `full_refresh`);
    with `select` (dbt's node selection syntax), only those.

    Unit tests (`dbt test --select test_type:unit`) are left to `run_unit_tests`:
    they check the SQL, not the night's data.
    """
    import json

    started = time.monotonic()
    extra = ["--exclude-resource-type", "unit_test"]
    if full_refresh:
        extra.append("--full-refresh")
    if vars:
        extra += ["--vars", json.dumps(vars)]
    if select:
        extra += ["--select", *select]
    settings = INCREMENTAL_BUILD_SETTINGS if not full_refresh and _built_before(dsn) else None
    nodes, target_path = _invoke(["build"], dsn, state_dir, extra, settings)
    return BuildResult(full_refresh, time.monotonic() - started, nodes, target_path)


def run_unit_tests(dsn: str, *, state_dir: str | Path | None = None) -> list[NodeResult]:
    """Run the dbt unit tests (given/expect) of the project; raise on a failure."""
    nodes, _ = _invoke(["test"], dsn, state_dir, ["--select", "test_type:unit"])
    return nodes


def generate_docs(dsn: str, target_dir: str | Path) -> Path:
    """Write the dbt docs site (index.html, manifest, catalog) into `target_dir`.

    Works offline: the catalog comes from the warehouse, nothing is fetched.
    Returns the path of the self-contained `static_index.html`.
    """
    target_dir = Path(target_dir)
    target_dir.mkdir(parents=True, exist_ok=True)
    from dbt.cli.main import dbtRunner

    connection = DbtConnection.from_dsn(dsn)
    paths = DbtPaths.for_state_dir(None)
    paths.log_path.mkdir(parents=True, exist_ok=True)
    args = [
        "docs",
        "generate",
        "--static",
        "--project-dir",
        str(paths.project_dir),
        "--profiles-dir",
        str(paths.project_dir),
        "--target-path",
        str(target_dir),
        "--log-path",
        str(paths.log_path),
    ]
    with _DBT_LOCK, _environment(connection.environment()):
        outcome = dbtRunner().invoke(["--no-send-anonymous-usage-stats", "--quiet", *args])
    if not outcome.success:
        raise ModelBuildError("docs generate", [], str(outcome.exception or "see dbt log"))
    return target_dir / "static_index.html"
