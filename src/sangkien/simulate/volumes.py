"""Volume model: how many new initiatives each unit submits each day.

A smooth national daily curve (programme calendar, campaign peak, Tết dips, weekends)
is calibrated on the published figures, then split between units by a share that moves
from the early-2022 ranking to the final ranking. Everything here is a pure function
of its arguments, so any window of dates can be simulated on its own.
"""

from __future__ import annotations

import math
import random
from datetime import date, timedelta
from functools import cache
from itertools import pairwise

from .reference import load_units

PROGRAMME_START = date(2022, 1, 8)
PHASE1_END = date(2022, 5, 31)
CAMPAIGN_START = date(2022, 4, 21)
PROGRAMME_END = date(2023, 8, 31)

# New records delivered over the programme at scale 1. A little above the published
# "more than 2.4 million submitted" because ~1 % of rows are rejected for good and a
# few records are withdrawn, so the stored (submitted) count lands near 2.4 M.
NATIONAL_TOTAL = 2_430_000
DAY_ONE = 23  # published: 23 initiatives on 08/01/2022

# National daily rate before weekday/holiday factors, linearly interpolated between
# knots; each calendar segment below is then rescaled to its published total.
_KNOTS: tuple[tuple[date, float], ...] = (
    (date(2022, 1, 9), 120),
    (date(2022, 1, 15), 700),
    (date(2022, 1, 25), 1300),
    (date(2022, 1, 28), 1100),
    (date(2022, 1, 31), 250),  # Tết Nhâm Dần (01/02/2022)
    (date(2022, 2, 3), 150),
    (date(2022, 2, 7), 700),
    (date(2022, 2, 14), 1000),
    (date(2022, 3, 1), 1300),
    (date(2022, 3, 26), 1900),
    (date(2022, 4, 10), 3800),
    (date(2022, 4, 20), 5500),
    (date(2022, 4, 21), 9500),  # 40-day peak campaign starts
    (date(2022, 5, 5), 11000),
    (date(2022, 5, 20), 12000),
    (date(2022, 5, 31), 13000),
    (date(2022, 6, 1), 2600),  # phase 2: the rush is over
    (date(2022, 6, 10), 2200),
    (date(2022, 8, 1), 2500),
    (date(2022, 9, 15), 2800),
    (date(2022, 10, 3), 3000),
    (date(2022, 11, 15), 3300),
    (date(2022, 12, 20), 3900),
    (date(2022, 12, 31), 2800),
    (date(2023, 1, 10), 2800),
    (date(2023, 1, 18), 1800),
    (date(2023, 1, 21), 400),  # Tết Quý Mão (22/01/2023)
    (date(2023, 1, 24), 250),
    (date(2023, 1, 27), 800),
    (date(2023, 2, 6), 2600),
    (date(2023, 3, 15), 3200),
    (date(2023, 5, 15), 3500),
    (date(2023, 6, 15), 4000),
    (date(2023, 7, 15), 6000),
    (date(2023, 8, 10), 8500),
    (date(2023, 8, 25), 10000),
    (date(2023, 8, 31), 12000),  # last-days rush before uploads closed
)

# (first day, last day, new records in the segment). Phase 1 lands at ~0.675 M (press:
# 654,921 to 696,948); cumulative crosses 1 M during 03/10/2022 (press: 15:34 that day).
_SEGMENTS: tuple[tuple[date, date, float], ...] = (
    (date(2022, 1, 9), date(2022, 4, 20), 180_000),
    (CAMPAIGN_START, PHASE1_END, 495_000),
    (date(2022, 6, 1), date(2022, 10, 3), 1_001_700 - DAY_ONE - 180_000 - 495_000),
    (date(2022, 10, 4), PROGRAMME_END, NATIONAL_TOTAL - 1_001_700),
)

_WEEKDAY_FACTOR = (1.0, 1.0, 1.0, 1.0, 0.97, 0.82, 0.68)  # Mon..Sun
_HOLIDAYS = {
    date(2022, 4, 10): 0.6,  # Giỗ Tổ Hùng Vương
    date(2022, 4, 30): 0.55,
    date(2022, 5, 1): 0.55,
    date(2022, 5, 2): 0.75,
    date(2022, 9, 1): 0.7,
    date(2022, 9, 2): 0.45,
    date(2023, 4, 29): 0.55,
    date(2023, 4, 30): 0.5,
    date(2023, 5, 1): 0.55,
    date(2023, 5, 2): 0.7,
}

# Final totals (thousands) per unit, from the published figures where there is one
# (Thanh Hóa 600 k, Hà Nội 201 k, Bắc Giang 114 k, Lâm Đồng, Lạng Sơn, Dầu khí …),
# otherwise a plausible size; rescaled to NATIONAL_TOTAL.
_FINAL_THOUSANDS: dict[str, float] = {
    "P38": 600, "P01": 201, "P40": 150, "P42": 125, "P24": 114, "P79": 75, "P31": 48,
    "P74": 40, "P75": 38, "P93": 35, "P22": 30, "P89": 30, "P92": 30, "P25": 28,
    "P27": 26, "P30": 24, "P68": 24, "P19": 22, "P34": 22, "P36": 22, "P48": 22,
    "P26": 20, "P46": 20, "P49": 20, "P77": 20, "P87": 20, "P52": 18, "P66": 18,
    "P80": 18, "P44": 16, "P82": 16, "P91": 16, "P37": 15, "P51": 15, "P56": 14,
    "P64": 14, "P72": 14, "P83": 14, "P94": 14, "P86": 13, "P08": 12, "P14": 12,
    "P33": 12, "P35": 12, "P45": 12, "P60": 12, "P70": 12, "P84": 12, "P96": 12,
    "P10": 11, "P15": 10, "P17": 10, "P54": 10, "P02": 9, "P95": 9, "P67": 8,
    "P04": 7, "P11": 7, "P58": 7, "P62": 7, "P20": 6.5, "P06": 5, "P12": 5,
    "S01": 20, "S02": 15, "S03": 8, "S04": 6, "S05": 8, "S06": 15, "S07": 5, "S08": 6,
    "S09": 6, "S10": 9, "S11": 10, "S12": 7, "S13": 4, "S14": 12, "S15": 5, "S16": 7.1,
    "S17": 12, "T01": 3, "T02": 2.5,
}  # fmt: skip
_DEFAULT_THOUSANDS = 8.0  # a unit missing from the table (should not happen)

