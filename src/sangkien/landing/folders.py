"""The landing area on disk: which delivery folders a unit has, and what they hold.

`<landing>/<unit_code>/<business_date>/` holds one data file and usually a
`manifest.json` (contract §1). Nothing outside the landing area is ever read:
links are refused, and folder names must be exactly a unit code and an ISO date.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

from sangkien.feeds.contract import DATA_FILES

_DATE_FOLDER = re.compile(r"\d{4}-\d{2}-\d{2}")


class UnsafePath(ValueError):
    """A path in the landing area points somewhere it must not (a link, a traversal)."""


@dataclass(frozen=True)
class DeliveryFolder:
    unit_code: str
    business_date: date
    path: Path

    @property
    def manifest_path(self) -> Path:
        return self.path / "manifest.json"

    def data_files(self) -> list[Path]:
        return [self.path / name for name in DATA_FILES if (self.path / name).exists()]

    def signature(self) -> tuple[int | None, int | None, int | None]:
        """(size, mtime_ns) of the data file and mtime_ns of the manifest: cheap change test."""
        files = self.data_files()
        data = files[0].stat() if len(files) == 1 else None
        manifest = self.manifest_path.stat() if self.manifest_path.exists() else None
        return (
            data.st_size if data else None,
            data.st_mtime_ns if data else None,
            manifest.st_mtime_ns if manifest else None,
        )


def unit_folder(landing_dir: Path, unit_code: str) -> Path:
    if not re.fullmatch(r"[A-Z][0-9]{2}", unit_code):
        raise UnsafePath(f"'{unit_code}' is not a unit code")
    return landing_dir / unit_code


def delivery_folders(landing_dir: Path, unit_code: str, up_to: date) -> list[DeliveryFolder]:
    """The unit's delivery folders dated on or before `up_to`, oldest first."""
    folder = unit_folder(landing_dir, unit_code)
    if folder.is_symlink():
        raise UnsafePath(f"{folder} is a link; unit folders must be real folders")
    if not folder.is_dir():
        return []
    found = []
    for child in folder.iterdir():
        if not _DATE_FOLDER.fullmatch(child.name):
            continue  # not a delivery (e.g. a unit's scratch file); ignored
        try:
            business_date = date.fromisoformat(child.name)
        except ValueError:
            continue
        if business_date <= up_to:
            found.append(DeliveryFolder(unit_code, business_date, child))
    return sorted(found, key=lambda f: f.business_date)


def check_inside(path: Path, landing_dir: Path) -> None:
    """Refuse links and anything that resolves outside the landing area."""
    if path.is_symlink():
        raise UnsafePath(f"{path.name} is a link; deliveries must be real files")
    resolved = path.resolve()
    if not resolved.is_relative_to(_resolved(landing_dir)):
        raise UnsafePath(f"{path} resolves outside the landing area")


def check_file_in(path: Path) -> None:
    """Refuse a link in a delivery folder that `check_inside` passed. The file names
    are fixed (contract §1, no separator), so a real file there is inside too:
    resolving each file again cost a replay 2 × 48,000 walks of the whole path."""
    if path.is_symlink():
        raise UnsafePath(f"{path.name} is a link; deliveries must be real files")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


@lru_cache(maxsize=8)
def _resolved(landing_dir: Path) -> Path:
    """The landing area's real path, resolved once (a replay checks 50,000 deliveries)."""
    return landing_dir.resolve()
