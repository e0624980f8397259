"""Landing delivery folders into `raw` and `quality` (contract §1–§4a), on a real server."""

from __future__ import annotations

import json
import os
import unicodedata
from datetime import date
from pathlib import Path

import psycopg
import pytest

from sangkien.feeds.contract import COLUMNS
from sangkien.landing.unit_night import UnitNightFailed, land_unit_night
from sangkien.registry import Source

from databases import fresh_warehouse
from feed_builder import csv_bytes, row, write_delivery

D1, D2, D3 = date(2022, 5, 29), date(2022, 5, 30), date(2022, 5, 31)


def land(db: psycopg.Connection, landing: Path, up_to: date, unit: str = "P38"):
    return land_unit_night(db, Source(unit), up_to, landing)


def rejected(db: psycopg.Connection) -> set[tuple[int, str | None, str]]:
    return set(db.execute("select line_number, record_id, reason_code from quality.rejected_row"))


def raw_titles(db: psycopg.Connection) -> dict[str, str]:
    return dict(db.execute("select record_id, title from raw.initiative_row"))


def delivery_counts(db: psycopg.Connection) -> list[tuple]:
    return db.execute(
        """select business_date, status, rows_received, rows_published, rows_rejected,
                  rows_superseded from quality.delivery order by delivery_id"""
    ).fetchall()


def test_every_reason_code_is_reported_with_its_line(db, landing) -> None:
    rows = [
        row(record_id="OK1"),
        row(record_id="M1", effect_summary=""),
        row(record_id="E1", participant_group="farmer"),
        row(record_id="D1", applied_on="31/02/2022"),
        row(record_id="N1", benefit_vnd="1,5"),
        row(record_id="T1", title="Ngắn"),
        row(record_id="U1", unit_code="P01"),
        row(record_id="U2", unit_code="Z99"),
        row(record_id="X1", title="Lỗi mã hoá ở đây nhé"),
        row(record_id="MULTI", field="sports", submitted_at="hôm qua"),
        row(record_id="OK2"),
    ]
    text = csv_bytes(rows).encode("utf-8")
    # One undecodable byte inside line 9's title; a truncated record as line 12.
    text = text.replace("Lỗi mã hoá".encode(), b"L\xff\xfei m\xc3", 1)
    text += b"MAL1,P38,only three fields\r\n"
    write_delivery(landing, "P38", D3, [*rows, {}], data=text)

    outcome = land(db, landing, D3)

    expected = {
        (2, "M1", "MISSING_REQUIRED"),
        (3, "E1", "BAD_ENUM"),
        (4, "D1", "BAD_DATE"),
        (5, "N1", "BAD_NUMBER"),
        (6, "T1", "TITLE_LENGTH"),
        (7, "U1", "UNIT_MISMATCH"),
        (8, "U2", "UNIT_MISMATCH"),
        (9, "X1", "ENCODING_ERROR"),
        (10, "MULTI", "BAD_ENUM"),
        (10, "MULTI", "BAD_DATE"),
        (12, "MAL1", "MALFORMED_ROW"),
    }
    assert rejected(db) == expected
    assert set(raw_titles(db)) == {"OK1", "OK2"}
    assert delivery_counts(db) == [(D3, "loaded", 12, 2, 10, 0)]
    assert outcome.outcome == "loaded"
    details = dict(
        db.execute("select record_id || reason_code, reason_detail from quality.rejected_row")
    )
    assert details["M1MISSING_REQUIRED"] == "effect_summary"
    assert "farmer" in details["E1BAD_ENUM"]
    assert "title" in details["X1ENCODING_ERROR"]
    # Quarantine rows belong to the delivering unit, even for another unit's row.
    assert db.execute("select distinct unit_code from quality.rejected_row").fetchall() == [
        ("P38",)
    ]


VIETNAMESE = "Ứng dụng công nghệ thông tin trong quản lý đoàn viên — Đổi mới"


def cp1258_form(text: str) -> str:
    """What Windows-1258 holds: base letters precomposed, tone marks as combining marks."""
    tones = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
    out = []
    for ch in text:
        parts = unicodedata.normalize("NFD", ch)
        base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in tones))
        out.append(base + "".join(c for c in parts if c in tones))
    return "".join(out)