# Share of the national flow before the campaign (press ranking of 26/03/2022: the
# three central provinces lead, Hà Nội fourth); the rest is spread like the final sizes.
_EARLY_SHARE: dict[str, float] = {
    "P38": 0.150, "P40": 0.115, "P42": 0.065, "P01": 0.058, "P31": 0.046, "P92": 0.029,
    "P89": 0.028, "P93": 0.023,
}  # fmt: skip
_BLEND_START = date(2022, 3, 26)  # early shares until here …
_BLEND_END = CAMPAIGN_START  # … final shares from here


def programme_dates() -> list[date]:
    """Every calendar date of the programme, first to last."""
    days = (PROGRAMME_END - PROGRAMME_START).days + 1
    return [PROGRAMME_START + timedelta(days=k) for k in range(days)]


def _interpolated_rate(day: date) -> float:
    knots = _KNOTS
    if day <= knots[0][0]:
        return knots[0][1]
    for (d0, r0), (d1, r1) in pairwise(knots):
        if d0 <= day <= d1:
            span = (d1 - d0).days
            return r0 + (r1 - r0) * ((day - d0).days / span if span else 1.0)
    return knots[-1][1]


def _raw_rate(day: date) -> float:
    factor = _WEEKDAY_FACTOR[day.weekday()] * _HOLIDAYS.get(day, 1.0)
    return _interpolated_rate(day) * factor


@cache
def _national_table() -> dict[date, float]:
    table = {PROGRAMME_START: float(DAY_ONE)}
    for first, last, target in _SEGMENTS:
        days = [first + timedelta(days=k) for k in range((last - first).days + 1)]
        raw = [_raw_rate(d) for d in days]
        factor = target / sum(raw)
        for d, r in zip(days, raw, strict=True):
            table[d] = r * factor
    return table


def national_expected(day: date, scale: float = 1.0) -> float:
    """Expected new records nationally on `day` (0 outside the programme)."""
    return _national_table().get(day, 0.0) * scale


@cache
def _share_vectors() -> tuple[dict[str, float], dict[str, float]]:
    """(early, late) unit shares; late is solved so each unit reaches its final size."""
    codes = [u.code for u in load_units()]
    final = {c: _FINAL_THOUSANDS.get(c, _DEFAULT_THOUSANDS) for c in codes}
    final_sum = sum(final.values())
    target = {c: NATIONAL_TOTAL * final[c] / final_sum for c in codes}

    fixed = {c: s for c, s in _EARLY_SHARE.items() if c in final}
    rest = [c for c in codes if c not in fixed]
    rest_sum = sum(final[c] for c in rest)
    early = dict(fixed)
    for c in rest:
        early[c] = (1.0 - sum(fixed.values())) * final[c] / rest_sum

    table = _national_table()
    v_early = sum(n * (1.0 - _blend(d)) for d, n in table.items())
    v_late = sum(n * _blend(d) for d, n in table.items())
    late = {c: max(target[c] - early[c] * v_early, 0.2 * target[c]) / v_late for c in codes}
    late_sum = sum(late.values())
    return early, {c: s / late_sum for c, s in late.items()}


def _blend(day: date) -> float:
    if day <= _BLEND_START:
        return 0.0
    if day >= _BLEND_END:
        return 1.0
    return (day - _BLEND_START).days / (_BLEND_END - _BLEND_START).days


def unit_share(unit: str, day: date) -> float:
    """The unit's share of the national flow on `day` (shares sum to 1 over all units)."""
    early, late = _share_vectors()
    lam = _blend(day)
    return early[unit] * (1.0 - lam) + late[unit] * lam


def expected_volume(unit: str, day: date, scale: float = 1.0) -> float:
    """Expected number of new records `unit` submits on `day` at `scale`."""
    national = national_expected(day, scale)
    return national * unit_share(unit, day) if national else 0.0


def _poisson(rng: random.Random, mean: float) -> int:
    if mean <= 0:
        return 0
    if mean < 40:  # Knuth's multiplication method: exact and fast for small means
        limit, k, p = math.exp(-mean), 0, rng.random()
        while p > limit:
            k += 1
            p *= rng.random()
        return k
    return max(0, round(rng.gauss(mean, math.sqrt(mean))))


def realised_count(seed: int, unit: str, day: date, scale: float) -> int:
    """New records `unit` actually submits on `day`: the expectation with day-to-day noise."""
    mean = expected_volume(unit, day, scale)
    if mean <= 0:
        return 0
    rng = random.Random(f"{seed}:{unit}:{day.isoformat()}:volume")
    sigma = 0.25
    return _poisson(rng, mean * math.exp(rng.gauss(0.0, sigma) - sigma * sigma / 2))
