"""Hostile input: stored verbatim and inert, or refused with a clear reason."""

from __future__ import annotations

import shutil
import zipfile
from datetime import date

import pytest

from sangkien.landing.unit_night import UnitNightFailed, land_unit_night
from sangkien.registry import Source

from feed_builder import row, write_delivery, xlsx_bytes

NIGHT = date(2022, 5, 31)


def land(db, landing):
    return land_unit_night(db, Source("P38"), NIGHT, landing)


def test_sql_and_formula_like_text_is_stored_verbatim(db, landing) -> None:
    sql = "Robert'); DROP TABLE raw.initiative_row; --"
    formula = '=HYPERLINK("http://example.invalid","bấm vào đây")'
    rows = [row(record_id="S1", title=sql, award=formula, effect_summary="+1 @SUM(A1:A9) -2")]
    write_delivery(landing, "P38", NIGHT, rows)
    land(db, landing)
    stored = db.execute("select title, award, effect_summary from raw.initiative_row").fetchone()
    assert stored == (sql, formula, "+1 @SUM(A1:A9) -2")


def test_an_oversized_field_rejects_only_its_row(db, landing) -> None:
    rows = [row(record_id="BIG", summary="x" * 70_000), row(record_id="OK")]
    write_delivery(landing, "P38", NIGHT, rows)
    land(db, landing)
    assert db.execute("select record_id from raw.initiative_row").fetchall() == [("OK",)]
    reason, detail = db.execute(
        "select reason_code, reason_detail from quality.rejected_row"
    ).fetchone()
    assert reason == "MALFORMED_ROW" and "65536" in detail.replace(",", "")


def test_an_oversized_field_in_json_rejects_only_its_row(db, landing) -> None:
    rows = [row(record_id="BIG", effect_summary="y" * 70_000), row(record_id="OK")]
    write_delivery(landing, "P38", NIGHT, rows, fmt="json")
    land(db, landing)
    assert db.execute("select record_id from raw.initiative_row").fetchall() == [("OK",)]
    assert db.execute("select reason_code from quality.rejected_row").fetchall() == [
        ("MALFORMED_ROW",)
    ]


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_a_nul_character_rejects_only_its_row(db, landing, fmt) -> None:
    # PostgreSQL's text cannot hold NUL: it used to stop the unit's night at the COPY.
    rows = [row(record_id="NUL", title="Sáng kiến có ký tự \x00 rỗng"), row(record_id="OK")]
    write_delivery(landing, "P38", NIGHT, rows, fmt=fmt)
    assert land(db, landing).outcome == "loaded"
    assert db.execute("select record_id from raw.initiative_row").fetchall() == [("OK",)]
    assert db.execute(
        "select line_number, record_id, reason_code, reason_detail from quality.rejected_row"
    ).fetchall() == [(1, "NUL", "ENCODING_ERROR", "undecodable bytes in title")]


def test_an_oversized_file_is_refused_before_it_is_read(db, landing, monkeypatch) -> None:
    import sangkien.feeds.limits as limits

    write_delivery(landing, "P38", NIGHT, [row(record_id=f"R{i}") for i in range(50)])
    monkeypatch.setattr(limits, "MAX_FILE_BYTES", 4096)
    with pytest.raises(UnitNightFailed, match="over the limit of 4,096 bytes"):
        land(db, landing)
    assert db.execute("select count(*) from raw.initiative_row").fetchone() == (0,)


def test_a_decompression_bomb_xlsx_is_refused(db, landing) -> None:
    folder = write_delivery(landing, "P38", NIGHT, [row()], fmt="xlsx")
    path = folder / "initiatives.xlsx"
    with (
        zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as archive,
        archive.open("xl/worksheets/padding.xml", "w") as part,
    ):
        for _ in range(64):
            part.write(b"\0" * 2**20)  # 64 MiB of zeros pack into a few dozen KiB
    with pytest.raises(UnitNightFailed, match="decompression bomb"):
        land(db, landing)
    assert db.execute("select status from quality.delivery").fetchall() == [("failed",)]


def test_a_data_file_linking_outside_the_landing_area_is_refused(db, landing, tmp_path) -> None:
    secret = tmp_path / "secret.csv"
    secret.write_bytes(xlsx_bytes([row()]))
    folder = write_delivery(landing, "P38", NIGHT, [row()], manifest=False)
    (folder / "initiatives.csv").unlink()
    (folder / "initiatives.csv").symlink_to(secret)
    with pytest.raises(UnitNightFailed, match="link"):
        land(db, landing)


def test_a_linked_manifest_or_date_folder_is_refused(db, landing, tmp_path) -> None:
    elsewhere = tmp_path / "elsewhere"
    outside = write_delivery(elsewhere, "P38", NIGHT, [row()])
    folder = write_delivery(landing, "P38", NIGHT, [row()])
    (folder / "manifest.json").unlink()
    (folder / "manifest.json").symlink_to(outside / "manifest.json")
    with pytest.raises(UnitNightFailed, match=r"manifest\.json is a link"):
        land(db, landing)
    shutil.rmtree(folder)
    folder.symlink_to(outside, target_is_directory=True)
    with pytest.raises(UnitNightFailed, match="is a link"):
        land(db, landing)
    assert db.execute("select count(*) from raw.initiative_row").fetchone() == (0,)


def test_a_linked_unit_folder_is_refused(db, landing, tmp_path) -> None:
    elsewhere = tmp_path / "elsewhere"
    write_delivery(elsewhere, "P38", NIGHT, [row()])
    (landing / "P38").symlink_to(elsewhere / "P38", target_is_directory=True)
    with pytest.raises(UnitNightFailed, match="link"):
        land(db, landing)
    assert db.execute("select count(*) from raw.initiative_row").fetchone() == (0,)
