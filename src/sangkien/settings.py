"""Where things live: project folders and the settings read from the environment.

Every setting has one name (`SANGKIEN_*`) and one place it is read, so the CLI,
the Airflow tasks and the tests agree on the landing area, the warehouse and
the reports folder.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

#: The repository root (src/sangkien/settings.py → three levels up).
PROJECT_ROOT = Path(os.environ.get("SANGKIEN_HOME", Path(__file__).resolve().parents[2]))
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
REFERENCE_DIR = DBT_PROJECT_DIR / "seeds" / "reference"
SOURCES_DIR = PROJECT_ROOT / "sources"
#: Private state of a developer checkout: the embedded cluster, demo data, Airflow home.
STATE_DIR = Path(os.environ.get("SANGKIEN_STATE_DIR", PROJECT_ROOT / ".sangkien"))

TIMEZONE = "Asia/Ho_Chi_Minh"


@dataclass(frozen=True)
class Settings:
    landing_dir: Path
    reports_dir: Path
    warehouse_dsn: str | None
    sources_dir: Path


def load_settings() -> Settings:
    """Read the settings from the environment (defaults suit a developer checkout)."""
    return Settings(
        landing_dir=Path(os.environ.get("SANGKIEN_LANDING_DIR", STATE_DIR / "landing")),
        reports_dir=Path(os.environ.get("SANGKIEN_REPORTS_DIR", STATE_DIR / "reports")),
        warehouse_dsn=os.environ.get("SANGKIEN_WAREHOUSE_DSN") or None,
        sources_dir=Path(os.environ.get("SANGKIEN_SOURCES_DIR", SOURCES_DIR)),
    )
