"""Per-unit delivery profile: the habits of each unit's own system.

A unit keeps its file format, encoding, manifest spelling, column layout, date, time
and boolean styles and its sloppiness across nights, as a real system would. The
special cases (JSON, XLSX, UTF-16, cp1258, BOM, NFD) are named explicitly so demos and
tests can pick a unit of each kind; the remaining habits come from a stable per-unit
draw that does not depend on the simulation seed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import cache

from . import encodings as enc

CSV, JSON, XLSX = "csv", "json", "xlsx"

# Contract §3 column order; `updated_at`/`is_deleted` are always written.
ALL_COLUMNS = (
    "record_id", "unit_code", "grassroots_union", "title", "solution_type", "field",
    "participant_group", "authors", "author_ids", "summary", "effect_summary", "benefit_vnd",
    "applied_on", "recognized_by", "recognition_level", "award", "is_confidential",
    "review_status", "submitted_at", "updated_at", "is_deleted",
)  # fmt: skip
OPTIONAL_COLUMNS = ("grassroots_union", "author_ids", "benefit_vnd", "award")

# Few XLSX units on purpose: openpyxl is slow, and real units mostly export CSV.
_FORMATS = {"P12": XLSX, "S13": XLSX, "T02": XLSX, "S10": JSON, "P48": JSON, "S11": JSON}
_JSON_FORMS = {"S10": "array", "P48": "records", "S11": "alternate"}
_JSON_NATIVE = {"P48", "S11"}  # real JSON booleans/numbers/nulls rather than strings
_XLSX_DATE_CELLS = {"S13"}  # applied_on written as real Excel date cells
_ENCODINGS = {
    **dict.fromkeys(("P17", "P58", "S07"), enc.UTF16),
    **dict.fromkeys(("P44", "P54", "P93", "P95", "S15"), enc.CP1258),
    **dict.fromkeys(("P22", "P31", "P75", "P79", "P89", "S06", "S17"), enc.UTF8_BOM),
    **dict.fromkeys(("P46", "P66", "P83", "S09"), enc.UTF8_NFD),
}
# How each layout is spelled in manifest.json (all accepted by contract §1).
_MANIFEST_SPELLINGS = {
    enc.UTF8: ("utf-8", "utf-8", "UTF-8"),
    enc.UTF8_NFD: ("utf-8", "UTF-8"),
    enc.UTF8_BOM: ("utf-8-sig", "UTF-8-SIG"),
    enc.UTF16: ("utf-16", "UTF-16"),
    enc.CP1258: ("cp1258", "windows-1258", "Windows-1258", "CP1258"),
}
# P22 writes a BOM but declares plain "utf-8", which the contract also accepts.
_MANIFEST_OVERRIDES = {"P22": "utf-8"}

BOOL_STYLES = (
    ("true", "false"), ("TRUE", "FALSE"), ("1", "0"), ("có", "không"), ("Có", "Không"),
    ("x", ""),
)  # fmt: skip
DATE_STYLES = ("iso", "dmy", "mixed")
TIME_STYLES = ("offset", "utc", "dmy", "naive", "mixed")
ID_STYLES = ("seq", "uuid", "num", "code")


@dataclass(frozen=True)
class Profile:
    unit: str
    fmt: str
    encoding: str  # byte layout (encodings.ALL_ENCODINGS); JSON and XLSX are UTF-8/zip
    manifest_encoding: str
    columns: tuple[str, ...]
    line_terminator: str
    date_style: str
    time_style: str
    bool_style: tuple[str, str]
    id_style: str
    json_form: str
    json_native: bool
    xlsx_date_cells: bool
    defect_factor: float  # multiplies the row-defect rate: some systems are sloppier
    miss_rate: float  # chance a missed-delivery spell starts on a given night
    mixed_case_rate: float  # rows with an enumeration in odd case or padded
    benefit_grouping: str  # preferred way of writing amounts: plain | dot | comma | space


@cache
def profile(unit: str) -> Profile:
    rng = random.Random(f"profile:{unit}")
    fmt = _FORMATS.get(unit, CSV)
    encoding = _ENCODINGS.get(unit, enc.UTF8) if fmt == CSV else enc.UTF8
    manifest_encoding = _MANIFEST_OVERRIDES.get(
        unit, rng.choice(_MANIFEST_SPELLINGS[encoding]) if fmt == CSV else "utf-8"
    )

    columns = list(ALL_COLUMNS)
    for optional in OPTIONAL_COLUMNS:
        if rng.random() < 0.12:
            columns.remove(optional)
    if rng.random() < 0.3:  # contract: column order is free
        head, rest = columns[:2], columns[2:]
        rng.shuffle(rest)
        columns = head + rest
    if rng.random() < 0.15:
        columns.insert(rng.randrange(len(columns)), columns.pop(0))  # record_id not first

    return Profile(
        unit=unit,
        fmt=fmt,
        encoding=encoding,
        manifest_encoding=manifest_encoding,
        columns=tuple(columns),
        line_terminator=rng.choice(("\r\n", "\r\n", "\n")),
        date_style=rng.choices(DATE_STYLES, weights=(6, 3, 1))[0],
        time_style=rng.choices(TIME_STYLES, weights=(5, 1.5, 2.5, 1, 1))[0],
        bool_style=rng.choices(BOOL_STYLES, weights=(5, 1, 2, 1.5, 0.5, 1.5))[0],
        id_style=rng.choice(ID_STYLES),
        json_form=_JSON_FORMS.get(unit, "array"),
        json_native=unit in _JSON_NATIVE,
        xlsx_date_cells=unit in _XLSX_DATE_CELLS,
        defect_factor=rng.choice((0.3, 0.6, 1.0, 1.0, 1.2, 1.5, 2.5)),
        miss_rate=rng.choice((0.002, 0.004, 0.006, 0.01, 0.015)),
        mixed_case_rate=rng.choice((0.0, 0.0, 0.01, 0.03, 0.08)),
        benefit_grouping=rng.choices(("plain", "dot", "comma", "space"), weights=(4, 4, 1, 1))[0],
    )
