"""The landing area on disk: which delivery folders a unit has, and what they hold.

`<landing>/<unit_code>/<business_date>/` holds one data file and usually a
`manifest.json` (contract §1). Nothing outside the landing area is ever read:
links are refused, and folder names must be exactly a unit code and an ISO date.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import BinaryIO

from sangkien.feeds.contract import DATA_FILES, MANIFEST_FILE
from sangkien.landing import _folder_stats

#: (data file size, data file mtime_ns, manifest mtime_ns): what a folder is checked by.
Signature = tuple[int | None, int | None, int | None]

_DATE_FOLDER = re.compile(r"\d{4}-\d{2}-\d{2}")
_DELIVERY_FILES = frozenset((*DATA_FILES, MANIFEST_FILE))
#: A data file up to this size is read once, for its hash and its rows.
_READ_WHOLE_BYTES = 4 << 20


class UnsafePath(ValueError):
    """A path in the landing area points somewhere it must not (a link, a traversal)."""


@dataclass(frozen=True)
class DeliveryFolder:
    unit_code: str
    business_date: date
    #: The folder's path as the unit folder's listing gives it (a string: a night
    #: looks at every earlier folder, and most need no more than one listing).
    location: str
    #: The folder is a link (as the unit folder's listing says): it is refused.
    is_link: bool = False

    @cached_property
    def path(self) -> Path:
        return Path(self.location)

    @property
    def manifest_path(self) -> Path:
        return self.path / MANIFEST_FILE

    @cached_property
    def files(self) -> dict[str, os.DirEntry[str]]:
        """The manifest and data files the folder holds, links included, listed once: a
        replay looks at 48,000 folders, a night at every earlier folder of each unit."""
        try:
            with os.scandir(self.location) as entries:
                return {e.name: e for e in entries if e.name in _DELIVERY_FILES}
        except (FileNotFoundError, NotADirectoryError):
            return {}

    def data_files(self) -> list[Path]:
        return [self.path / name for name in DATA_FILES if name in self.files]

    def stat(self, name: str) -> os.stat_result:
        """The file's own status (a link's, not its target's: links are refused)."""
        return self.files[name].stat(follow_symlinks=False)

    def signature(self) -> Signature:
        """(size, mtime_ns) of the data file and mtime_ns of the manifest: cheap change test."""
        names = [name for name in DATA_FILES if name in self.files]
        data = self.stat(names[0]) if len(names) == 1 else None
        manifest = self.stat(MANIFEST_FILE) if MANIFEST_FILE in self.files else None
        return (
            data.st_size if data else None,
            data.st_mtime_ns if data else None,
            manifest.st_mtime_ns if manifest else None,
        )

    def check_not_link(self, name: str | None = None) -> None:
        """Refuse the folder, or a file in it, that is a link. The unit folder is checked
        when listed, and folder and file names are fixed (no separator, no '..'): what
        is not a link is inside the landing area."""
        if name is None:
            if self.is_link:
                raise UnsafePath(f"{self.path.name} is a link; deliveries must be real files")
        elif self.files[name].is_symlink():
            raise UnsafePath(f"{name} is a link; deliveries must be real files")


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
    with os.scandir(folder) as children:
        for child in children:
            if not _DATE_FOLDER.fullmatch(child.name):
                continue  # not a delivery (e.g. a unit's scratch file); ignored
            try:
                business_date = date.fromisoformat(child.name)
            except ValueError:
                continue
            if business_date <= up_to:
                found.append(
                    DeliveryFolder(unit_code, business_date, child.path, is_link=child.is_symlink())
                )
    return sorted(found, key=lambda f: f.business_date)


def folder_signatures(folders: list[DeliveryFolder]) -> list[Signature | None]:
    """Each folder's `signature()`, the system calls made in C without the GIL: a night
    checks every earlier folder of each unit (44,563 on the last nights at full scale),
    and its landing threads then check them at once. None where the C code met
    anything but a readable folder or a missing one: ask the folder itself."""
    return _folder_stats.signatures(  # type: ignore[no-any-return]
        [f.location for f in folders], DATA_FILES, MANIFEST_FILE
    )


def sha256_of(path: Path, contents: bytes | None = None) -> str:
    """The file's sha256: of `contents` when its bytes are already read (`read_small`)."""
    if contents is not None:
        return hashlib.sha256(contents).hexdigest()
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def read_small(path: Path, size: int) -> bytes | None:
    """The whole file when it is small (then hashed and parsed from one read), else None."""
    return path.read_bytes() if size <= _READ_WHOLE_BYTES else None


def open_data(path: Path, contents: bytes | None) -> BinaryIO:
    """The data file for reading: from `read_small`'s bytes, or from disk."""
    if contents is not None:
        return io.BufferedReader(io.BytesIO(contents))  # type: ignore[arg-type]
    return path.open("rb")