@pytest.mark.parametrize(
    ("declared", "encode"),
    [
        ("utf-8", lambda s: s.encode("utf-8")),
        ("UTF-8", lambda s: s.encode("utf-8-sig")),  # BOM under a plain utf-8 declaration
        ("utf-8-sig", lambda s: s.encode("utf-8-sig")),
        ("utf-16", lambda s: s.encode("utf-16")),
        ("cp1258", lambda s: cp1258_form(s).encode("cp1258")),
        ("windows-1258", lambda s: cp1258_form(s).encode("cp1258")),
        ("utf-8", lambda s: unicodedata.normalize("NFD", s).encode("utf-8")),
    ],
    ids=["utf8", "utf8-bom-undeclared", "utf8-sig", "utf16", "cp1258", "windows-1258", "nfd"],
)
def test_every_encoding_lands_as_nfc_text(db, landing, declared, encode) -> None:
    rows = [row(record_id="V1", title=VIETNAMESE, authors="Nguyễn Thị Hương;Đặng Văn Ước")]
    write_delivery(landing, "P38", D3, rows, data=encode(csv_bytes(rows)), encoding=declared)

    land(db, landing, D3)

    title, authors = db.execute("select title, authors from raw.initiative_row").fetchone()
    assert title == VIETNAMESE and unicodedata.is_normalized("NFC", title)
    assert authors == "Nguyễn Thị Hương;Đặng Văn Ước"
    assert rejected(db) == set()


def test_an_undeclared_encoding_without_bom_is_read_as_utf8(db, landing) -> None:
    rows = [row(record_id="V1", title=VIETNAMESE)]
    write_delivery(landing, "P38", D3, rows, manifest=False)
    land(db, landing, D3)
    assert raw_titles(db) == {"V1": VIETNAMESE}


@pytest.mark.parametrize("fmt", ["csv", "json-array", "json-records", "xlsx"])
def test_every_format_lands_the_same_rows(db, landing, fmt) -> None:
    rows = [
        row(
            record_id="F1",
            title="  Cải tiến quy trình tiếp nhận hồ sơ  ",
            solution_type="Management",
        ),
        row(record_id="F2", benefit_vnd="", submitted_at="30/05/2022 08:15"),
        row(record_id="F3", title="x"),  # rejected: TITLE_LENGTH
    ]
    if fmt.startswith("json"):
        payload = rows if fmt == "json-array" else {"unit_code": "P38", "records": rows}
        write_delivery(
            landing,
            "P38",
            D3,
            rows,
            fmt="json",
            data=json.dumps(payload, ensure_ascii=False).encode(),
        )
    else:
        write_delivery(landing, "P38", D3, rows, fmt=fmt)

    land(db, landing, D3)

    stored = db.execute(
        """select record_id, line_number, title, solution_type, benefit_vnd,
                  to_char(submitted_at, 'YYYY-MM-DD HH24:MI') from raw.initiative_row
           order by record_id"""
    ).fetchall()
    assert stored == [
        (
            "F1",
            1,
            "Cải tiến quy trình tiếp nhận hồ sơ",
            "management",
            1_500_000,
            "2022-05-31 21:04",
        ),
        ("F2", 2, "Giải pháp nâng cao hiệu quả giảng dạy", "technical", None, "2022-05-30 08:15"),
    ]
    assert rejected(db) == {(3, "F3", "TITLE_LENGTH")}


def test_json_values_of_other_types_are_read_as_their_text(db, landing) -> None:
    record = {**row(record_id="J1"), "benefit_vnd": 2500000, "is_confidential": False}
    write_delivery(landing, "P38", D3, [record], fmt="json")
    land(db, landing, D3)
    assert db.execute("select benefit_vnd, is_confidential from raw.initiative_row").fetchone() == (
        2_500_000,
        False,
    )


