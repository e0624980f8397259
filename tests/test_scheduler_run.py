"""A real Airflow 3 deployment runs `sangkien_nightly`, triggered through the REST API.

`dag.test()` (test_dag.py) runs the DAG inside pytest; this test runs what production
runs: `airflow api-server`, `airflow scheduler` (LocalExecutor, parallelism 2) and
`airflow dag-processor` as separate processes on 127.0.0.1, with their metadata in a
database `airflow_meta` on the suite's PostgreSQL server (SQLAlchemy's psycopg 3
dialect, `postgresql+psycopg://`). Authentication is on: the test logs in as the
admin whose password the simple auth manager generated, as an operator would.

The components get the scheduler's cron schedule turned off
(`[scheduler] use_job_schedule = False`), so unpausing the DAG does not also start the
scheduled run for yesterday, which would land this test's deliveries as late ones.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from datetime import time as clock
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import psycopg
import pytest

from sangkien.settings import PROJECT_ROOT, TIMEZONE
from sangkien.warehouse.local_cluster import LocalCluster

from feed_builder import row, write_delivery

NIGHT = date(2022, 5, 31)
COMPONENTS = ("api-server", "scheduler", "dag-processor")
AIRFLOW = str(Path(sys.executable).parent / "airflow")
READY_TIMEOUT = 120  # seconds for the three components to come up and parse the DAG
RUN_TIMEOUT = 240  # seconds for the run to finish (it takes ~15 s on 2 cores)
STOP_TIMEOUT = 60  # seconds for each component to exit after SIGINT


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _airflow_env(home: Path, metadata_dsn: str, port: int) -> dict[str, str]:
    # Nothing Airflow-related leaks in from the pytest process (test_dag's home, a
    # developer's own settings): the deployment is entirely described here.
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    base_url = f"http://127.0.0.1:{port}"
    return env | {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": metadata_dsn.replace(
            "postgresql://", "postgresql+psycopg://", 1
        ),
        "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT_ROOT / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__PARALLELISM": "2",
        "AIRFLOW__CORE__MAX_ACTIVE_TASKS_PER_DAG": "2",
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API__BASE_URL": base_url,
        "AIRFLOW__API__WORKERS": "1",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{base_url}/execution/",
        # Shared by the API server (which checks task tokens) and the scheduler (which
        # issues them); a fresh one per run.
        "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(32),
        "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
        "SCARF_ANALYTICS": "false",
        "DO_NOT_TRACK": "1",
        # The DAG's task settings: fail fast instead of retrying five minutes later.
        "SANGKIEN_TASK_RETRIES": "0",
    }


@contextmanager
def _airflow(home: Path, env: dict[str, str]) -> Iterator[dict[str, subprocess.Popen[bytes]]]:
    """The three components, each in its own session; stopped with SIGINT on exit."""
    logs = home / "component-logs"
    logs.mkdir()
    procs: dict[str, subprocess.Popen[bytes]] = {}
    try:
        for name in COMPONENTS:
            with (logs / f"{name}.log").open("wb") as out:
                procs[name] = subprocess.Popen(
                    [AIRFLOW, name],
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    start_new_session=True,  # its workers form a group we can check
                )
        yield procs
    finally:
        _stop(procs, logs)


def _stop(procs: dict[str, subprocess.Popen[bytes]], logs: Path) -> None:
    """SIGINT each component (Airflow's graceful stop), then require every process gone."""
    for proc in procs.values():
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
    stuck = []
    for name, proc in procs.items():
        try:
            proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            stuck.append(name)
        # Children (executor workers, log server) share the component's process group.
        deadline = time.monotonic() + 10
        while _group_alive(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        if _group_alive(proc.pid):
            stuck.append(f"{name} (children)")
            os.killpg(proc.pid, signal.SIGKILL)
        elif proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert not stuck, f"did not stop on SIGINT: {stuck}\n{_tails(logs)}"


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def _tails(logs: Path, lines: int = 25) -> str:
    return "\n".join(
        f"--- {f.name} ---\n" + "\n".join(f.read_text(errors="replace").splitlines()[-lines:])
        for f in sorted(logs.glob("*.log"))
    )


def _wait_until(what: str, check, timeout: float, logs: Path, every: float = 1.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if result := check():
                return result
        except httpx.TransportError:
            pass  # the API server is not listening yet
        time.sleep(every)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}\n{_tails(logs)}")


@pytest.mark.slow
def test_the_scheduler_runs_a_night_triggered_through_the_rest_api(
    pg_cluster: LocalCluster,
    warehouse_dsn: str,
    db: psycopg.Connection,
    landing: Path,
    sources,
    tmp_path: Path,
) -> None:
    write_delivery(landing, "P38", NIGHT, [row(record_id="A"), row(record_id="B")])
    write_delivery(landing, "P01", NIGHT, [row(record_id="C", unit_code="P01")])
    for unit in ("P38", "P01", "P04"):  # P04 delivers nothing tonight
        sources(unit)

    home = tmp_path / "airflow"
    home.mkdir()
    port = _free_port()
    env = _airflow_env(home, pg_cluster.recreate_database("airflow_meta"), port)
    started = time.monotonic()
    subprocess.run(
        [AIRFLOW, "db", "migrate"], env=env, check=True, capture_output=True, timeout=180
    )
    migrated = time.monotonic()

    with _airflow(home, env) as procs:
        logs = home / "component-logs"
        api = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10)

        def ready() -> bool:
            assert all(p.poll() is None for p in procs.values()), _tails(logs)
            health = api.get("/api/v2/monitor/health")
            if health.status_code != 200:
                return False
            status = health.json()
            return (
                status["scheduler"]["status"] == "healthy"
                and status["dag_processor"]["status"] == "healthy"
            )

        _wait_until("the components to report healthy", ready, READY_TIMEOUT, logs)
        passwords = home / "simple_auth_manager_passwords.json.generated"
        login = api.post(
            "/auth/token",
            json={"username": "admin", "password": json.loads(passwords.read_text())["admin"]},
        )
        assert login.status_code == 201, login.text
        api.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
        assert api.get("/api/v2/dags").status_code == 200
        api.headers.pop("Authorization")
        assert api.get("/api/v2/dags").status_code == 401  # authentication is really on
        api.headers["Authorization"] = f"Bearer {login.json()['access_token']}"

        _wait_until(
            "the DAG to be parsed",
            lambda: api.get("/api/v2/dags/sangkien_nightly").status_code == 200,
            READY_TIMEOUT,
            logs,
        )
        ready_at = time.monotonic()
        unpaused = api.patch("/api/v2/dags/sangkien_nightly", json={"is_paused": False})
        assert unpaused.status_code == 200, unpaused.text
        assert unpaused.json()["is_paused"] is False

        # The scheduled run for D has logical date D 01:00 local; send the same.
        logical = datetime.combine(NIGHT, clock(1, 0), ZoneInfo(TIMEZONE))
        run_id = f"scheduler_test__{NIGHT}"
        created = api.post(
            "/api/v2/dags/sangkien_nightly/dagRuns",
            json={"dag_run_id": run_id, "logical_date": logical.isoformat()},
        )
        assert created.status_code == 200, created.text

        def finished() -> str | None:
            state = api.get(f"/api/v2/dags/sangkien_nightly/dagRuns/{run_id}").json()["state"]
            return state if state in ("success", "failed") else None

        state = _wait_until("the run to finish", finished, RUN_TIMEOUT, logs, every=2)
        ran_at = time.monotonic()
        tasks = api.get(f"/api/v2/dags/sangkien_nightly/dagRuns/{run_id}/taskInstances").json()
        assert state == "success", f"{tasks}\n{_tails(logs)}"
        by_task = {
            (t["task_id"], t.get("rendered_map_index")): t["state"] for t in tasks["task_instances"]
        }
        # One mapped `land` per registry unit, labelled with its code in the UI/API.
        assert {k[1] for k in by_task if k[0] == "land"} == {"P01", "P04", "P38"}
        assert set(by_task.values()) == {"success"}
        api.close()
        crashed = [name for name, p in procs.items() if p.poll() is not None]
        assert not crashed, f"components ended before being stopped: {crashed}\n{_tails(logs)}"

    stopped = time.monotonic()
    for proc in procs.values():
        assert proc.returncode is not None and not _group_alive(proc.pid)

    landed = set(db.execute("select unit_code, record_id from raw.initiative_row").fetchall())
    assert landed == {("P38", "A"), ("P38", "B"), ("P01", "C")}
    outcomes = dict(
        db.execute(
            "select unit_code, outcome from quality.night_outcome where business_date = %s",
            (NIGHT,),
        ).fetchall()
    )
    assert outcomes == {"P38": "loaded", "P01": "loaded", "P04": "no_delivery"}
    print(
        f"\nmigrate {migrated - started:.1f} s, components ready {ready_at - migrated:.1f} s, "
        f"run {ran_at - ready_at:.1f} s, stop {stopped - ran_at:.1f} s"
    )
