"""Reference data of the national office: the 82 reporting units and the provinces.

The CSV files live once, as dbt seeds under `dbt_project/seeds/reference/`; the
loader reads the same files so that Python and the models never disagree.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache

from sangkien.settings import REFERENCE_DIR


@dataclass(frozen=True)
class ReportingUnit:
    code: str
    name: str
    unit_type: str
    province_code: str | None


@cache
def reporting_units() -> dict[str, ReportingUnit]:
    """All reporting units by code, in the reference file's order."""
    with open(REFERENCE_DIR / "reporting_units.csv", encoding="utf-8", newline="") as f:
        return {
            row["unit_code"]: ReportingUnit(
                code=row["unit_code"],
                name=row["unit_name"],
                unit_type=row["unit_type"],
                province_code=row["province_code"] or None,
            )
            for row in csv.DictReader(f)
        }
