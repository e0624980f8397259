"""`write_reports`: one business date's national report and unit quality reports, on disk.

Layout under `reports_dir/<YYYY-MM-DD>/`:

    index.html                                  national report
    units/<UNIT>/bao-cao-chat-luong-<UNIT>-<YYYY-MM-DD>.html|.csv|.xlsx
    data-docs/, dbt-docs/                       copied in by `publish_docs`

Every file is written to a temporary name and renamed into place, so a reader
never sees half a file and a rerun of the same date replaces the files.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from sangkien.reports.charts import Bar, bar_chart
from sangkien.reports.html import render
from sangkien.reports.labels import LOCAL_TZ, vn_percent
from sangkien.reports.national import build_national_report
from sangkien.reports.province import UnitReport, build_unit_report
from sangkien.reports.queries import read_snapshot
from sangkien.reports.spreadsheets import write_csv, write_xlsx

log = logging.getLogger(__name__)

NATIONAL_FILE = "index.html"
UNITS_DIR = "units"


@dataclass(frozen=True)
class UnitReportFiles:
    unit_code: str
    html: Path
    csv: Path
    xlsx: Path

    @property
    def paths(self) -> tuple[Path, Path, Path]:
        return (self.html, self.csv, self.xlsx)


@dataclass(frozen=True)
class ReportIndex:
    """What `write_reports` wrote."""

    business_date: date
    directory: Path
    national: Path
    units: dict[str, UnitReportFiles] = field(default_factory=dict)
    seconds: float = 0.0

    def paths(self) -> list[Path]:
        return [self.national, *(p for files in self.units.values() for p in files.paths)]


def unit_report_files(day_dir: Path, unit_code: str, business_date: date) -> UnitReportFiles:
    stem = f"bao-cao-chat-luong-{unit_code}-{business_date.isoformat()}"
    folder = day_dir / UNITS_DIR / unit_code
    return UnitReportFiles(
        unit_code,
        folder / f"{stem}.html",
        folder / f"{stem}.csv",
        folder / f"{stem}.xlsx",
    )


def _atomic(path: Path, write: Callable[[Path], None]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        write(temporary)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def _write_unit_files(report: UnitReport, files: UnitReportFiles, generated_at: datetime) -> None:
    """One unit's HTML, CSV and XLSX."""
    _write_text(files.html, render_unit_html(report, files, generated_at))
    _atomic(files.csv, lambda p: write_csv(report.tables, p))
    _atomic(files.xlsx, lambda p: write_xlsx(list(report.tables), p))


def _write_unit_reports(
    jobs: list[tuple[UnitReport, UnitReportFiles]], generated_at: datetime
) -> None:
    """Write the units' files, on every core when there are many: rendering and
    spreadsheet writing are pure Python, and the provinces' lists (every rejected
    and duplicate submission since the start) grow with the programme."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    workers = min(4, os.cpu_count() or 1)
    # A daemonic process (some executors' workers) may not start processes.
    if len(jobs) >= 8 and workers > 1 and not multiprocessing.current_process().daemon:
        spawn = multiprocessing.get_context("spawn")
        try:
            with ProcessPoolExecutor(max_workers=workers, mp_context=spawn) as pool:
                futures = [pool.submit(_write_unit_files, *job, generated_at) for job in jobs]
                for done in futures:
                    done.result()  # a failure fails the reports, as it would in sequence
            return
        except BrokenProcessPool as exc:  # a host that cannot spawn: write them here
            log.warning("writing the unit reports in this process: %s", exc)
    for report, files in jobs:
        _write_unit_files(report, files, generated_at)


def _write_text(path: Path, text: str) -> None:
    _atomic(path, lambda p: p.write_text(text, encoding="utf-8"))


def render_unit_html(report: UnitReport, files: UnitReportFiles, generated_at: datetime) -> str:
    c = report.comparison
    bars = [
        Bar("Đơn vị (lũy kế)", (c.rate or 0) * 100, vn_percent(c.rate), highlight=True),
        Bar("Trung vị toàn quốc (lũy kế)", (c.median or 0) * 100, vn_percent(c.median)),
    ]
    return render(
        "province.html.j2",
        report=report,
        csv_name=files.csv.name,
        xlsx_name=files.xlsx.name,
        rate_chart=bar_chart(
            bars, title="Tỉ lệ từ chối so với trung vị toàn quốc", chart_id="rejection-rate"
        ),
        generated_at=generated_at,
    )


def write_reports(
    dsn: str, business_date: date, reports_dir: Path, *, units: list[str] | None = None
) -> ReportIndex:
    """Write the reports of `business_date` into `reports_dir/<YYYY-MM-DD>/`.

    `units` limits the unit quality reports to those units (default: all 82);
    the national report always covers every unit and links the unit reports
    present in the folder.
    """
    started = time.monotonic()
    generated_at = datetime.now(LOCAL_TZ)
    snapshot = read_snapshot(dsn, business_date, units)
    day_dir = Path(reports_dir) / business_date.isoformat()
    wanted = list(snapshot.units) if units is None else list(dict.fromkeys(units))

    written = {code: unit_report_files(day_dir, code, business_date) for code in wanted}
    _write_unit_reports(
        [(build_unit_report(snapshot, code), files) for code, files in written.items()],
        generated_at,
    )

    hrefs = {
        code: files.html.relative_to(day_dir).as_posix()
        for code in snapshot.units
        if (files := unit_report_files(day_dir, code, business_date)).html.exists()
    }
    national = build_national_report(snapshot, hrefs)
    national_path = day_dir / NATIONAL_FILE
    _write_text(national_path, render("national.html.j2", r=national, generated_at=generated_at))
    seconds = time.monotonic() - started
    log.info(
        "reports for %s: national + %d units in %.1fs → %s",
        business_date,
        len(written),
        seconds,
        day_dir,
    )
    return ReportIndex(business_date, day_dir, national_path, written, seconds)
