"""Running `sangkien_nightly` through Airflow without a scheduler (`dag.test()`).

Used by `make demo` and the end-to-end tests: one Airflow home (metadata in
SQLite, migrated once), the project's `dags/` folder, low parallelism for a
2-core machine. Environment is set before Airflow is first imported, since
Airflow reads its configuration at import time.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sangkien.settings import PROJECT_ROOT, STATE_DIR, TIMEZONE

DAG_ID = "sangkien_nightly"


def airflow_env(home: Path) -> dict[str, str]:
    return {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT_ROOT / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__PARALLELISM": "2",
        "AIRFLOW__CORE__MAX_ACTIVE_TASKS_PER_DAG": "2",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": os.environ.get("SANGKIEN_AIRFLOW_LOG_LEVEL", "WARNING"),
        "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
        "SCARF_ANALYTICS": "false",
    }


def prepare_airflow_home(home: Path | None = None) -> Path:
    """Set the environment for an Airflow home and migrate its metadata once."""
    home = Path(home or os.environ.get("SANGKIEN_AIRFLOW_HOME", STATE_DIR / "airflow"))
    home.mkdir(parents=True, exist_ok=True)
    env = airflow_env(home)
    os.environ.update(env)
    stamp = home / ".migrated"
    if not stamp.exists():
        subprocess.run(
            [str(Path(sys.executable).parent / "airflow"), "db", "migrate"],
            env={**os.environ, **env},
            check=True,
            capture_output=True,
        )
        stamp.touch()
    return home


def load_dag() -> Any:
    """Import `sangkien_nightly` from the dags folder the way Airflow parses it."""
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(PROJECT_ROOT / "dags"))
    if bag.import_errors:
        raise RuntimeError(f"DAG import errors: {bag.import_errors}")
    return bag.get_dag(DAG_ID)


def run_dag_for(business_date: date, dag: Any | None = None) -> str:
    """Run the nightly DAG for one business date; return the run's final state."""
    dag = dag or load_dag()
    logical = datetime.combine(business_date, time(1, 0), ZoneInfo(TIMEZONE))
    run = dag.test(logical_date=logical)
    return str(getattr(run, "state", "unknown"))
