"""The C change test of delivery folders gives what the folders themselves say.

A night decides that an earlier folder is unchanged from `folder_signatures`
(`landing/_folder_stats.c`); anything else is loaded through `DeliveryFolder`.
Both must agree on every shape a folder can take, or a correction is missed.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest

from sangkien.landing.folders import DeliveryFolder, delivery_folders, folder_signatures

from feed_builder import row, write_delivery

NIGHT = date(2022, 5, 31)


def shapes(landing: Path, outside: Path) -> None:
    """One unit folder holding every kind of dated folder, one a day in May 2022."""

    def day(n: int) -> Path:
        return landing / "P38" / date(2022, 5, n).isoformat()

    write_delivery(landing, "P38", date(2022, 5, 1), [row()])  # data file and manifest
    write_delivery(landing, "P38", date(2022, 5, 2), [row()], fmt="json", manifest=False)
    write_delivery(landing, "P38", date(2022, 5, 3), [row()])
    (day(3) / "initiatives.json").write_bytes(b"[]")  # two data files: no data signature
    for n in (4, 5, 6, 7):
        day(n).mkdir()
    (day(4) / "manifest.json").write_text("{}")  # a manifest alone; 5 stays empty
    (day(6) / "notes.txt").write_text("scratch")  # nothing the contract names
    (outside / "initiatives.csv").write_bytes(b"record_id\n")
    (day(7) / "initiatives.csv").symlink_to(outside / "initiatives.csv")  # its own lstat
    (day(7) / "manifest.json").write_text("{}")
    os.utime(day(7) / "manifest.json", ns=(1, 1_234_567_891))  # nanoseconds kept
    day(8).write_text("a file, not a folder")
    day(9).symlink_to(day(1), target_is_directory=True)


def test_every_shape_of_folder_gets_the_signature_the_folder_gives(tmp_path) -> None:
    landing, outside = tmp_path / "landing", tmp_path / "outside"
    outside.mkdir()
    shapes(landing, outside)
    folders = delivery_folders(landing, "P38", NIGHT)
    missing = DeliveryFolder("P38", NIGHT, str(landing / "P38" / NIGHT.isoformat()))
    folders.append(missing)

    assert len(folders) == 10
    assert folder_signatures(folders) == [f.signature() for f in folders]
    assert len({f.signature() for f in folders}) > 5  # the shapes differ


def test_a_folder_path_it_cannot_open_is_left_to_python(tmp_path) -> None:
    too_long = DeliveryFolder("P38", NIGHT, str(tmp_path / ("x" * 300)))
    assert folder_signatures([too_long]) == [None]
    with pytest.raises(OSError, match="File name too long"):
        too_long.signature()