def test_a_confidential_summary_never_reaches_the_database(db, landing) -> None:
    rows = [
        row(record_id="C1", is_confidential="true", summary="MẬT-KHÔNG-LƯU bí mật công nghệ"),
        row(record_id="C2", is_confidential="có", summary="MẬT-KHÔNG-LƯU", title="abc"),
    ]
    write_delivery(landing, "P38", D3, rows)
    land(db, landing, D3)
    hits = db.execute(
        """select count(*) from (
               select r::text as t from raw.initiative_row r
               union all select q::text from quality.rejected_row q
               union all select w::text from quality.warning w) s
           where t like '%MẬT-KHÔNG-LƯU%'"""
    ).fetchone()[0]
    assert hits == 0
    warnings = db.execute(
        "select line_number, warning_code from quality.warning order by line_number"
    ).fetchall()
    assert warnings == [(1, "CONFIDENTIAL_CONTENT"), (2, "CONFIDENTIAL_CONTENT")]
    assert raw_titles(db) == {"C1": row()["title"]}


def test_unknown_columns_are_ignored_and_reported_once(db, landing) -> None:
    rows = [{**row(record_id=f"K{i}"), "ghi_chu": "x", "so_thu_tu": str(i)} for i in range(3)]
    write_delivery(landing, "P38", D3, rows, columns=[*COLUMNS, "ghi_chu", "so_thu_tu"])
    land(db, landing, D3)
    assert db.execute(
        "select warning_code, detail, line_number from quality.warning"
    ).fetchall() == [("UNKNOWN_COLUMN", "ignored columns: ghi_chu, so_thu_tu", None)]
    assert len(raw_titles(db)) == 3


@pytest.mark.parametrize(
    ("override", "mentions"),
    [({"row_count": 5}, "row_count 5, file has 2"), ({"sha256": "0" * 64}, "sha256")],
    ids=["row-count", "sha256"],
)
def test_a_manifest_mismatch_publishes_nothing_and_keeps_the_previous_state(
    db, landing, override, mentions
) -> None:
    write_delivery(landing, "P38", D3, [row(record_id="A"), row(record_id="B")])
    land(db, landing, D3)
    write_delivery(
        landing,
        "P38",
        D3,
        [row(record_id="A", title="Tên đã sửa lại"), row(record_id="C")],
        manifest_overrides=override,
    )

    outcome = land(db, landing, D3)

    assert outcome.outcome == "incomplete" and mentions in (outcome.detail or "")
    assert raw_titles(db) == {"A": row()["title"], "B": row()["title"]}
    assert delivery_counts(db) == [(D3, "loaded", 2, 2, 0, 0), (D3, "incomplete", 2, 0, 2, 0)]


def test_a_delivery_without_manifest_is_loaded_and_flagged(db, landing) -> None:
    write_delivery(landing, "P38", D3, [row(record_id="A")], manifest=False)
    land(db, landing, D3)
    assert raw_titles(db) == {"A": row()["title"]}
    assert db.execute("select warning_code from quality.warning").fetchall() == [("NO_MANIFEST",)]
    assert db.execute("select has_manifest from quality.delivery").fetchone() == (False,)


def test_a_redelivery_replaces_the_night_atomically(db, landing) -> None:
    write_delivery(
        landing, "P38", D3, [row(record_id="A"), row(record_id="B"), row(record_id="Z", title="x")]
    )
    land(db, landing, D3)
    write_delivery(
        landing, "P38", D3, [row(record_id="A", title="Tên đã sửa lại"), row(record_id="C")]
    )

    land(db, landing, D3)

    current = dict(
        db.execute(
            """select r.record_id, r.title from raw.initiative_row r
           join quality.delivery d using (delivery_id) where d.status = 'loaded'"""
        )
    )
    assert current == {"A": "Tên đã sửa lại", "C": row()["title"]}
    # The replaced delivery keeps the counts it had.
    assert delivery_counts(db) == [(D3, "replaced", 3, 2, 1, 0), (D3, "loaded", 2, 2, 0, 0)]


def test_within_a_delivery_the_latest_update_then_the_later_line_wins(db, landing) -> None:
    rows = [
        row(record_id="A", title="Phiên bản mới nhất", updated_at="2022-05-31T10:00:00+07:00"),
        row(record_id="A", title="Phiên bản cũ hơn", updated_at="2022-05-31T09:00:00+07:00"),
        row(record_id="B", title="Dòng trước đó"),
        row(record_id="B", title="Dòng sau cùng"),
    ]
    write_delivery(landing, "P38", D3, rows)
    land(db, landing, D3)
    assert raw_titles(db) == {"A": "Phiên bản mới nhất", "B": "Dòng sau cùng"}
    assert delivery_counts(db) == [(D3, "loaded", 4, 2, 0, 2)]


