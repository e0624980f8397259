"""Sample-feed simulator: a realistic landing area for the 82 reporting units.

`simulate` writes `<out>/<unit>/<YYYY-MM-DD>/` folders exactly as contract feed-v1
§1-§3 describes (data file + manifest), with volumes calibrated on the published
figures and deliberate defects at realistic rates. `expected_volume` exposes the volume
model without writing anything.

Modules: `reference` (reference files, unit registry), `volumes` (national curve and
unit shares), `profiles` (each unit's export habits), `lifecycle` (per-day schedules of
record kinds, defects and later versions), `content` (a record's base content, from
`vocabulary` word lists), `duplicates` (title variants), `records` (the rows of a
record's versions), `defects` (planted rejection defects), `formatting` (value
spellings), `encodings` (byte layouts), `writers` (CSV, JSON, XLSX, manifest), `nights`
(one unit-night delivery), `runner` (the `simulate` loop), `summary`
(`SimulationSummary`), `rng` (the seeded generator), `rows` (`Row`).
"""

from .records import CONFIDENTIAL_MARKER
from .reference import load_units, reference_path
from .runner import simulate
from .summary import SimulationSummary
from .volumes import (
    NATIONAL_TOTAL,
    PROGRAMME_END,
    PROGRAMME_START,
    expected_volume,
    national_expected,
    programme_dates,
)

__all__ = [
    "CONFIDENTIAL_MARKER",
    "NATIONAL_TOTAL",
    "PROGRAMME_END",
    "PROGRAMME_START",
    "SimulationSummary",
    "expected_volume",
    "load_units",
    "national_expected",
    "programme_dates",
    "reference_path",
    "simulate",
]
