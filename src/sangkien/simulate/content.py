"""Base content of one record: a pure function of (seed, unit, day, index).

Owns the distributions of the classification fields (participant group by unit type and
phase, field by group, solution type by field, recognition level), the Vietnamese text
built from `vocabulary`, dates, amounts, and the unit system's record ids.
"""

from __future__ import annotations

import hashlib
import math
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

from . import vocabulary as voc
from .profiles import profile
from .reference import Unit, units_by_code
from .rng import Rng, cumulative
from .volumes import PHASE1_END, unit_share

APPLIED_WINDOW_START = date(2021, 9, 1)

SOLUTION_TYPES = ("technical", "management", "operational", "technology_application",
                  "research_topic")  # fmt: skip
FIELDS = ("pandemic_prevention", "production_business", "occupational_safety", "environment",
          "administrative_reform", "management", "union_activity", "community")  # fmt: skip
GROUPS = ("state_agency", "public_service_unit", "enterprise_worker", "union_officer", "other")
LEVELS = ("grassroots", "upper_grassroots", "provincial_or_sector", "confederation")
_LEVEL_CUM = (70, 88, 98, 100)

# Participant groups (state, public service, enterprise, union officer, other): phase 1
# follows the 31/05/2022 split (55 % public sector, 24 % enterprise, 16 % union officers),
# phase 2 shifts to enterprises so the final valid split is ~47/36/17.
_GROUPS_PROVINCE = ((15, 40, 24, 16, 5), (14, 26, 42, 16, 2))
_GROUPS_ENTERPRISE = ((4, 4, 72, 16, 4), (3, 3, 78, 14, 2))
_GROUPS_PUBLIC = ((15, 66, 2, 14, 3), (15, 66, 2, 14, 3))
_GROUPS_STATE = ((62, 10, 10, 15, 3), (62, 10, 10, 15, 3))
_GROUPS_MIXED = ((10, 15, 57, 15, 3), (10, 15, 57, 15, 3))
_UNIT_GROUPS = {
    **dict.fromkeys(("S03", "S04", "S05"), _GROUPS_PUBLIC),
    **dict.fromkeys(("S01", "S02"), _GROUPS_STATE),
    **dict.fromkeys(("S10", "S11", "S07", "S09"), _GROUPS_MIXED),
}
# Field weights per participant group (order of FIELDS); pandemic work fades in phase 2.
_FIELD_WEIGHTS = {
    "state_agency": (14, 4, 4, 4, 40, 22, 6, 6),
    "public_service_unit": (16, 4, 4, 5, 10, 50, 6, 5),
    "enterprise_worker": (10, 52, 16, 8, 2, 8, 3, 1),
    "union_officer": (12, 4, 4, 3, 5, 12, 52, 8),
    "other": (15, 15, 5, 10, 5, 10, 10, 30),
}
# Solution types per field (order of SOLUTION_TYPES).
_TYPE_WEIGHTS = {
    "pandemic_prevention": (10, 30, 30, 25, 5),
    "production_business": (45, 10, 25, 15, 5),
    "occupational_safety": (45, 15, 25, 10, 5),
    "environment": (35, 15, 25, 15, 10),
    "administrative_reform": (2, 25, 33, 38, 2),
    "management": (3, 45, 20, 27, 5),
    "union_activity": (2, 45, 25, 25, 3),
    "community": (5, 45, 30, 15, 5),
}

# Pandemic work fades in phase 2 (index True).
_FIELD_CUM = {
    (group, phase2): cumulative([w * (0.25 if phase2 and k == 0 else 1) for k, w in enumerate(ws)])
    for group, ws in _FIELD_WEIGHTS.items()
    for phase2 in (False, True)
}
_TYPE_CUM = {name: cumulative(ws) for name, ws in _TYPE_WEIGHTS.items()}


@dataclass(slots=True)
class Content:
    """Base content of a record; pure function of (seed, unit, day, index)."""

    title: str
    solution_type: str
    field: str
    participant_group: str
    authors: list[str]
    author_ids: list[str]
    grassroots_union: str
    summary: str
    effect_summary: str
    benefit_vnd: int | None
    applied_on: date
    recognition_level: str
    recognized_by: str
    award: str
    seconds: int  # submission time of day, seconds after local midnight
    rng: Rng  # continues the record's stream for its formatting choices


