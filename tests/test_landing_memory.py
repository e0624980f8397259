"""Landing streams: the loader's memory does not grow with the size of the file."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

from sangkien.feeds.contract import COLUMNS

from databases import fresh_warehouse
from feed_builder import row, write_delivery

PROBE = """
import resource, sys
from datetime import date
from pathlib import Path
import psycopg
from sangkien.landing.unit_night import land_unit_night
from sangkien.registry import Source
with psycopg.connect(sys.argv[1], autocommit=True) as conn:
    outcome = land_unit_night(conn, Source("P38"), date(2022, 5, 31), Path(sys.argv[2]))
published = outcome.deliveries[0].rows_published
print(published, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
"""


def _big_delivery(landing: Path, rows: int) -> int:
    folder = write_delivery(landing, "P38", "2022-05-31", [row()])
    path = folder / "initiatives.csv"
    template = row(summary="Nội dung tóm tắt " * 20)
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(COLUMNS)
        for i in range(rows):
            # Every 50th row is rejected, so the quarantine spool is exercised too.
            values = {
                **template,
                "record_id": f"R{i}",
                "title": "x" if i % 50 == 0 else f"Sáng kiến cải tiến số {i}",
            }
            writer.writerow([values[c] for c in COLUMNS])
    (folder / "manifest.json").unlink()
    return path.stat().st_size


def _peak_mb(dsn: str, landing: Path) -> tuple[int, int]:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, dsn, str(landing)],
        capture_output=True,
        text=True,
        check=True,
    )
    published, peak = result.stdout.split()
    return int(published), int(peak)


def test_memory_stays_flat_when_the_file_grows_tenfold(warehouse_dsn, pg_cluster, tmp_path) -> None:
    small, large = tmp_path / "small", tmp_path / "large"
    small_bytes = _big_delivery(small, 12_000)
    large_bytes = _big_delivery(large, 120_000)
    published_small, peak_small = _peak_mb(warehouse_dsn, small)
    other = fresh_warehouse(pg_cluster, "wh_memory_large")
    published_large, peak_large = _peak_mb(other, large)

    assert (published_small, published_large) == (12_000 - 240, 120_000 - 2_400)
    grown_mb = large_bytes / 2**20 - small_bytes / 2**20
    print(
        f"file {small_bytes / 2**20:.0f} → {large_bytes / 2**20:.0f} MiB, "
        f"peak RSS {peak_small} → {peak_large} MiB"
    )
    # The file grew by ~90 MiB; the loader may not grow by more than a small fraction of it.
    assert peak_large - peak_small < grown_mb / 4