def test_a_delivery_too_big_to_track_still_loses_its_superseded_rows(
    db, landing, monkeypatch
) -> None:
    # The loader tracks a bounded number of record ids to skip the search for
    # repeats; here the bound is two, and C, repeated, comes after it.
    monkeypatch.setattr("sangkien.landing.checked_rows._TRACKED_RECORD_IDS", 2)
    rows = [
        row(record_id="A"),
        row(record_id="B"),
        row(record_id="C", title="Bản đầu tiên của C"),
        row(record_id="C", title="Bản sau cùng của C"),
    ]
    write_delivery(landing, "P38", D3, rows)
    land(db, landing, D3)
    assert raw_titles(db)["C"] == "Bản sau cùng của C"
    assert delivery_counts(db) == [(D3, "loaded", 4, 3, 0, 1)]


def test_each_units_rows_land_in_its_own_partition(db, landing) -> None:
    write_delivery(landing, "P38", D3, [row(record_id="A"), row(record_id="A", title="Sau")])
    write_delivery(landing, "P01", D3, [row(record_id="H", unit_code="P01")])
    land(db, landing, D3, "P38")
    land(db, landing, D3, "P01")
    where = db.execute(
        "select tableoid::regclass::text, count(*) from raw.initiative_row group by 1"
    ).fetchall()
    assert sorted(where) == [("raw.initiative_row_p01", 1), ("raw.initiative_row_p38", 1)]
    # One partition per reporting unit of the reference data, and a default one.
    partitions = db.execute(
        "select count(*) from pg_inherits where inhparent = 'raw.initiative_row'::regclass"
    ).fetchone()[0]
    assert partitions == 82 + 1


def test_a_run_never_loads_a_delivery_dated_after_its_night(db, landing) -> None:
    write_delivery(landing, "P38", D1, [row(record_id="A")])
    write_delivery(landing, "P38", D3, [row(record_id="C")])
    outcome = land(db, landing, D2)
    assert raw_titles(db) == {"A": row()["title"]}
    assert outcome.outcome == "loaded" and not outcome.delivered


def test_an_unreadable_folder_fails_the_unit_and_is_recorded(db, landing) -> None:
    folder = write_delivery(landing, "P38", D3, [row()])
    (folder / "manifest.json").write_text('{"schema_version": 1, "unit_code": "P01"')
    with pytest.raises(UnitNightFailed, match="not valid JSON"):
        land(db, landing, D3)
    assert db.execute("select status from quality.delivery").fetchall() == [("failed",)]
    assert db.execute("select outcome from quality.night_outcome").fetchall() == [("failed",)]
    # Retrying the same bytes fails again without piling up delivery rows.
    with pytest.raises(UnitNightFailed):
        land(db, landing, D3)
    assert db.execute("select count(*) from quality.delivery").fetchone() == (1,)


def test_a_manifest_for_another_unit_is_refused(db, landing) -> None:
    write_delivery(landing, "P38", D3, [row()], manifest_overrides={"unit_code": "P01"})
    with pytest.raises(UnitNightFailed, match="not the folder's unit P38"):
        land(db, landing, D3)
    assert raw_titles(db) == {}


def test_a_linked_delivery_folder_is_refused(db, landing, tmp_path) -> None:
    outside = write_delivery(tmp_path / "elsewhere", "P38", D3, [row()])
    (landing / "P38").mkdir()
    (landing / "P38" / D3.isoformat()).symlink_to(outside, target_is_directory=True)
    with pytest.raises(UnitNightFailed, match="link"):
        land(db, landing, D3)
    assert raw_titles(db) == {}


# -- idempotency and order --------------------------------------------------

