"""Life of the records a unit creates on one day: the day's schedule.

For each (unit, day) a schedule decides, for every new record, what kind of record it is
(normal, exact / cross-unit / near duplicate), whether its first row carries a
deliberate defect, its programme-rule anomaly (not recognised, out of window, …), its
initial review status, and the later events that produce new versions on later nights
(review pending→valid/invalid, edits, re-sends after a rejected row, withdrawal). It is a
pure function of (seed, unit, day, scale), so a night can find the updates it must
carry by looking back at the schedules of earlier days without replaying history.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date

from . import encodings as enc
from .profiles import CSV, profile
from .rng import Rng
from .volumes import CAMPAIGN_START, PHASE1_END, realised_count

MAX_LAG = 40  # days: later versions of a record arrive at most this long after it

# Record kinds.
NORMAL, EXACT_DUP, CROSS_DUP, NEAR_DUP = 0, 1, 2, 3
# Programme-rule anomalies (stored, but classified invalid) and confidentiality.
A_NONE = 0
A_NOT_RECOGNIZED = 1
A_APPLIED_OUT = 2
A_SUBMITTED_OUT = 3
A_FUTURE = 4
A_CONFIDENTIAL = 5
A_CONFIDENTIAL_CONTENT = 6
ANOMALY_NAMES = {
    A_NOT_RECOGNIZED: "NOT_RECOGNIZED",
    A_APPLIED_OUT: "APPLIED_OUT_OF_WINDOW",
    A_SUBMITTED_OUT: "SUBMITTED_OUT_OF_WINDOW",
    A_FUTURE: "SUBMITTED_IN_FUTURE",
    A_CONFIDENTIAL: "CONFIDENTIAL",
    A_CONFIDENTIAL_CONTENT: "CONFIDENTIAL_CONTENT",
}
# Initial review status.
R_VALID, R_INVALID, R_PENDING = 0, 1, 2
REVIEW_NAMES = ("valid", "invalid", "pending")

# Later events.
EV_REVIEW, EV_EDIT, EV_CORRECTION, EV_WITHDRAW = "review", "edit", "correction", "withdraw"

# Row defects that make the loader reject the row (contract §4), with relative weights.
REJECTION_WEIGHTS: dict[str, float] = {
    "MISSING_REQUIRED": 22,
    "BAD_DATE": 18,
    "BAD_ENUM": 15,
    "BAD_NUMBER": 12,
    "TITLE_LENGTH": 9,
    "UNIT_MISMATCH": 8,
    "ENCODING_ERROR": 8,
    "MALFORMED_ROW": 8,
}

# Rates per new record (calibrated so ~85 % of stored records end valid: 2.03 M / 2.4 M).
P_DEFECT = 0.018  # first row rejected (× the unit's defect factor)
P_CORRECTED = 0.4  # a rejected row is re-sent clean on a later night
P_EXACT_DUP = 0.02
P_CROSS_DUP_PROVINCE, P_CROSS_DUP_SECTOR = 0.005, 0.03
P_NEAR_DUP = 0.006
P_PENDING, P_PENDING_CAMPAIGN = 0.30, 0.45
P_NEVER_REVIEWED = 0.06  # of the pending ones
P_VALID_AFTER_REVIEW = 0.88
P_VALID_DIRECT = 0.94
P_EDIT, P_WITHDRAW, P_REPEAT = 0.02, 0.003, 0.003
ANOMALY_RATES = (
    (A_NOT_RECOGNIZED, 0.025),
    (A_APPLIED_OUT, 0.003),
    (A_SUBMITTED_OUT, 0.0005),
    (A_FUTURE, 0.001),
    (A_CONFIDENTIAL, 0.008),
    (A_CONFIDENTIAL_CONTENT, 0.0005),
)


@dataclass(slots=True)
class DaySchedule:
    unit: str
    day: date
    count: int
    kinds: bytearray
    anomalies: bytearray
    initial: bytearray
    defects: dict[int, str] = field(default_factory=dict)  # index -> rejection reason
    resolution: dict[int, tuple[int, str]] = field(default_factory=dict)  # -> (ordinal, status)
    repeats: set[int] = field(default_factory=set)  # sent twice in its first delivery
    # target day ordinal -> [(index, event)], in index order
    events: dict[int, list[tuple[int, str]]] = field(default_factory=dict)

    def status_on(self, index: int, ordinal: int) -> str:
        """Review status of record `index` as known on day `ordinal`."""
        initial = self.initial[index]
        if initial != R_PENDING:
            return REVIEW_NAMES[initial]
        resolved = self.resolution.get(index)
        if resolved and resolved[0] <= ordinal:
            return resolved[1]
        return "pending"


def _defect_kinds(unit: str) -> tuple[list[str], list[float]]:
    prof = profile(unit)
    kinds, weights = [], []
    for kind, weight in REJECTION_WEIGHTS.items():
        if kind == "MALFORMED_ROW" and prof.fmt != CSV:
            continue
        if kind == "ENCODING_ERROR" and not (
            prof.fmt == CSV and enc.supports_bad_bytes(prof.encoding)
        ):
            continue
        kinds.append(kind)
        weights.append(weight)
    return kinds, weights


def build_schedule(seed: int, unit: str, day: date, scale: float, is_province: bool) -> DaySchedule:
    count = realised_count(seed, unit, day, scale)
    sched = DaySchedule(unit, day, count, bytearray(count), bytearray(count), bytearray(count))
    if not count:
        return sched
    rng = Rng(f"{seed}:{unit}:{day.isoformat()}:schedule")
    prof = profile(unit)
    defect_kinds, defect_weights = _defect_kinds(unit)
    p_defect = P_DEFECT * prof.defect_factor
    p_cross = P_CROSS_DUP_PROVINCE if is_province else P_CROSS_DUP_SECTOR
    campaign = CAMPAIGN_START <= day <= PHASE1_END
    p_pending = P_PENDING_CAMPAIGN if campaign else P_PENDING
    mean_lag = 14.0 if campaign else 8.0
    base = day.toordinal()
    events = sched.events
    rand = rng.random

    for i in range(count):
        u = rand()
        if u < P_EXACT_DUP:
            sched.kinds[i] = EXACT_DUP
        elif u < P_EXACT_DUP + p_cross:
            sched.kinds[i] = CROSS_DUP
        elif u < P_EXACT_DUP + p_cross + P_NEAR_DUP:
            sched.kinds[i] = NEAR_DUP

        u = rand()
        for code, rate in ANOMALY_RATES:
            if u < rate:
                sched.anomalies[i] = code
                break
            u -= rate

        later: list[tuple[int, str]] = []
        if rand() < p_pending:
            sched.initial[i] = R_PENDING
            if rand() >= P_NEVER_REVIEWED:
                lag = 1 + min(int(rng.expovariate(1.0 / mean_lag)), MAX_LAG - 1)
                outcome = "valid" if rand() < P_VALID_AFTER_REVIEW else "invalid"
                sched.resolution[i] = (base + lag, outcome)
                later.append((lag, EV_REVIEW))
        else:
            sched.initial[i] = R_VALID if rand() < P_VALID_DIRECT else R_INVALID

        if rand() < P_REPEAT:
            sched.repeats.add(i)
        elif rand() < p_defect:  # a repeated record carries no defect: it would be ambiguous
            sched.defects[i] = rng.choices(defect_kinds, weights=defect_weights)[0]
            if rand() < P_CORRECTED:
                later.append((rng.randint(1, 10), EV_CORRECTION))
        if rand() < P_EDIT:
            later.append((rng.randint(1, MAX_LAG), EV_EDIT))
        if rand() < P_WITHDRAW:
            withdraw_lag = rng.randint(1, 30)
            later = [(lag, ev) for lag, ev in later if lag < withdraw_lag]
            later.append((withdraw_lag, EV_WITHDRAW))

        for lag, event in later:
            events.setdefault(base + lag, []).append((i, event))
    return sched


class ScheduleCache:
    """Schedules computed in this process, kept while nights move forward."""

    def __init__(
        self, seed: int, scale: float, provinces: frozenset[str], limit: int = 20_000
    ) -> None:
        self.seed = seed
        self.scale = scale
        self.provinces = provinces
        self.limit = limit
        self._store: OrderedDict[tuple[str, int], DaySchedule] = OrderedDict()

    def get(self, unit: str, day: date) -> DaySchedule:
        key = (unit, day.toordinal())
        found = self._store.get(key)
        if found is not None:
            self._store.move_to_end(key)
            return found
        sched = build_schedule(self.seed, unit, day, self.scale, unit in self.provinces)
        self._store[key] = sched
        if len(self._store) > self.limit:
            self._store.popitem(last=False)
        return sched