@cache
def _pool(seed: int, unit: str) -> tuple[str, ...]:
    """A unit's grassroots unions: the same names recur in its feed."""
    unit_rec = units_by_code()[unit]
    size = int(min(600, max(25, unit_share(unit, PHASE1_END) * 40_000)))
    rng = Rng(f"{seed}:{unit}:grassroots")
    return tuple(voc.grassroots_pool(unit, unit_rec.unit_type, size, rng))


@cache
def _groups_for(unit: Unit, phase2: bool) -> tuple[float, ...]:
    table = _UNIT_GROUPS.get(unit.code)
    if table is None:
        table = _GROUPS_PROVINCE if unit.is_province else _GROUPS_ENTERPRISE
    return cumulative(table[phase2])


def _seconds_of_day(rng: Rng) -> int:
    u = rng.random()
    if u < 0.6:
        hour = rng.randrange(7, 17)
    elif u < 0.95:
        hour = rng.randrange(17, 24)
    else:
        hour = rng.randrange(0, 7)
    return hour * 3600 + rng.randrange(3600)


def _benefit(rng: Rng) -> int | None:
    if rng.random() < 0.55:
        return None
    amount = math.exp(rng.gauss(math.log(6_000_000), 1.7))
    step = 100_000 if amount > 5_000_000 else 1_000
    return int(min(amount, 50_000_000_000) // step * step)


def content(seed: int, unit: Unit, day: date, index: int) -> Content:
    rng = Rng(f"{seed}:{unit.code}:{day.isoformat()}:{index}")
    phase2 = day > PHASE1_END
    group = rng.choices(GROUPS, cum_weights=_groups_for(unit, phase2))[0]
    field_name = rng.choices(FIELDS, cum_weights=_FIELD_CUM[group, phase2])[0]
    solution_type = rng.choices(SOLUTION_TYPES, cum_weights=_TYPE_CUM[field_name])[0]
    cdcs = rng.choice(_pool(seed, unit.code))
    title = voc.title(rng, field_name, solution_type, cdcs)

    n_authors = rng.choices((1, 2, 3, 4), cum_weights=(55, 80, 93, 100))[0]
    authors = [voc.person_name(rng) for _ in range(n_authors)]
    author_ids = [f"CDV{rng.randrange(10**7, 10**8)}" for _ in range(n_authors)]

    lag = int(rng.expovariate(1 / 90))
    applied = day - timedelta(days=lag)
    if applied < APPLIED_WINDOW_START:
        applied = APPLIED_WINDOW_START + timedelta(
            days=rng.randrange(max(1, (day - APPLIED_WINDOW_START).days))
        )
    u = rng.random() * 100
    level = LEVELS[next(k for k, c in enumerate(_LEVEL_CUM) if u < c)]
    return Content(
        title=title,
        solution_type=solution_type,
        field=field_name,
        participant_group=group,
        authors=authors,
        author_ids=author_ids,
        grassroots_union=cdcs,
        summary=voc.summary(rng),
        effect_summary=voc.effect_summary(rng, title),
        benefit_vnd=_benefit(rng),
        applied_on=applied,
        recognition_level=level,
        recognized_by=voc.council(rng, level, cdcs, unit.name),
        award=voc.award(rng, level, cdcs, unit.name),
        seconds=_seconds_of_day(rng),
        rng=rng,
    )


def record_id(seed: int, unit: str, day: date, index: int) -> str:
    """The unit system's own id for a record, in that system's style."""
    style = profile(unit).id_style
    if style == "seq":
        return f"SK{day:%y%m%d}{index:05d}"
    if style == "num":
        return f"{day:%Y%m%d}{index:06d}"
    if style == "code":
        return f"{unit}-{day:%Y%m%d}-{index:04d}"
    digest = hashlib.blake2b(f"{seed}:{unit}:{day}:{index}".encode(), digest_size=16).digest()
    return str(uuid.UUID(bytes=digest, version=4))