FINGERPRINT = """
select md5(coalesce(string_agg(line, E'\\n' order by line), '')) from (
    select concat_ws('|', 'D', unit_code, business_date, status, transport, file_name, sha256,
                     fingerprint, rows_received, rows_published, rows_rejected, rows_superseded,
                     status_detail) as line
    from quality.delivery
    union all
    select concat_ws('|', 'R', d.unit_code, d.business_date, d.status, r.line_number, r.record_id,
                     r.title, r.review_status, r.submitted_at, r.updated_at, r.is_deleted)
    from raw.initiative_row r join quality.delivery d using (delivery_id)
    union all
    select concat_ws('|', 'Q', d.unit_code, d.business_date, d.status, q.line_number, q.record_id,
                     q.reason_code, q.reason_detail)
    from quality.rejected_row q join quality.delivery d using (delivery_id)
    union all
    select concat_ws('|', 'W', d.unit_code, d.business_date, d.status, w.line_number,
                     w.warning_code, w.detail)
    from quality.warning w join quality.delivery d using (delivery_id)
) lines
"""


def three_nights(landing: Path) -> None:
    write_delivery(landing, "P38", D1, [row(record_id="A"), row(record_id="B", title="x")])
    write_delivery(
        landing,
        "P38",
        D2,
        [row(record_id="A", review_status="invalid"), row(record_id="C")],
        manifest=False,
    )
    write_delivery(landing, "P38", D3, [row(record_id="D", is_confidential="x", summary="bí mật")])
    write_delivery(landing, "P01", D2, [row(record_id="A", unit_code="P01")])


def test_nights_loaded_out_of_order_give_the_same_tables(
    warehouse_dsn, pg_cluster, landing
) -> None:
    three_nights(landing)
    with psycopg.connect(warehouse_dsn, autocommit=True) as in_order:
        for night in (D1, D2, D3):
            for unit in ("P38", "P01"):
                land(in_order, landing, night, unit)
        expected = in_order.execute(FINGERPRINT).fetchone()

    other = fresh_warehouse(pg_cluster, "wh_out_of_order")
    with psycopg.connect(other, autocommit=True) as reverse:
        for night in (D3, D1, D2):
            for unit in ("P01", "P38"):
                land(reverse, landing, night, unit)
        assert reverse.execute(FINGERPRINT).fetchone() == expected


def test_rerunning_a_night_changes_nothing(db, landing) -> None:
    three_nights(landing)
    land(db, landing, D3)
    before = db.execute(FINGERPRINT).fetchone()
    ids_before = db.execute("select delivery_id, status from quality.delivery").fetchall()
    outcome = land(db, landing, D3)
    assert outcome.outcome == "unchanged"
    assert db.execute(FINGERPRINT).fetchone() == before
    assert db.execute("select delivery_id, status from quality.delivery").fetchall() == ids_before


def test_a_nights_outcome_lists_what_it_did_not_every_earlier_folder(db, landing) -> None:
    # The outcome is the Airflow task's return value: by the end of a programme a
    # night checks ~550 earlier folders a unit, which it must count, not list.
    write_delivery(landing, "P38", D1, [row(record_id="A")])
    land(db, landing, D1)
    write_delivery(landing, "P38", D2, [row(record_id="B")])
    land(db, landing, D2)
    write_delivery(landing, "P38", D1, [row(record_id="A", title="sửa lại")])  # corrected
    write_delivery(landing, "P38", D3, [row(record_id="C")])
    outcome = land(db, landing, D3)
    assert outcome.outcome == "loaded"
    assert [(d.business_date, d.status) for d in outcome.deliveries] == [
        (D1.isoformat(), "loaded"),  # the late correction
        (D3.isoformat(), "loaded"),
    ]
    assert outcome.earlier_unchanged == 1  # D2, looked at and left
    assert outcome.as_dict()["earlier_unchanged"] == 1

    rerun = land(db, landing, D3)
    assert rerun.outcome == "unchanged"
    assert [(d.business_date, d.status) for d in rerun.deliveries] == [
        (D3.isoformat(), "unchanged")  # the night's own folder is always reported
    ]
    assert rerun.earlier_unchanged == 2


