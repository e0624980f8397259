"""One night of one unit: which changes its delivery carries and how it lands on disk.

Owns missed nights (and the catch-up delivery after them), the nightly row set (new
records of the covered days plus the later versions scheduled for them), the
delivery-level defects (unknown column, broken or missing manifest, re-delivery with an
earlier version under `_previous/`) and writing the folder.
"""

from __future__ import annotations

import contextlib
import hashlib
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path

from .lifecycle import MAX_LAG, ScheduleCache
from .profiles import CSV, JSON, profile
from .records import RecordMaker
from .reference import units_by_code
from .rng import Rng
from .rows import Row
from .summary import SimulationSummary
from .volumes import PROGRAMME_END, PROGRAMME_START
from .writers import (
    DATA_FILES,
    MANIFEST,
    manifest_bytes,
    render_csv,
    render_json,
    render_xlsx,
    sha256_hex,
)

PREVIOUS_DIR = "_previous"
LAST_DELIVERY = PROGRAMME_END + timedelta(days=MAX_LAG + 3)  # late review updates
_MAX_CATCH_UP = 14

P_UNKNOWN_COLUMN = 0.015
P_BAD_ROW_COUNT = 0.003
P_BAD_SHA256 = 0.003
P_NO_MANIFEST = 0.005
P_REDELIVERY = 0.006
_EXTRA_COLUMNS = ("ghi_chu", "ma_don_vi_cu", "nguon_du_lieu", "nguoi_nhap_lieu")
_EXTRA_NOTES = ("Đã kiểm tra", "Nhập bổ sung", "Chờ ký duyệt", "Đã đối chiếu")

# (unit, business_date, line_number or '', record_id, kind, detail)
LedgerEntry = tuple[str, str, str, str, str, str]


