"""Tests of the sample-feed simulator (`sangkien.simulate`); no database needed."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import unicodedata
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest

from sangkien.simulate import (
    CONFIDENTIAL_MARKER,
    SimulationSummary,
    expected_volume,
    load_units,
    programme_dates,
    reference_path,
    simulate,
)
from sangkien.simulate.encodings import TONE_MARKS, to_cp1258_text
from sangkien.simulate.nights import covered_days
from sangkien.simulate.profiles import profile
from sangkien.simulate.summary import ALL_KINDS, REJECTION_KINDS
from sangkien.simulate.vocabulary import all_strings

Run = tuple[Path, SimulationSummary]
UNIT_DIR = re.compile(r"^[PST]\d\d$")
DECODERS = {"utf-8": "utf-8-sig", "utf-8-sig": "utf-8-sig", "utf-16": "utf-16",
            "cp1258": "cp1258", "windows-1258": "cp1258"}  # fmt: skip


# --- helpers ----------------------------------------------------------------------------


def folders(root: Path) -> dict[tuple[str, str], Path]:
    """(unit, business_date) -> folder, for the final deliveries under `root`."""
    found = {}
    for unit_dir in sorted(root.iterdir()):
        if unit_dir.is_dir() and UNIT_DIR.match(unit_dir.name):
            for day_dir in sorted(unit_dir.iterdir()):
                found[unit_dir.name, day_dir.name] = day_dir
    return found


def tree_bytes(root: Path, days: set[str] | None = None) -> dict[str, bytes]:
    """Every file of the unit folders (and _previous/) as relative path -> bytes."""
    result = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if not path.is_file() or rel.parts[0] == "_simulation":
            continue
        if days is not None and rel.parts[-2] not in days:
            continue
        result[str(rel)] = path.read_bytes()
    return result


def data_file(folder: Path) -> Path:
    (path,) = [p for p in folder.iterdir() if p.name.startswith("initiatives.")]
    return path


def read_records(folder: Path) -> list[list[str]] | list[dict]:
    """Records of a delivery: CSV rows (after the header), JSON objects or XLSX rows."""
    path = data_file(folder)
    if path.suffix == ".csv":
        return csv_rows(folder)[1:]
    if path.suffix == ".json":
        loaded = json.loads(path.read_text(encoding="utf-8"))
        return loaded["records"] if isinstance(loaded, dict) else loaded
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True)
    rows = [list(r) for r in wb.worksheets[0].iter_rows(values_only=True)]
    wb.close()
    return rows[1:]


def declared_codec(folder: Path) -> str:
    """Python codec for the encoding a delivery declares (its unit's habit if no manifest)."""
    path = folder / "manifest.json"
    if path.exists():
        declared = json.loads(path.read_text(encoding="utf-8"))["encoding"]
    else:
        declared = profile(folder.parent.name).manifest_encoding
    return DECODERS[declared.lower()]


def csv_rows(folder: Path, errors: str = "replace") -> list[list[str]]:
    """Header and records of a CSV delivery, decoded as its manifest says."""
    text = data_file(folder).read_bytes().decode(declared_codec(folder), errors=errors)
    return list(csv.reader(io.StringIO(text, newline="")))


def csv_dicts(folder: Path) -> list[dict[str, str]]:
    header, *rows = csv_rows(folder)
    return [dict(zip(header, row, strict=False)) for row in rows]


def normalise_title(text: str) -> str:
    """Contract §4 normalisation (NFC, case-fold, đ→d, marks and punctuation removed)."""
    text = unicodedata.normalize("NFC", text).casefold().replace("đ", "d")
    text = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    text = re.sub(r"[^\w\s]", " ", text)
    return " ".join(text.split())


def ledger(root: Path) -> list[dict[str, str]]:
    with (root / "_simulation" / "defects.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


# --- fixtures: two modest runs shared by the tests --------------------------------------


@pytest.fixture(scope="module")
def national(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """All 82 units, three campaign weeks, tiny scale: every unit, format and encoding."""
    out = tmp_path_factory.mktemp("national")
    summary = simulate(out, date(2022, 5, 10), date(2022, 5, 30), scale=0.02, seed=7,
                       progress=False)  # fmt: skip
    return out, summary


@pytest.fixture(scope="module")
def heavy(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """A few busy units at half scale: enough rows for every row-level defect."""
    out = tmp_path_factory.mktemp("heavy")
    summary = simulate(out, date(2022, 5, 24), date(2022, 5, 28), scale=0.5, seed=7,
                       progress=False, units=["P38", "P42", "P44", "P31", "S14"])  # fmt: skip
    return out, summary


# --- volume model -----------------------------------------------------------------------


def test_volume_model_matches_published_figures() -> None:
    codes = [u.code for u in load_units()]
    days = programme_dates()
    assert len(codes) == 82
    assert days[0] == date(2022, 1, 8) and days[-1] == date(2023, 8, 31)
    per_day = {d: sum(expected_volume(c, d) for c in codes) for d in days}
    total = sum(per_day.values())
    assert abs(total - 2_400_000) <= 0.05 * 2_400_000
    assert round(per_day[date(2022, 1, 8)]) == 23
    phase1 = sum(n for d, n in per_day.items() if d <= date(2022, 5, 31))
    assert 650_000 <= phase1 <= 700_000
    campaign = sum(n for d, n in per_day.items() if date(2022, 4, 21) <= d <= date(2022, 5, 31))
    assert campaign > 0.6 * phase1
    assert 9_000 <= max(per_day.values()) <= 16_000
    running, reached = 0.0, None
    for d in days:
        running += per_day[d]
        if running >= 1_000_000:
            reached = d
            break
    assert reached is not None and date(2022, 9, 25) <= reached <= date(2022, 10, 10)

    per_unit = {c: sum(expected_volume(c, d) for d in days) for c in codes}
    ranking = sorted(per_unit, key=per_unit.get, reverse=True)
    assert ranking[:2] == ["P38", "P01"]  # Thanh Hóa, then Hà Nội
    assert 550_000 <= per_unit["P38"] <= 650_000
    assert 180_000 <= per_unit["P01"] <= 220_000
    assert 105_000 <= per_unit["P24"] <= 125_000  # Bắc Giang
    assert max(v for c, v in per_unit.items() if c[0] != "P") < 30_000  # sector unions smaller
    assert expected_volume("P38", date(2022, 5, 20), scale=0.01) == pytest.approx(
        expected_volume("P38", date(2022, 5, 20)) * 0.01
    )
    assert expected_volume("P38", date(2021, 12, 31)) == 0


def test_reference_path_finds_units() -> None:
    assert reference_path("reporting_units.csv").is_file()
    with pytest.raises(FileNotFoundError):
        reference_path("no_such_file.csv")


# --- determinism -------------------------------------------------------------------------

_SMALL_UNITS = ["P38", "P12", "P48", "S11", "P44", "P17", "S10"]


def test_same_arguments_give_same_bytes(tmp_path: Path) -> None:
    first = simulate(tmp_path / "a", date(2022, 5, 2), date(2022, 5, 4), scale=0.05, seed=3,
                     progress=False, units=_SMALL_UNITS)  # fmt: skip
    simulate(tmp_path / "b", date(2022, 5, 2), date(2022, 5, 4), scale=0.05, seed=3,
             progress=False, units=_SMALL_UNITS)  # fmt: skip
    a, b = tree_bytes(tmp_path / "a"), tree_bytes(tmp_path / "b")
    assert first.rows_written > 100 and a == b
    assert any(name.endswith(".xlsx") for name in a)
    assert (tmp_path / "a/_simulation/defects.csv").read_bytes() == (
        tmp_path / "b/_simulation/defects.csv"
    ).read_bytes()
    simulate(tmp_path / "c", date(2022, 5, 2), date(2022, 5, 4), scale=0.05, seed=4,
             progress=False, units=_SMALL_UNITS)  # fmt: skip
    assert tree_bytes(tmp_path / "c") != a


def test_sub_window_equals_wider_run(tmp_path: Path) -> None:
    units = ["P38", "P01", "P12", "S11", "P93"]
    simulate(tmp_path / "wide", date(2022, 4, 28), date(2022, 5, 8), scale=0.05, seed=11,
             progress=False, units=units)  # fmt: skip
    simulate(tmp_path / "narrow", date(2022, 5, 3), date(2022, 5, 5), scale=0.05, seed=11,
             progress=False, units=units)  # fmt: skip
    window = {"2022-05-03", "2022-05-04", "2022-05-05"}
    narrow = tree_bytes(tmp_path / "narrow")
    assert narrow == tree_bytes(tmp_path / "wide", window)
    assert len(narrow) >= 20


def test_generated_at_comes_from_business_date(national: Run) -> None:
    out, _ = national
    for (_, day), folder in folders(out).items():
        manifest_path = folder / "manifest.json"
        if manifest_path.exists():
            generated = json.loads(manifest_path.read_text())["generated_at"]
            next_day = date.fromisoformat(day) + timedelta(days=1)
            assert generated.startswith(next_day.isoformat())
            assert generated.endswith("+07:00")


# --- manifests and files ----------------------------------------------------------------


def _check_manifest(folder: Path) -> str | None:
    """'ok', or which of row_count / sha256 does not match; None without a manifest."""
    manifest_path = folder / "manifest.json"
    if not manifest_path.exists():
        return None
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    path = data_file(folder)
    assert manifest["file"] == path.name
    assert manifest["unit_code"] == folder.parent.name
    assert manifest["business_date"] == folder.name
    assert manifest["schema_version"] == 1
    if hashlib.sha256(path.read_bytes()).hexdigest() != manifest["sha256"]:
        return "BAD_SHA256"
    if len(read_records(folder)) != manifest["row_count"]:
        return "BAD_ROW_COUNT"
    return "ok"


def test_manifests_match_their_files_except_listed_ones(national: Run) -> None:
    out, summary = national
    broken = {(u, d): k for u, d, k in summary.broken_manifests}
    missing = set(summary.missing_manifests)
    found = folders(out)
    assert len(found) == summary.folders_written
    for key, folder in found.items():
        state = _check_manifest(folder)
        if state is None:
            assert key in missing
        else:
            assert state == broken.get(key, "ok"), key
    assert broken and missing
    assert set(broken) <= set(found) and missing <= set(found)

    variants = {(u, d): v for u, d, v in summary.redeliveries}
    assert set(variants.values()) >= {"partial", "stale"} or len(variants) >= 3
    for (unit, day), variant in variants.items():
        earlier = out / "_previous" / unit / day
        state = _check_manifest(earlier)
        assert state == ("ok" if variant != "incomplete" else "BAD_SHA256")
        assert (out / unit / day / "manifest.json").exists()
        assert data_file(earlier).read_bytes() != data_file(out / unit / day).read_bytes()


def test_missed_nights_leave_no_folder_and_are_caught_up(national: Run) -> None:
    out, summary = national
    missed = [e for e in ledger(out) if e["kind"] == "MISSED_NIGHT"]
    assert len(missed) == summary.missed_nights > 0
    found = folders(out)
    for entry in missed:
        unit, day = entry["unit_code"], date.fromisoformat(entry["business_date"])
        assert (unit, day.isoformat()) not in found
        later = day + timedelta(days=1)
        while (unit, later.isoformat()) not in found and later <= date(2022, 5, 30):
            later += timedelta(days=1)
        if later <= date(2022, 5, 30):
            assert day in covered_days(7, unit, later)


def test_every_format_and_encoding_appears(national: Run) -> None:
    out, summary = national
    assert set(summary.rows_by_encoding) >= {
        "utf-8", "utf-8-sig", "utf-16", "cp1258", "utf-8-nfd", "json", "xlsx"
    }  # fmt: skip
    assert all(summary.rows_by_format[f] > 0 for f in ("csv", "json", "xlsx"))
    spellings, json_forms = set(), set()
    for (unit, _), folder in folders(out).items():
        path = data_file(folder)
        raw = path.read_bytes()
        manifest_path = folder / "manifest.json"
        if manifest_path.exists():
            spellings.add(json.loads(manifest_path.read_text())["encoding"])
        if unit in ("P17", "P58", "S07"):
            assert raw.startswith(b"\xff\xfe")
            raw.decode("utf-16")
        elif unit in ("P31", "P79", "P22"):
            assert raw.startswith(b"\xef\xbb\xbf")
        elif unit in ("P44", "P54", "P93", "P95", "S15") and raw.count(b"\n") > 1:
            text = raw.decode("cp1258", errors="replace")
            assert any(c in TONE_MARKS for c in text)  # decomposed tone marks
            assert not any(c in TONE_MARKS for c in unicodedata.normalize("NFC", text))
        elif unit in ("P46", "P66") and raw.count(b"\n") > 1:
            text = raw.decode("utf-8", errors="replace")
            assert unicodedata.normalize("NFC", text) != text
        elif path.suffix == ".json":
            json_forms.add(type(json.loads(raw)).__name__)
        elif path.suffix == ".xlsx":
            assert raw.startswith(b"PK")
    assert json_forms == {"list", "dict"}
    assert {"utf-8", "UTF-8", "utf-16", "utf-8-sig"} & spellings
    assert len(spellings) >= 6


def test_cp1258_files_decode_and_carry_combining_marks(heavy: Run) -> None:
    out, _ = heavy
    with_bad_bytes = {
        e["business_date"] for e in ledger(out)
        if e["unit_code"] == "P44" and e["kind"] == "ENCODING_ERROR"
    }  # fmt: skip
    checked = 0
    for (unit, day), folder in folders(out).items():
        if unit != "P44" or day in with_bad_bytes:
            continue
        text = data_file(folder).read_bytes().decode("cp1258")  # strict: every byte decodes
        assert "\u0301" in text and "\u0323" in text  # acute and dot below, combining
        assert "Nguyễn" not in text and "Nguyê\u0303n" in text  # ê one code point, tilde apart
        assert unicodedata.normalize("NFC", text) != text
        checked += 1
    assert checked >= 3


def test_json_and_xlsx_carry_native_values(tmp_path: Path) -> None:
    simulate(tmp_path, date(2022, 5, 25), date(2022, 5, 27), scale=1, seed=5, progress=False,
             units=["S13", "P48", "S10"])  # fmt: skip
    from openpyxl import load_workbook

    date_cells = 0
    for (unit, _), folder in folders(tmp_path).items():
        path = data_file(folder)
        if unit == "S13":
            wb = load_workbook(path, read_only=True)
            header, *rows = list(wb.worksheets[0].iter_rows(values_only=True))
            wb.close()
            assert "record_id" in header and "applied_on" in header
            at = header.index("applied_on")
            date_cells += sum(1 for r in rows if hasattr(r[at], "year"))
        else:
            records = json.loads(path.read_text(encoding="utf-8"))
            records = records["records"] if isinstance(records, dict) else records
            for rec in records:
                if unit == "P48" and "is_confidential" in rec:
                    assert rec["is_confidential"] in (True, False, None)
                if unit == "S10":
                    assert all(isinstance(v, str) for v in rec.values())
    assert date_cells > 0


def test_vocabulary_is_cp1258_encodable() -> None:
    for text in all_strings():
        to_cp1258_text(text).encode("cp1258")


# --- defects -----------------------------------------------------------------------------


def test_every_defect_kind_appears(national: Run, heavy: Run) -> None:
    seen = national[1].defects + heavy[1].defects
    assert [k for k in ALL_KINDS if not seen[k]] == []
    summary = national[1]
    rejected = sum(summary.defects[k] for k in REJECTION_KINDS)
    assert 0.01 <= rejected / summary.rows_written <= 0.03
    text = str(summary)
    assert "MALFORMED_ROW" in text and "rows" in text and "broken manifests" in text


def test_ledger_line_numbers_point_at_the_defective_rows(heavy: Run) -> None:
    out, _ = heavy
    entries = ledger(out)
    kinds = Counter(e["kind"] for e in entries)
    assert kinds["ENCODING_ERROR"] and kinds["MALFORMED_ROW"] and kinds["CONFIDENTIAL_CONTENT"]
    for entry in entries:
        folder = out / entry["unit_code"] / entry["business_date"]
        line = int(entry["line_number"] or 0)
        if entry["kind"] == "MALFORMED_ROW":
            header, *rows = csv_rows(folder)
            assert len(rows[line - 1]) != len(header)
        elif entry["kind"] == "ENCODING_ERROR":
            _, *rows = csv_rows(folder, errors="surrogateescape")
            assert re.search("[\udc80-\udcff]", ",".join(rows[line - 1]))  # undecodable bytes
            with pytest.raises(UnicodeDecodeError):
                data_file(folder).read_bytes().decode(declared_codec(folder))
        elif entry["kind"] == "CONFIDENTIAL_CONTENT":
            row = csv_dicts(folder)[line - 1]
            assert CONFIDENTIAL_MARKER in unicodedata.normalize("NFC", row["summary"])
            assert row["is_confidential"].strip().lower() in ("true", "1", "có", "x")
            assert row["record_id"] == entry["record_id"]


def test_confidential_marker_only_in_flagged_rows(heavy: Run) -> None:
    out, _ = heavy
    flagged = {(e["unit_code"], e["business_date"], e["line_number"])
               for e in ledger(out) if e["kind"] == "CONFIDENTIAL_CONTENT"}  # fmt: skip
    for (unit, day), folder in folders(out).items():
        raw = data_file(folder).read_bytes()
        decoded = raw.decode("cp1258" if unit == "P44" else "utf-8-sig", errors="replace")
        if CONFIDENTIAL_MARKER not in unicodedata.normalize("NFC", decoded):
            continue
        for line, row in enumerate(csv_dicts(folder), start=1):
            if CONFIDENTIAL_MARKER in unicodedata.normalize("NFC", row.get("summary") or ""):
                assert (unit, day, str(line)) in flagged


def test_versions_tombstones_and_repeats(heavy: Run) -> None:
    out, summary = heavy
    assert summary.updates > 0 and summary.defects["TOMBSTONE"] > 0
    repeats: dict[tuple[str, str], list[str]] = {}
    for e in ledger(out):
        if e["kind"] == "IN_DELIVERY_REPEAT":
            repeats.setdefault((e["unit_code"], e["business_date"]), []).append(e["record_id"])
    assert repeats
    seen_in: dict[tuple[str, str], set[str]] = {}
    for (unit, day), folder in folders(out).items():
        rows = csv_dicts(folder)
        counts = Counter(r["record_id"] for r in rows)
        for row in rows:
            seen_in.setdefault((unit, row["record_id"]), set()).add(day)
            if (row.get("is_deleted") or "").strip().lower() in ("true", "1", "có", "x"):
                filled = {k for k, v in row.items() if v and v.strip()}
                assert filled <= {"record_id", "unit_code", "is_deleted", "updated_at"}
        for record_id in repeats.get((unit, day), ()):
            assert counts[record_id] >= 2
    assert any(len(days) > 1 for days in seen_in.values())  # later versions on later nights


def test_exact_duplicates_match_after_normalisation(heavy: Run) -> None:
    out, _ = heavy
    rows_by_key: dict[str, dict[str, str]] = {}
    for (unit, _), folder in folders(out).items():
        for row in csv_dicts(folder):
            rows_by_key.setdefault(f"{unit}:{row['record_id']}", row)
    entries = ledger(out)
    defective = {f"{e['unit_code']}:{e['record_id']}" for e in entries
                 if e["kind"] in REJECTION_KINDS}  # fmt: skip
    checked = 0
    for entry in entries:
        if entry["kind"] not in ("DUPLICATE_EXACT", "DUPLICATE_CROSS_UNIT", "NEAR_DUPLICATE"):
            continue
        key = f"{entry['unit_code']}:{entry['record_id']}"
        dup, src = rows_by_key.get(key), rows_by_key.get(entry["detail"])
        if dup is None or src is None or {key, entry["detail"]} & defective:
            continue  # source outside the window, or a planted defect changed a field
        authors = [{a.strip() for a in r["authors"].split(";")} for r in (dup, src)]
        assert authors[0] == authors[1]
        same = normalise_title(dup["title"]) == normalise_title(src["title"])
        assert same if entry["kind"] != "NEAR_DUPLICATE" else not same
        checked += 1
    assert checked >= 5


def test_bad_arguments_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        simulate(tmp_path, date(2022, 5, 2), date(2022, 5, 1), progress=False)
    with pytest.raises(ValueError):
        simulate(tmp_path, date(2022, 5, 1), date(2022, 5, 1), units=["P99"], progress=False)
    with pytest.raises(ValueError):
        simulate(tmp_path, date(2022, 5, 1), date(2022, 5, 1), scale=0, progress=False)


def test_nights_outside_the_programme_write_nothing(tmp_path: Path) -> None:
    summary = simulate(tmp_path, date(2021, 12, 30), date(2022, 1, 8), scale=1, progress=False)
    days = {d for _, d in folders(tmp_path)}
    assert days == {"2022-01-08"}
    assert summary.folders_written == 82
    assert 5 <= summary.new_records <= 60  # 23 nationally on the first day
