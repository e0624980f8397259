"""`simulate`: write the landing area for a window of nights, in parallel when it pays.

Nights are cut into contiguous chunks handled by worker processes (each keeps its own
schedule cache warm while it moves forward); every output byte is a pure function of
(seed, unit, date, scale), so the split never changes the result.
"""

from __future__ import annotations

import contextlib
import csv
import json
import multiprocessing
import os
import queue
import sys
import time
from datetime import date, timedelta
from pathlib import Path

from tqdm import tqdm

from .nights import LAST_DELIVERY, LedgerEntry, NightWriter
from .reference import load_units, units_by_code
from .summary import SimulationSummary
from .volumes import national_expected, unit_share

LEDGER_DIR = "_simulation"
_PARALLEL_MIN_ROWS = 60_000  # below this, starting processes costs more than it saves
_CHUNK_NIGHTS = 45

_progress_queue: multiprocessing.Queue | None = None


def _init_worker(progress_queue: multiprocessing.Queue) -> None:
    global _progress_queue
    _progress_queue = progress_queue


def _run_chunk(
    args: tuple[Path, list[date], float, int, list[str]],
) -> tuple[SimulationSummary, list[LedgerEntry]]:
    out, nights, scale, seed, units = args
    writer = NightWriter(out, seed, scale, units)
    total = SimulationSummary(out, nights[0], nights[-1], scale, seed)
    ledger: list[LedgerEntry] = []
    for night in nights:
        result = writer.night(night)
        total.merge(result.summary)
        ledger.extend(result.ledger)
        if _progress_queue is not None:
            _progress_queue.put(1)
    return total, ledger


def _estimated_rows(nights: list[date], units: list[str], scale: float) -> float:
    return sum(
        national_expected(n, scale) * sum(unit_share(u, n) for u in units) * 1.3 for n in nights
    )


def _write_ledger(out: Path, summary: SimulationSummary, ledger: list[LedgerEntry]) -> Path:
    folder = out / LEDGER_DIR
    folder.mkdir(parents=True, exist_ok=True)
    ledger.sort(key=lambda e: (e[0], e[1], int(e[2]) if e[2] else 0, e[4]))
    path = folder / "defects.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(
            ("unit_code", "business_date", "line_number", "record_id", "kind", "detail")
        )
        writer.writerows(ledger)
    (folder / "summary.json").write_text(
        json.dumps(summary.as_dict(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    return path


def simulate(
    out: Path,
    date_from: date,
    date_to: date,
    scale: float = 1.0,
    seed: int = 0,
    progress: bool = True,
    units: list[str] | None = None,
) -> SimulationSummary:
    """Write the nightly deliveries of `units` (default: all 82) for date_from..date_to.

    Layout: `<out>/<unit>/<YYYY-MM-DD>/initiatives.{csv,json,xlsx}` + `manifest.json`,
    earlier versions of re-delivered nights under `<out>/_previous/`, and a ledger of the
    planted defects in `<out>/_simulation/defects.csv`. Same arguments, same bytes; a
    sub-window yields exactly the folders of a wider run for its dates.
    """
    started = time.perf_counter()
    if date_to < date_from:
        raise ValueError(f"date_to {date_to} is before date_from {date_from}")
    if scale <= 0:
        raise ValueError("scale must be positive")
    registry = units_by_code()
    codes = [u.code for u in load_units()] if units is None else list(dict.fromkeys(units))
    unknown = [c for c in codes if c not in registry]
    if unknown:
        raise ValueError(f"unknown unit codes: {', '.join(unknown)}")

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    days = (date_to - date_from).days + 1
    nights = [date_from + timedelta(days=k) for k in range(days)]
    summary = SimulationSummary(out, date_from, date_to, scale, seed, units=len(codes))
    summary.nights = len(nights)
    active = [n for n in nights if n <= LAST_DELIVERY]

    show = progress and sys.stderr.isatty()
    bar = tqdm(total=len(nights), disable=not show, file=sys.stderr, unit="night",
               desc="simulate")  # fmt: skip
    ledger: list[LedgerEntry] = []
    workers = min(os.cpu_count() or 1, 4)
    parallel = (
        workers > 1
        and len(active) > 2
        and _estimated_rows(active, codes, scale) > _PARALLEL_MIN_ROWS
    )
    try:
        if not parallel:
            writer = NightWriter(out, seed, scale, codes)
            for night in nights:
                if night <= LAST_DELIVERY:
                    result = writer.night(night)
                    summary.merge(result.summary)
                    ledger.extend(result.ledger)
                bar.update(1)
        else:
            size = max(3, min(_CHUNK_NIGHTS, -(-len(active) // (workers * 2))))
            chunks = [
                (out, active[k : k + size], scale, seed, codes) for k in range(0, len(active), size)
            ]
            context = multiprocessing.get_context("fork" if sys.platform != "win32" else "spawn")
            progress_queue = context.Queue()
            with context.Pool(workers, _init_worker, (progress_queue,)) as pool:
                pending = pool.map_async(_run_chunk, chunks, chunksize=1)
                while not pending.ready():
                    with contextlib.suppress(queue.Empty):
                        bar.update(progress_queue.get(timeout=0.2))
                for chunk_summary, chunk_ledger in pending.get():
                    summary.merge(chunk_summary)
                    ledger.extend(chunk_ledger)
            bar.update(len(nights) - bar.n)
    finally:
        bar.close()

    summary.sort()
    summary.elapsed_seconds = time.perf_counter() - started
    summary.ledger_path = _write_ledger(out, summary, ledger)
    return summary