def test_an_earlier_file_rewritten_in_place_at_the_same_size_is_noticed_by_its_mtime(
    db, landing
) -> None:
    # Earlier folders are judged by their files' sizes and times (in C, without
    # the GIL): a same-sized rewrite that left the manifest alone must still count.
    folder = write_delivery(landing, "P38", D1, [row(record_id="A", title="Quy trình số 1")])
    land(db, landing, D1)
    data = folder / "initiatives.csv"
    before = data.stat()
    data.write_bytes(data.read_bytes().replace(b"1", b"2"))
    # A write moves the mtime on; made explicit, since a coarse file-system clock may not.
    os.utime(data, ns=(before.st_atime_ns, before.st_mtime_ns + 1_000))
    assert data.stat().st_size == before.st_size
    write_delivery(landing, "P38", D2, [row(record_id="B")])

    outcome = land(db, landing, D2)

    assert [(d.business_date, d.status) for d in outcome.deliveries] == [
        (D1.isoformat(), "incomplete"),  # its manifest's sha256 no longer matches
        (D2.isoformat(), "loaded"),
    ]
    assert raw_titles(db)["A"] == "Quy trình số 1"  # the previous state stays


def test_a_folder_the_c_check_cannot_read_is_judged_by_the_loader(db, landing, monkeypatch) -> None:
    from sangkien.landing import unit_night

    write_delivery(landing, "P38", D1, [row(record_id="A")])
    land(db, landing, D1)
    write_delivery(landing, "P38", D1, [row(record_id="A", title="sửa lại")])  # corrected
    write_delivery(landing, "P38", D2, [row(record_id="B")])
    monkeypatch.setattr(unit_night, "folder_signatures", lambda folders: [None] * len(folders))

    outcome = land(db, landing, D2)

    assert [(d.business_date, d.status) for d in outcome.deliveries] == [
        (D1.isoformat(), "loaded"),
        (D2.isoformat(), "loaded"),
    ]


def test_a_copied_folder_with_new_timestamps_is_still_unchanged(db, landing) -> None:
    folder = write_delivery(landing, "P38", D3, [row(record_id="A")])
    land(db, landing, D3)
    data = (folder / "initiatives.csv").read_bytes()
    (folder / "initiatives.csv").write_bytes(data)  # same bytes, new mtime
    assert land(db, landing, D3).outcome == "unchanged"
    assert db.execute("select count(*) from quality.delivery").fetchone() == (1,)


def test_counts_reconcile_on_every_delivery(db, landing) -> None:
    three_nights(landing)
    write_delivery(
        landing,
        "P38",
        D3,
        [row(record_id="E"), row(record_id="E"), row(title="")],
        manifest_overrides={"row_count": 9},
    )
    land(db, landing, D3)
    land(db, landing, D3, "P01")
    rows = db.execute(
        """select d.delivery_id, d.status, d.rows_received, d.rows_published, d.rows_rejected,
                  d.rows_superseded,
                  (select count(*) from raw.initiative_row r where r.delivery_id = d.delivery_id),
                  (select count(distinct line_number) from quality.rejected_row q
                    where q.delivery_id = d.delivery_id)
           from quality.delivery d"""
    ).fetchall()
    assert len(rows) == 4
    for _, status, received, published, rejected_, superseded, in_raw, rejected_lines in rows:
        assert received == published + rejected_ + superseded
        if status == "loaded":
            assert in_raw == published and rejected_lines == rejected_
        if status == "incomplete":
            assert (published, in_raw) == (0, 0)


def test_json_records_may_leave_empty_values_out(db, landing) -> None:
    record = {k: v for k, v in row(record_id="J2").items() if v}
    del record["recognized_by"]
    record.pop("is_confidential")
    write_delivery(landing, "P38", D3, [record], fmt="json")
    land(db, landing, D3)
    stored = db.execute("select recognized_by, is_confidential from raw.initiative_row").fetchone()
    assert stored == (None, False)
    assert rejected(db) == set()


def test_a_truncated_upload_is_incomplete_not_failed(db, landing) -> None:
    rows = [row(record_id=f"T{i}") for i in range(4)]
    folder = write_delivery(landing, "P38", D3, rows, fmt="json")
    data = (folder / "initiatives.json").read_bytes()
    (folder / "initiatives.json").write_bytes(data[: len(data) // 2])  # upload cut short
    outcome = land(db, landing, D3)
    assert outcome.outcome == "incomplete"
    assert "sha256" in (outcome.detail or "") and "breaks after record" in (outcome.detail or "")
    assert raw_titles(db) == {}
