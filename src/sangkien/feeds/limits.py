"""Size limits that keep hostile or broken input from exhausting the loader.

Everything larger is refused with a reason naming the limit, in bounded memory:
files by their size on disk before they are opened, CSV fields by the csv
module's own limit, XLSX archives by their declared uncompressed size and
compression ratio before openpyxl unpacks anything (a decompression bomb).
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

MAX_FILE_BYTES = int(os.environ.get("SANGKIEN_MAX_FILE_BYTES", 2 * 2**30))
MAX_MANIFEST_BYTES = 1 * 2**20
MAX_FIELD_CHARS = 65_536
MAX_XLSX_UNPACKED_BYTES = int(os.environ.get("SANGKIEN_MAX_XLSX_UNPACKED_BYTES", 2 * 2**30))
MAX_XLSX_RATIO = 200


class TooLarge(ValueError):
    """A file is larger than the loader accepts."""


def check_file_size(path: Path, limit: int | None = None, *, size: int | None = None) -> None:
    """Refuse a file over `limit` bytes (`size`, when its status is already known)."""
    limit = MAX_FILE_BYTES if limit is None else limit
    size = path.stat().st_size if size is None else size
    if size > limit:
        raise TooLarge(f"{path.name} is {size:,} bytes, over the limit of {limit:,} bytes")


def check_xlsx_archive(path: Path) -> None:
    """Refuse an XLSX whose parts would unpack to far more than the file holds."""
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
    except zipfile.BadZipFile as exc:
        raise TooLarge(f"{path.name} is not a readable XLSX (zip) archive: {exc}") from None
    unpacked = sum(p.file_size for p in parts)
    packed = max(1, sum(p.compress_size for p in parts))
    if unpacked > MAX_XLSX_UNPACKED_BYTES or unpacked / packed > MAX_XLSX_RATIO:
        raise TooLarge(
            f"{path.name} would unpack to {unpacked:,} bytes from {packed:,} "
            f"(limit {MAX_XLSX_UNPACKED_BYTES:,} bytes, ratio {MAX_XLSX_RATIO}): refused as a "
            "possible decompression bomb"
        )
