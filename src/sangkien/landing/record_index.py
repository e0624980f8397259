"""A replay into an empty warehouse builds raw's record index once, after landing.

`raw.initiative_row (unit_code, record_id)` serves the nightly build and checks
(a changed record's every version), not the landing itself. Kept up to date
row by row it cost a replay's landing about a fifth of its time; built once at
the end it costs seconds. Only a replay that starts on an empty raw table
defers it (`raw.defer_record_index` refuses otherwise), and the index is built
again however the landing ends.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager

log = logging.getLogger(__name__)


@contextmanager
def record_index_deferred() -> Iterator[bool]:
    """Drop the record index while the block runs, if raw is empty; yield whether it was."""
    from sangkien.warehouse.connection import LOADER, connect

    with connect(autocommit=True, role=LOADER) as conn:
        deferred = bool(conn.execute("select raw.defer_record_index()").fetchone()[0])  # type: ignore[index]
    try:
        yield deferred
    finally:
        if deferred:
            started = time.perf_counter()
            with connect(autocommit=True, role=LOADER) as conn:
                conn.execute("select raw.build_record_index()")
            log.info("raw's record index built in %.1fs", time.perf_counter() - started)