def _uniform(key: str) -> float:
    """A cheap, stable pseudo-random number in [0, 1) for a string key."""
    digest = hashlib.blake2b(key.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def _outage_length(seed: int, unit: str, day: date) -> int:
    key = f"{seed}:{unit}:{day.isoformat()}:outage"
    if _uniform(key) >= profile(unit).miss_rate:
        return 0
    return (1, 1, 1, 2, 2, 3)[int(_uniform(key + ":len") * 6)]


def missed(seed: int, unit: str, day: date) -> bool:
    """Whether the unit delivers nothing on `day` (an outage of 1-3 nights covers it)."""
    if day in (PROGRAMME_START, PROGRAMME_END):  # first and closing nights always arrive
        return False
    return any(_outage_length(seed, unit, day - timedelta(days=j)) > j for j in range(3))


def covered_days(seed: int, unit: str, day: date) -> list[date]:
    """Business days whose changes the delivery of `day` carries (itself + missed ones)."""
    days = [day]
    for back in range(1, _MAX_CATCH_UP + 1):
        earlier = day - timedelta(days=back)
        if earlier < PROGRAMME_START or not missed(seed, unit, earlier):
            break
        days.append(earlier)
    return sorted(days)


@dataclass
class NightResult:
    summary: SimulationSummary
    ledger: list[LedgerEntry]


class NightWriter:
    """Writes the deliveries of a set of units, night after night (one process)."""

    def __init__(self, out: Path, seed: int, scale: float, units: list[str]) -> None:
        self.out = out
        self.seed = seed
        self.scale = scale
        self.units = units
        registry = units_by_code()
        provinces = frozenset(c for c, u in registry.items() if u.is_province)
        self.schedules = ScheduleCache(seed, scale, provinces)
        self.makers = {c: RecordMaker(seed, registry[c], self.schedules) for c in units}

    # -- rows --

    def rows(self, unit: str, business: date) -> list[Row]:
        maker = self.makers[unit]
        rows: list[Row] = []
        for day in covered_days(self.seed, unit, business):
            if day <= PROGRAMME_END:
                sched = self.schedules.get(unit, day)
                for index in range(sched.count):
                    rows.extend(maker.rows_for_new(sched, index, business))
            ordinal = day.toordinal()
            first = max(PROGRAMME_START, day - timedelta(days=MAX_LAG))
            for back in range((day - first).days, 0, -1):
                origin = self.schedules.get(unit, day - timedelta(days=back))
                for index, event in origin.events.get(ordinal, ()):
                    rows.append(maker.row_for_event(origin, index, event, day, business))
        rows.sort(key=lambda r: r.order)
        return rows

    # -- one delivery --

    def night(self, business: date) -> NightResult:
        summary = SimulationSummary(self.out, business, business, self.scale, self.seed)
        ledger: list[LedgerEntry] = []
        for unit in self.units:
            self._deliver(unit, business, summary, ledger)
        return NightResult(summary, ledger)

    def _deliver(
        self, unit: str, business: date, summary: SimulationSummary, ledger: list[LedgerEntry]
    ) -> None:
        folder = self.out / unit / business.isoformat()
        previous = self.out / PREVIOUS_DIR / unit / business.isoformat()
        if business < PROGRAMME_START or business > LAST_DELIVERY:
            return
        iso = business.isoformat()
        if missed(self.seed, unit, business):
            if business <= PROGRAMME_END:  # afterwards most nights have nothing to send anyway
                summary.missed_nights += 1
                summary.defects["MISSED_NIGHT"] += 1
                ledger.append((unit, iso, "", "", "MISSED_NIGHT", ""))
            _clear(folder)
            _clear(previous)
            return
        rows = self.rows(unit, business)
        if business > PROGRAMME_END and not rows:
            _clear(folder)
            _clear(previous)
            return

        prof = profile(unit)
        rng = Rng(f"{self.seed}:{unit}:{iso}:delivery")
        columns = list(prof.columns)
        if rng.random() < P_UNKNOWN_COLUMN:
            extra = rng.choice(_EXTRA_COLUMNS)
            columns.insert(rng.randrange(1, len(columns) + 1), extra)
            for row in rows:
                if not row.is_tombstone:
                    row.values[extra] = rng.choice(_EXTRA_NOTES) if rng.random() < 0.3 else ""
            summary.defects["UNKNOWN_COLUMN"] += 1
            ledger.append((unit, iso, "", "", "UNKNOWN_COLUMN", extra))

        fate = _delivery_fate(rng, bool(rows))
        next_day = datetime.combine(business + timedelta(days=1), datetime.min.time())
        generated = next_day + timedelta(seconds=1200 + rng.randrange(4 * 3600))
        json_form = prof.json_form
        if json_form == "alternate":
            json_form = "array" if business.toordinal() % 2 else "records"

        def render(subset: list[Row], stamp: datetime) -> bytes:
            if prof.fmt == CSV:
                return render_csv(columns, subset, prof)
            if prof.fmt == JSON:
                return render_json(columns, subset, prof, json_form)
            return render_xlsx(columns, subset, prof, stamp)

        file_name = DATA_FILES[prof.fmt]
        encoding = prof.manifest_encoding

        if fate == "REDELIVERY":
            variant = rng.choice(("partial", "incomplete", "stale"))
            early_stamp = next_day + timedelta(seconds=300 + rng.randrange(1800))
            generated = next_day + timedelta(seconds=6 * 3600 + rng.randrange(4 * 3600))
            early_rows = _earlier_rows(rows, variant, rng)
            early_data = render(early_rows, early_stamp)
            early_sha = sha256_hex(early_data)
            if variant == "incomplete":  # the transfer was cut: the manifest describes more
                early_data = early_data[: max(1, len(early_data) * 2 // 3)]
            _write(previous, file_name, early_data,
                   manifest_bytes(unit, business, file_name, encoding, len(early_rows),
                                  early_sha, early_stamp))  # fmt: skip
            summary.previous_folders_written += 1
            summary.redeliveries.append((unit, iso, variant))
            summary.defects["REDELIVERY"] += 1
            ledger.append((unit, iso, "", "", "REDELIVERY", variant))
        else:
            _clear(previous)

        data = render(rows, generated)
        sha, row_count = sha256_hex(data), len(rows)
        manifest: bytes | None
        if fate == "BAD_ROW_COUNT":
            delta = rng.choice((-3, -2, -1, 1, 2, 5, 10))
            row_count += delta if row_count + delta >= 0 else -delta
        elif fate == "BAD_SHA256":
            sha = sha256_hex(data + b"\n")  # the file was edited after the manifest was made
        if fate in ("BAD_ROW_COUNT", "BAD_SHA256"):
            summary.broken_manifests.append((unit, iso, fate))
            summary.defects[fate] += 1
            ledger.append((unit, iso, "", "", fate, ""))
        if fate == "NO_MANIFEST":
            manifest = None
            summary.missing_manifests.append((unit, iso))
            summary.defects["NO_MANIFEST"] += 1
            ledger.append((unit, iso, "", "", "NO_MANIFEST", ""))
        else:
            manifest = manifest_bytes(
                unit, business, file_name, encoding, row_count, sha, generated
            )
        _write(folder, file_name, data, manifest)

        summary.folders_written += 1
        summary.empty_deliveries += not rows
        summary.rows_written += len(rows)
        summary.rows_by_format[prof.fmt] += len(rows)
        summary.rows_by_encoding[prof.encoding if prof.fmt == CSV else prof.fmt] += len(rows)
        for line, row in enumerate(rows, start=1):
            for kind, detail in row.tags:
                summary.defects[kind] += 1
                ledger.append((unit, iso, str(line), row.record_id, kind, detail))
            summary.new_records += row.version == "new"
            summary.updates += row.version == "update"


def _delivery_fate(rng: Rng, has_rows: bool) -> str:
    """'ok' or the delivery-level defect of this night (at most one)."""
    u = rng.random()
    for fate, rate in (
        ("BAD_ROW_COUNT", P_BAD_ROW_COUNT),
        ("BAD_SHA256", P_BAD_SHA256),
        ("NO_MANIFEST", P_NO_MANIFEST),
        ("REDELIVERY", P_REDELIVERY),
    ):
        if u < rate:
            return fate if fate != "REDELIVERY" or has_rows else "ok"
        u -= rate
    return "ok"


def _earlier_rows(rows: list[Row], variant: str, rng: Rng) -> list[Row]:
    """The first, since replaced, version of a delivery."""
    if variant == "partial":  # exported before the day's last changes were in
        return rows[: int(len(rows) * rng.uniform(0.5, 0.9))]
    if variant == "incomplete":
        return rows
    stale = []  # an export taken before the reviews of the day were recorded
    for row in rows:
        if "review_status" in row.values and rng.random() < 0.3:
            values = dict(row.values, review_status="pending")
            stale.append(replace(row, values=values))
        else:
            stale.append(row)
    return stale[:-1] if len(stale) > 1 else stale


_OUR_FILES = (*DATA_FILES.values(), MANIFEST)


def _clear(folder: Path) -> None:
    """Remove files a previous simulation left in a folder this run does not deliver."""
    if not folder.is_dir():
        return
    for name in _OUR_FILES:
        (folder / name).unlink(missing_ok=True)
    with contextlib.suppress(OSError):  # not empty: something else lives there, leave it
        folder.rmdir()


def _write(folder: Path, file_name: str, data: bytes, manifest: bytes | None) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name in DATA_FILES.values():
        if name != file_name:
            (folder / name).unlink(missing_ok=True)
    (folder / file_name).write_bytes(data)
    if manifest is None:
        (folder / MANIFEST).unlink(missing_ok=True)
    else:
        (folder / MANIFEST).write_bytes(manifest)
