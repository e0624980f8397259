"""Reference data the simulator reads: where it lives and the reporting-unit registry.

`reference_path` is the single place that decides which copy of a reference file is
used (the dbt seed once it exists, else the shared reference folder), so it can be
swapped later without touching the rest of the simulator.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

_PROJECT_ROOT = Path(__file__).resolve().parents[3]
_SEED_DIR = _PROJECT_ROOT / "dbt_project" / "seeds" / "reference"
# The shared folder sits beside the checkout (CI clones main next to it).
_SHARED_DIRS = (_PROJECT_ROOT.parent / "shared" / "reference", Path("/work/shared/reference"))


def reference_path(name: str) -> Path:
    """Path of reference file `name` (e.g. ``reporting_units.csv``).

    Prefers the project's dbt seed copy, falls back to the shared reference folder.
    """
    folders = (_SEED_DIR, *_SHARED_DIRS)
    for folder in folders:
        candidate = folder / name
        if candidate.is_file():
            return candidate
    searched = ", ".join(str(f) for f in folders)
    raise FileNotFoundError(f"reference file {name!r} not found in {searched}")


@dataclass(frozen=True)
class Unit:
    """One reporting unit as the simulator needs it."""

    code: str
    name: str
    unit_type: str  # provincial_federation | sector_union | corporation_union
    province_code: str  # '' for sector and corporation unions

    @property
    def is_province(self) -> bool:
        return self.unit_type == "provincial_federation"


@cache
def load_units() -> tuple[Unit, ...]:
    """All reporting units, in file order."""
    with reference_path("reporting_units.csv").open(encoding="utf-8", newline="") as fh:
        return tuple(
            Unit(
                code=row["unit_code"].strip(),
                name=row["unit_name"].strip(),
                unit_type=row["unit_type"].strip(),
                province_code=(row.get("province_code") or "").strip(),
            )
            for row in csv.DictReader(fh)
        )


@cache
def units_by_code() -> dict[str, Unit]:
    return {unit.code: unit for unit in load_units()}
