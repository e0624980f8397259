"""Province-scoped access: a provincial analyst's login sees only its own unit's rows."""

from __future__ import annotations

from datetime import date

import psycopg
import pytest

from sangkien.cli import main
from sangkien.night import run_night

from feed_builder import row, write_delivery

pytestmark = pytest.mark.slow

NIGHT = date(2022, 5, 31)
SHARED = {"title": "Cải tiến quy trình an toàn lao động", "authors": "Vũ Thị Mai"}


def test_a_provincial_analyst_sees_only_its_units_rows(
    db, warehouse_dsn, landing, sources, tmp_path, monkeypatch
) -> None:
    monkeypatch.setenv("SANGKIEN_REPORTS_DIR", str(tmp_path / "reports"))
    for unit in ("P38", "P01", "S05"):
        sources(unit)
    write_delivery(
        landing,
        "P38",
        NIGHT,
        [
            row(record_id="A", **SHARED, submitted_at="2022-05-31T08:00:00+07:00"),
            row(record_id="BAD", title="x"),
        ],
    )
    write_delivery(
        landing,
        "P01",
        NIGHT,
        [
            row(record_id="H", unit_code="P01", authors="Lò Văn Hà"),
            row(record_id="BAD", unit_code="P01", solution_type="?"),
        ],
    )
    # The sector union counts the same worker's initiative later: a cross-unit duplicate.
    write_delivery(
        landing,
        "S05",
        NIGHT,
        [row(record_id="S", unit_code="S05", **SHARED, submitted_at="2022-05-31T10:00:00+07:00")],
    )
    run_night(NIGHT)
    monkeypatch.setenv("ANALYST_PASSWORD", "mat-khau-thu-nghiem")
    assert (
        main(
            [
                "grant-province",
                "--unit",
                "P38",
                "--login",
                "analyst_p38_test",
                "--password-env",
                "ANALYST_PASSWORD",
            ]
        )
        == 0
    )

    login = psycopg.conninfo.make_conninfo(
        warehouse_dsn, user="analyst_p38_test", password="mat-khau-thu-nghiem"
    )
    with psycopg.connect(login, autocommit=True) as analyst:

        def units(query: str) -> set[str]:
            return {r[0] for r in analyst.execute(query).fetchall()}

        assert units("select unit_code from quality.rejected_row") == {"P38"}
        assert units("select unit_code from quality.delivery") == {"P38"}
        assert units("select unit_code from restricted.initiative_detail") == {"P38"}
        # The cross-unit pair concerns P38: it is listed; P01's records are not.
        links = analyst.execute(
            "select initiative_key, duplicate_of_key, kind from quality.duplicate_link"
        ).fetchall()
        assert links == [("S05:S", "P38:A", "cross_unit")]
        # The published statistics are for everyone; raw is for nobody but the pipeline.
        assert units("select unit_code from marts.dim_unit") >= {"P38", "P01", "S05"}
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            analyst.execute("select count(*) from raw.initiative_row")
    # The administrator still sees every unit.
    assert {r[0] for r in db.execute("select unit_code from quality.rejected_row")} == {
        "P38",
        "P01",
    }


MARKER = "MẬT-KHÔNG-LƯU"


def test_no_table_in_any_schema_holds_a_confidential_summary(
    db, landing, sources, tmp_path, monkeypatch
) -> None:
    reports = tmp_path / "reports"
    monkeypatch.setenv("SANGKIEN_REPORTS_DIR", str(reports))
    sources("P38")
    sources("P12")
    secret = f"{MARKER}: quy trình công nghệ bí mật"
    write_delivery(
        landing,
        "P38",
        NIGHT,
        [
            row(record_id="C1", is_confidential="true", summary=secret),
            row(record_id="C2", is_confidential="có", summary=secret, title="x"),  # also rejected
            row(record_id="C3", is_confidential="maybe", summary=secret),  # unclear: dropped too
        ],
        fmt="json",
    )
    write_delivery(
        landing,
        "P12",
        NIGHT,
        [row(record_id="X1", unit_code="P12", is_confidential="x", summary=secret)],
        fmt="xlsx",
    )
    run_night(NIGHT)

    text_columns = db.execute(
        """select table_schema, table_name, column_name from information_schema.columns
           where table_schema not in ('pg_catalog', 'information_schema')
             and data_type in ('text', 'character varying', 'json', 'jsonb', 'ARRAY')"""
    ).fetchall()
    assert len({(s, t) for s, t, _ in text_columns}) > 20  # raw, quality, every dbt layer
    leaks = [
        (s, t, c)
        for s, t, c in text_columns
        if db.execute(
            f'select count(*) from "{s}"."{t}" where "{c}"::text like %s', (f"%{MARKER}%",)
        ).fetchone()[0]
    ]
    assert leaks == []
    files = [p for p in reports.rglob("*") if p.is_file() and p.suffix in (".html", ".csv")]
    assert files and not [p for p in files if MARKER in p.read_text("utf-8", "replace")]


def test_marts_count_participants_by_keyed_pseudonym_without_names(
    db, landing, sources, tmp_path, monkeypatch
) -> None:
    monkeypatch.setenv("SANGKIEN_REPORTS_DIR", str(tmp_path / "reports"))
    monkeypatch.setenv("SANGKIEN_PSEUDONYM_KEY", "khoa-thu-nghiem-1")
    sources("P38")
    sources("P01")
    write_delivery(
        landing,
        "P38",
        NIGHT,
        [
            # The same member (M7) spelt two ways, a second member, and one without an id.
            row(record_id="A", title="Sáng kiến thứ nhất", authors="Lê Văn Tám", author_ids="M7"),
            row(
                record_id="B",
                title="Sáng kiến thứ hai",
                authors="Lê văn  Tám;Hồ Thị Ba",
                author_ids="M7;M9",
            ),
            row(
                record_id="C",
                title="Sáng kiến thứ ba",
                authors="Đỗ Minh",
                author_ids="",
                review_status="pending",
            ),
        ],
    )
    run_night(NIGHT)
    counts = {
        unit: (participants, valid)
        for unit, participants, valid in db.execute(
            "select unit_code, participants, valid_participants from marts.rpt_unit_participants"
            " where unit_code in ('P38', 'P01')"
        )
    }
    assert counts == {"P38": (3, 2), "P01": (0, 0)}
    names = ("Lê Văn Tám", "Hồ Thị Ba", "Đỗ Minh", "M7", "M9")
    for table in ("fct_initiative", "rpt_unit_participants"):
        text = db.execute(f"select string_agg(t::text, '|') from marts.{table} t").fetchone()[0]
        assert not [n for n in names if n in text]
    first = db.execute(
        "select author_keys from marts.fct_initiative where record_id = 'A'"
    ).fetchone()[0]
    # Another key gives other pseudonyms: they are keyed, not a plain hash of the id.
    from sangkien.feeds.pseudonyms import author_keys

    assert first == author_keys(b"khoa-thu-nghiem-1", "P38", "Lê Văn Tám", "M7")
    assert first != author_keys(b"khoa-thu-nghiem-2", "P38", "Lê Văn Tám", "M7")
