"""Report content against a warehouse of known data.

The contract's `marts` tables are created here with exactly the contract's
columns (warehouse-v1) and filled with small, known data for the 82 reporting
units; `quality` tables come from the loader's schema. Expectations (ranks,
counts, the national median, which rows are listed) are computed from the
inserted data, never copied from the reports. `seed_known_warehouse` is also
used by the browser test.
"""

from __future__ import annotations

import csv
import io
import re
import statistics
import uuid
import zipfile
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import openpyxl
import psycopg
import pytest

from sangkien.reference import reporting_units
from sangkien.reports import ReportError, ReportIndex, publish_docs, write_reports
from sangkien.reports.labels import REASONS, WARNINGS, vn_percent
from sangkien.settings import REFERENCE_DIR

from databases import fresh_warehouse

D = date(2022, 6, 10)
FOCUS = "P38"  # the unit whose quality report the tests read in detail
PROGRAMME = (date(2022, 1, 8), date(2023, 8, 31))

CONTRACT_MARTS = """
create table marts.dim_unit (
    unit_code text, unit_name text, unit_type text, province_code text,
    province_code_2025 text, province_name_2025 text);
create table marts.fct_initiative (
    initiative_key text, unit_code text, record_id text, title text, solution_type text,
    field text, participant_group text, recognition_level text, is_confidential boolean,
    benefit_vnd bigint, applied_on date, submitted_at timestamptz, submitted_date date,
    phase integer, status text, duplicate_of_key text);
create table marts.fct_unit_daily (
    unit_code text, date date, submitted bigint, valid bigint, pending bigint, invalid bigint,
    duplicate bigint, cumulative_submitted bigint, cumulative_valid bigint,
    valid_benefit_vnd bigint);
create table marts.rpt_unit_ranking (
    as_of_date date, unit_code text, cumulative_valid bigint, rank bigint,
    rank_week_before bigint, rank_change bigint, units_ranked bigint);
create table marts.rpt_target_attainment (
    unit_code text, phase integer, target_assigned integer, target_registered integer,
    valid bigint, pct_of_assigned numeric, pct_of_registered numeric);
create table marts.rpt_programme_progress (
    date date, new_submitted bigint, new_valid bigint, cumulative_submitted bigint,
    cumulative_valid bigint, pct_of_target numeric, valid_7day_avg numeric);
create table marts.rpt_breakdown (
    as_of_date date, dimension text, value text, valid bigint, valid_benefit_vnd bigint);
create table quality.duplicate_link (
    initiative_key text, duplicate_of_key text, kind text, similarity numeric(5, 4));
create table quality.unit_freshness (
    unit_code text, business_date date, delivered boolean, last_delivery_date date);
"""

FORMULA_RECORD = '=HYPERLINK("http://x.invalid/phish","bấm vào đây")'


@dataclass
class Delivery:
    unit: str
    day: date
    status: str
    received: int
    rejected: int
    superseded: int = 0
    detail: str | None = None
    delivery_id: int | None = None

    @property
    def published(self) -> int:
        return self.received - self.rejected - self.superseded


@dataclass
class Known:
    """What was inserted, for the tests to compute their expectations from."""

    units: list[str]
    valid: dict[str, int] = field(default_factory=dict)
    rank: dict[str, int] = field(default_factory=dict)
    rank_change: dict[str, int] = field(default_factory=dict)
    pct_of_assigned: dict[str, Decimal] = field(default_factory=dict)
    deliveries: list[Delivery] = field(default_factory=list)
    #: (delivery, line, record_id, reason, detail)
    rejected: list[tuple[Delivery, int, str | None, str, str | None]] = field(default_factory=list)

    def rate(self, unit: str, night_only: bool = False) -> float | None:
        loaded = [
            d
            for d in self.deliveries
            if d.unit == unit
            and d.status == "loaded"
            and (d.day == D if night_only else d.day <= D)
        ]
        received = sum(d.received for d in loaded)
        return sum(d.rejected for d in loaded) / received if received else None

    def median(self, night_only: bool = False) -> float:
        rates = [r for u in self.units if (r := self.rate(u, night_only)) is not None]
        return statistics.median(rates)

    def delivered_on_d(self) -> set[str]:
        return {d.unit for d in self.deliveries if d.status == "loaded" and d.day == D}


def _competition_ranks(values: dict[str, int]) -> dict[str, int]:
    ordered = sorted(values.values(), reverse=True)
    return {unit: ordered.index(v) + 1 for unit, v in values.items()}


def _provinces_2025() -> dict[str, tuple[str, str]]:
    with open(REFERENCE_DIR / "provinces_2022.csv", encoding="utf-8", newline="") as f:
        return {
            r["province_code"]: (r["province_code_2025"], r["name_2025"]) for r in csv.DictReader(f)
        }


def seed_known_warehouse(conn: psycopg.Connection, *, with_freshness: bool = True) -> Known:
    """Fill a bootstrapped warehouse with contract-shaped marts and quality rows."""
    # Made as the publisher makes them: the transformer's tables, readable by the reporter.
    conn.execute("set role sangkien_transformer")
    conn.execute(CONTRACT_MARTS)
    conn.execute("reset role")
    if not with_freshness:
        conn.execute("drop table quality.unit_freshness")
    units = reporting_units()
    provinces = _provinces_2025()
    codes = list(units)
    known = Known(units=codes)
    with conn.cursor() as cur:
        cur.executemany(
            "insert into marts.dim_unit values (%s, %s, %s, %s, %s, %s)",
            [
                (
                    u.code,
                    u.name,
                    u.unit_type,
                    u.province_code,
                    *(provinces.get(u.province_code or "", (None, None))),
                )
                for u in units.values()
            ],
        )

    # Ranking as of D (and a different one the day after, which must not be shown).
    for i, code in enumerate(codes):
        known.valid[code] = 99_999 if code == FOCUS else 1000 + (i * 37) % 60 * 10
    known.rank = _competition_ranks(known.valid)
    ranking_rows = []
    for i, code in enumerate(codes):
        week_before = 3 if code == FOCUS else max(1, known.rank[code] + (i % 5) - 2)
        known.rank_change[code] = week_before - known.rank[code]
        ranking_rows.append(
            (D, code, known.valid[code], known.rank[code], week_before, known.rank_change[code], 82)
        )
        ranking_rows.append((D + timedelta(days=1), code, i, 82 - i, None, None, 82))
    attainment_rows = []
    for i, code in enumerate(codes):
        assigned, registered = 2000 + 10 * i, 2500 + 10 * i
        known.pct_of_assigned[code] = round(Decimal(100 * known.valid[code]) / assigned, 2)
        for phase in (1, 2):
            attainment_rows.append(
                (
                    code,
                    phase,
                    assigned,
                    registered,
                    known.valid[code],
                    known.pct_of_assigned[code],
                    round(Decimal(100 * known.valid[code]) / registered, 2),
                )
            )
    progress_rows = []
    cumulative = 0
    day = PROGRAMME[0]
    while day <= PROGRAMME[1]:
        new = 2500 if day <= D else 0
        cumulative += new
        progress_rows.append(
            (
                day,
                new + 100,
                new,
                cumulative + 100 * (day - PROGRAMME[0]).days,
                cumulative,
                round(Decimal(cumulative) / 10_000, 2),
                Decimal(new),
            )
        )
        day += timedelta(days=1)
    breakdown_rows = []
    for dimension, values in {
        "participant_group": ["enterprise_worker", "state_agency", "union_officer", "other"],
        "field": ["production_business", "pandemic_prevention", "community"],
        "solution_type": ["technical", "management"],
        "recognition_level": ["grassroots", "confederation"],
    }.items():
        for n, value in enumerate(values):
            breakdown_rows.append((D, dimension, value, 1000 * (len(values) - n), 10**9 * n))
    for n, code_2025 in enumerate(sorted({p[0] for p in provinces.values()})):
        breakdown_rows.append((D, "province_2025", code_2025, 500 + n, 10**6 * n))
    breakdown_rows.append((D, "province_2025", "none", 4321, 0))
    breakdown_rows.append((D + timedelta(days=1), "participant_group", "other", 1, 1))

    daily_rows = [
        (FOCUS, D - timedelta(days=1), 45, 40, 2, 1, 2, 45, 40, 0),
        (FOCUS, D, 37, 30, 3, 3, 1, 82, 70, 0),
        (FOCUS, D + timedelta(days=1), 10, 0, 0, 0, 10, 92, 70, 0),
    ]
    daily_rows += [
        (c, D, 50, 40, 5, 5, i % 3, 50, 40, 0) for i, c in enumerate(codes) if c != FOCUS
    ]

    initiatives = {
        "P38:R9": ("Cải tiến quy trình tiếp nhận hồ sơ một cửa", date(2022, 3, 1)),
        "P38:R10": ("Cải tiến quy trình tiếp nhận hồ sơ một cửa", date(2022, 3, 5)),
        "P38:R1": ("Máy bóc vỏ lạc bán tự động", date(2022, 2, 1)),
        "S05:X1": ("Máy bóc vỏ lạc bán tự động", date(2022, 2, 9)),
        "P01:Z1": ("Phần mềm quản lý đoàn viên", date(2022, 1, 20)),
        "P38:R20": ("Phần mềm quản lý đoàn viên", date(2022, 4, 2)),
        "P38:R30": ("Hệ thống tưới nhỏ giọt tiết kiệm nước", date(2022, 5, 1)),
        "P38:R31": ("Hệ thống tưới nhỏ giọt tiết kiệm nuớc", date(2022, 5, 3)),
        "P01:Z4": ("Sổ tay an toàn lao động", date(2022, 1, 10)),
        "P01:Z5": ("Sổ tay an toàn lao động", date(2022, 1, 11)),
    }
    links = [
        ("P38:R10", "P38:R9", "exact", Decimal(1)),
        ("S05:X1", "P38:R1", "cross_unit", Decimal(1)),
        ("P38:R20", "P01:Z1", "cross_unit", Decimal(1)),
        ("P38:R31", "P38:R30", "suspected", Decimal("0.9123")),
        ("P01:Z5", "P01:Z4", "exact", Decimal(1)),
    ]
    with conn.cursor() as cur:
        cur.executemany(
            "insert into marts.rpt_unit_ranking values (%s,%s,%s,%s,%s,%s,%s)", ranking_rows
        )
        cur.executemany(
            "insert into marts.rpt_target_attainment values (%s,%s,%s,%s,%s,%s,%s)", attainment_rows
        )
        cur.executemany(
            "insert into marts.rpt_programme_progress values (%s,%s,%s,%s,%s,%s,%s)", progress_rows
        )
        cur.executemany("insert into marts.rpt_breakdown values (%s,%s,%s,%s,%s)", breakdown_rows)
        cur.executemany(
            "insert into marts.fct_unit_daily values (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)", daily_rows
        )
        cur.executemany(
            """insert into marts.fct_initiative (initiative_key, unit_code, record_id, title,
                   submitted_date, status) values (%s, %s, %s, %s, %s, 'valid')""",
            [(k, *k.split(":"), t, d) for k, (t, d) in initiatives.items()],
        )
        cur.executemany("insert into quality.duplicate_link values (%s, %s, %s, %s)", links)

    # Deliveries: every unit but a few delivered D-2, D-1 and (most) D; the focus unit
    # has every kind of trouble. Loaded deliveries after D must not count.
    for i, code in enumerate(codes):
        if code == FOCUS or i % 10 == 9:
            continue
        known.deliveries += [
            Delivery(code, D - timedelta(days=2), "loaded", 100 + i, i % 7),
            Delivery(code, D - timedelta(days=1), "loaded", 80, (i * 3) % 5),
        ]
        if i % 6 != 5:
            known.deliveries.append(Delivery(code, D, "loaded", 60, i % 4))
        if i % 8 == 0:
            known.deliveries.append(Delivery(code, D + timedelta(days=1), "loaded", 10, 10))
    d_replaced = Delivery(FOCUS, D, "replaced", 45, 5)
    d_night = Delivery(FOCUS, D, "loaded", 40, 2)
    d_before = Delivery(FOCUS, D - timedelta(days=1), "loaded", 50, 3, superseded=1)
    known.deliveries += [
        Delivery(
            FOCUS,
            D - timedelta(days=3),
            "incomplete",
            40,
            40,
            detail="manifest row_count 40, file has 39 records",
        ),
        Delivery(
            FOCUS,
            D - timedelta(days=2),
            "failed",
            0,
            0,
            detail="no data file (initiatives.csv, .json or .xlsx) in the folder",
        ),
        Delivery(FOCUS, D - timedelta(days=2), "loaded", 30, 0),
        d_before,
        d_replaced,
        d_night,
    ]
    for d in known.deliveries:
        published = 0 if d.status in ("incomplete", "failed") else d.published
        d.delivery_id = conn.execute(
            """insert into quality.delivery (unit_code, business_date, transport, file_name,
                   fingerprint, has_manifest, rows_received, rows_published, rows_rejected,
                   rows_superseded, status, status_detail, received_at)
               values (%s, %s, 'file', 'initiatives.csv', %s, true, %s, %s, %s, %s, %s, %s,
                   %s::date + time '23:40')
               returning delivery_id""",
            (
                d.unit,
                d.day,
                uuid.uuid4().hex,
                d.received,
                published,
                d.received - published - d.superseded,
                d.superseded,
                d.status,
                d.detail,
                d.day,
            ),
        ).fetchone()[0]

    known.rejected = [
        (d_before, 3, "R-103", "MISSING_REQUIRED", "title"),
        (d_before, 9, "R-109", "BAD_DATE", "applied_on: 31/02/2022"),
        (d_before, 15, None, "MALFORMED_ROW", "wrong number of fields"),
        (d_night, 7, FORMULA_RECORD, "MISSING_REQUIRED", "+1"),
        (d_night, 7, FORMULA_RECORD, "TITLE_LENGTH", "-2"),
        (d_night, 12, "@SUM(A1)", "BAD_ENUM", "field: =1+1"),
    ]
    replaced_rows = [(d_replaced, n, f"OLD{n}", "BAD_NUMBER", "x") for n in range(1, 6)]
    with conn.cursor() as cur:
        cur.executemany(
            "insert into quality.rejected_row values (%s, %s, %s, %s, %s, %s)",
            [
                (d.delivery_id, d.unit, line, rid, reason, detail)
                for d, line, rid, reason, detail in known.rejected + replaced_rows
            ],
        )
        cur.executemany(
            "insert into quality.warning values (%s, %s, %s, %s, %s)",
            [
                (d_night.delivery_id, FOCUS, None, "NO_MANIFEST", None),
                (d_before.delivery_id, FOCUS, None, "UNKNOWN_COLUMN", "ghi_chu"),
                (d_before.delivery_id, FOCUS, 4, "CONFIDENTIAL_CONTENT", "summary dropped"),
                (d_replaced.delivery_id, FOCUS, None, "UNKNOWN_COLUMN", "old"),
            ],
        )
        outcomes = [
            (D - timedelta(days=5), FOCUS, "no_delivery", None),
            (
                D - timedelta(days=3),
                FOCUS,
                "incomplete",
                "manifest row_count 40, file has 39 records",
            ),
            (D - timedelta(days=2), FOCUS, "failed", "no data file"),
            (D, FOCUS, "loaded", None),
        ]
        delivered = known.delivered_on_d()
        outcomes += [
            (D, c, "no_delivery", None) for c in codes if c not in delivered and c != FOCUS
        ]
        cur.executemany(
            "insert into quality.night_outcome (business_date, unit_code, outcome, detail)"
            " values (%s, %s, %s, %s)",
            outcomes,
        )
        if with_freshness:
            cur.executemany(
                "insert into quality.unit_freshness values (%s, %s, %s, %s)",
                [
                    (FOCUS, D - timedelta(days=6), False, None),
                    (FOCUS, D - timedelta(days=5), False, None),
                    (FOCUS, D - timedelta(days=3), False, None),
                    (FOCUS, D - timedelta(days=2), True, D - timedelta(days=2)),
                    (FOCUS, D - timedelta(days=1), True, D - timedelta(days=1)),
                    (FOCUS, D, True, D),
                ],
            )
    return known


@pytest.fixture(scope="module")
def known_warehouse(pg_cluster) -> tuple[str, Known]:  # type: ignore[no-untyped-def]
    dsn = fresh_warehouse(pg_cluster, "reports_content")
    with psycopg.connect(dsn, autocommit=True) as conn:
        known = seed_known_warehouse(conn)
    return dsn, known


@pytest.fixture(scope="module")
def written(known_warehouse, tmp_path_factory) -> ReportIndex:  # type: ignore[no-untyped-def]
    dsn, _ = known_warehouse
    return write_reports(dsn, D, tmp_path_factory.mktemp("reports"))


def _sheet(index: ReportIndex, unit: str, title: str) -> list[tuple]:  # type: ignore[type-arg]
    book = openpyxl.load_workbook(index.units[unit].xlsx)
    return list(book[title].iter_rows(values_only=True))


def _csv_rows(index: ReportIndex, unit: str) -> list[dict[str, str]]:
    raw = index.units[unit].csv.read_bytes()
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


# --- layout -------------------------------------------------------------------------------


def test_every_unit_gets_three_files_named_with_its_code(written: ReportIndex, tmp_path) -> None:
    day_dir = written.directory
    assert day_dir.name == "2022-06-10"
    assert written.national == day_dir / "index.html"
    assert len(written.units) == 82
    for code, files in written.units.items():
        for path, suffix in zip(files.paths, (".html", ".csv", ".xlsx"), strict=True):
            assert (
                path == day_dir / "units" / code / f"bao-cao-chat-luong-{code}-2022-06-10{suffix}"
            )
            assert path.stat().st_size > 0
    assert not list(day_dir.rglob(".*.tmp"))
    # 82 units with a few hundred rows: well inside a nightly budget.
    assert written.seconds < 20


def test_units_can_be_limited_and_unknown_codes_refused(known_warehouse, tmp_path) -> None:
    dsn, _ = known_warehouse
    index = write_reports(dsn, D, tmp_path, units=["S05", FOCUS])
    assert set(index.units) == {"S05", FOCUS}
    assert sorted(p.name for p in (tmp_path / "2022-06-10" / "units").iterdir()) == ["P38", "S05"]
    national = index.national.read_text("utf-8")
    assert 'href="units/P38/bao-cao-chat-luong-P38-2022-06-10.html"' in national
    assert "units/P01/" not in national  # no link to a report that was not written
    with pytest.raises(ReportError, match="P99"):
        write_reports(dsn, D, tmp_path, units=["P99"])


# --- national report ----------------------------------------------------------------------


def test_leaderboard_shows_the_ranks_of_the_business_date(written, known_warehouse) -> None:
    _, known = known_warehouse
    html = written.national.read_text("utf-8")
    shown = re.findall(r'<tr data-unit="(\w+)" data-rank="(\d+)">', html)
    assert len(shown) == 82
    expected = sorted(known.units, key=lambda u: (known.rank[u], u))
    assert [u for u, _ in shown] == expected
    assert all(int(rank) == known.rank[u] for u, rank in shown)
    assert shown[0] == (FOCUS, "1")
    # Ties share a rank (the data has some).
    assert len({r for _, r in shown}) < 82

    def row_of(unit: str) -> str:
        return re.search(rf'<tr data-unit="{unit}".*?</tr>', html, re.S).group(0)  # type: ignore[union-attr]

    assert "tăng 2 bậc" in row_of(FOCUS)
    falling = next(u for u in known.units if known.rank_change[u] < 0)
    assert f"giảm {-known.rank_change[falling]} bậc" in row_of(falling)
    pct = known.pct_of_assigned[FOCUS]
    assert vn_percent(pct / 100, 1) in row_of(FOCUS)


def test_national_report_has_charts_breakdowns_and_docs_links(written) -> None:
    html = written.national.read_text("utf-8")
    for chart in ("progress", "attainment", "provinces", "participant_group", "field"):
        assert f'data-chart="{chart}"' in html
    assert 'data-target="300000"' in html and 'data-target="1000000"' in html
    assert "Mục tiêu chương trình: 1.000.000" in html
    assert len(re.findall(r'<tr data-province="', html)) == 35  # 34 provinces + sector unions
    assert "Công nhân, người lao động trong doanh nghiệp" in html
    assert 'href="data-docs/index.html"' in html and 'href="dbt-docs/index.html"' in html
    assert "Số liệu đến hết ngày 10/06/2022" in html


def test_national_quality_overview_median_and_late_units(written, known_warehouse) -> None:
    _, known = known_warehouse
    html = written.national.read_text("utf-8")
    median = known.median()
    assert f'<span data-value="median">{vn_percent(median)}</span>' in html
    late = set(re.findall(r'<tr data-late="(\w+)">', html))
    assert late == set(known.units) - known.delivered_on_d()
    assert f"{82 - len(late)}/82" in html


def test_pages_need_nothing_from_the_internet(written) -> None:
    for page in (written.national, written.units[FOCUS].html):
        html = page.read_text("utf-8")
        assert "<script" not in html
        assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
        assert not re.search(r"url\(|@import", html)


# --- unit quality report --------------------------------------------------------------------


def test_unit_summary_counts_and_national_median(written, known_warehouse) -> None:
    _, known = known_warehouse
    rows = {r[0]: r[1:] for r in _sheet(written, FOCUS, "Tóm tắt")[1:]}
    loaded = [d for d in known.deliveries if d.unit == FOCUS and d.status == "loaded"]
    tonight = [d for d in loaded if d.day == D]
    assert rows["Số lần gửi đã nạp"] == (len(tonight), len(loaded))
    assert rows["Số dòng nhận được"] == (
        sum(d.received for d in tonight),
        sum(d.received for d in loaded),
    )
    assert rows["Số dòng bị từ chối"] == (
        sum(d.rejected for d in tonight),
        sum(d.rejected for d in loaded),
    )
    assert rows["Tỉ lệ từ chối"] == pytest.approx((known.rate(FOCUS, True), known.rate(FOCUS)))
    assert rows["Trung vị toàn quốc (tỉ lệ từ chối)"] == pytest.approx(
        (known.median(night_only=True), known.median())
    )
    assert rows["Lần gửi không đầy đủ hoặc bị lỗi"] == (0, 2)
    assert rows["Cảnh báo"] == (1, 3)
    assert rows["Trùng lặp (số cặp)"] == (None, 3)
    assert rows["Nghi trùng lặp cần xem xét (số cặp)"] == (None, 1)

    html = written.units[FOCUS].html.read_text("utf-8")
    assert f'data-value="median">{vn_percent(known.median())}<' in html
    side = "cao hơn" if known.rate(FOCUS) > known.median() else "thấp hơn"  # type: ignore[operator]
    assert f"{side} trung vị toàn quốc" in html


def test_every_rejected_row_is_listed_with_reason_and_line(written, known_warehouse) -> None:
    _, known = known_warehouse
    sheet = _sheet(written, FOCUS, "Dòng bị từ chối")
    assert sheet[0] == (
        "Ngày dữ liệu",
        "Tệp",
        "Dòng số",
        "Mã bản ghi",
        "Mã lý do",
        "Lý do",
        "Chi tiết",
    )
    listed = {(r[0].date(), r[2], r[4]) for r in sheet[1:]}
    assert listed == {(d.day, line, reason) for d, line, _, reason, _ in known.rejected}
    assert all(r[5] == REASONS[r[4]][0] for r in sheet[1:])
    # The replaced delivery's rows are history, not listed.
    assert not any(r[4] == "BAD_NUMBER" for r in sheet[1:])


def test_duplicates_are_listed_by_both_units_of_a_cross_unit_pair(written) -> None:
    mine = _sheet(written, FOCUS, "Trùng lặp")[1:]
    pairs = {(r[0], r[4], r[8]) for r in mine}
    assert pairs == {
        ("R10", "P38:R9", "Trùng trong cùng đơn vị"),
        ("R1", "S05:X1", "Trùng giữa hai đơn vị"),
        ("R20", "P01:Z1", "Trùng giữa hai đơn vị"),
    }
    roles = {r[0]: r[3] for r in mine}
    assert roles["R1"].startswith("Bản gốc") and roles["R20"].startswith("Bản gửi sau")
    other = {(r[0], r[4]) for r in _sheet(written, "S05", "Trùng lặp")[1:]}
    assert other == {("X1", "P38:R1")}
    assert {(r[0], r[4]) for r in _sheet(written, "P01", "Trùng lặp")[1:]} == {
        ("Z1", "P38:R20"),
        ("Z5", "P01:Z4"),
    }
    suspected = _sheet(written, FOCUS, "Nghi trùng lặp")
    assert suspected[0][-1] == "Độ tương đồng"
    assert [(r[0], r[4], r[-1]) for r in suspected[1:]] == [
        ("R31", "P38:R30", pytest.approx(0.9123))
    ]


def test_missed_nights_and_failed_deliveries(written) -> None:
    missed = {r[0].date(): r[1:] for r in _sheet(written, FOCUS, "Đêm không gửi dữ liệu")[1:]}
    assert set(missed) == {D - timedelta(days=n) for n in (6, 5, 3, 2)}
    assert missed[D - timedelta(days=6)] == ("Không gửi dữ liệu", None, "Chưa có dữ liệu")
    assert missed[D - timedelta(days=3)][0] == "Gửi không đầy đủ"
    assert missed[D - timedelta(days=2)][2].startswith("Đã có dữ liệu")
    problems = _sheet(written, FOCUS, "Lần gửi không đầy đủ, bị lỗi")
    by_day = {r[0].date(): r for r in problems[1:]}
    assert by_day[D - timedelta(days=3)][3] == "manifest row_count 40, file has 39 records"
    assert by_day[D - timedelta(days=3)][6] == "Chưa"
    assert by_day[D - timedelta(days=2)][6].startswith("Có")
    warnings = {(r[3], r[5]) for r in _sheet(written, FOCUS, "Cảnh báo")[1:]}
    assert warnings == {
        ("NO_MANIFEST", None),
        ("UNKNOWN_COLUMN", "ghi_chu"),
        ("CONFIDENTIAL_CONTENT", "summary dropped"),
    }


def test_missed_nights_come_from_night_outcome_without_unit_freshness(
    warehouse_dsn, tmp_path
) -> None:
    with psycopg.connect(warehouse_dsn, autocommit=True) as conn:
        seed_known_warehouse(conn, with_freshness=False)
    index = write_reports(warehouse_dsn, D, tmp_path, units=[FOCUS])
    missed = _sheet(index, FOCUS, "Đêm không gửi dữ liệu")[1:]
    assert {r[0].date() for r in missed} == {D - timedelta(days=n) for n in (5, 3, 2)}


def test_labels_and_reason_explanations_are_vietnamese(written) -> None:
    html = written.units[FOCUS].html.read_text("utf-8")
    assert '<html lang="vi">' in html
    for label in (
        "Báo cáo chất lượng dữ liệu",
        "Dòng bị từ chối",
        "Lý do",
        "Dòng số",
        "Trùng lặp",
        "Nghi trùng lặp",
        "Đêm không gửi dữ liệu",
        "Tỉ lệ từ chối",
        "Trung vị toàn quốc",
        "Cảnh báo",
    ):
        assert f">{label}" in html, label
    for meaning, _ in (*REASONS.values(), *WARNINGS.values()):
        assert meaning in html
    national = written.national.read_text("utf-8")
    for label in (
        "Bảng xếp hạng",
        "Tiến độ chương trình",
        "Chất lượng dữ liệu",
        "Đơn vị chậm gửi dữ liệu",
    ):
        assert label in national


# --- spreadsheets ------------------------------------------------------------------------------


def test_formula_like_values_are_neutralised_in_csv_and_xlsx(written) -> None:
    rows = [r for r in _csv_rows(written, FOCUS) if r["Phần"] == "Dòng bị từ chối"]
    record_ids = {r["Mã bản ghi"] for r in rows}
    assert "'" + FORMULA_RECORD in record_ids and "'@SUM(A1)" in record_ids
    assert {r["Chi tiết"] for r in rows} >= {"'+1", "'-2", "field: =1+1"}
    assert not any(v.startswith(("=", "+", "-", "@")) for r in rows for v in r.values() if v)

    sheet = openpyxl.load_workbook(written.units[FOCUS].xlsx)["Dòng bị từ chối"]
    cells = [c for row in sheet.iter_rows(min_row=2) for c in row]
    formula_cells = [c for c in cells if isinstance(c.value, str) and c.value.startswith("'")]
    assert {c.value for c in formula_cells} == {"'" + FORMULA_RECORD, "'@SUM(A1)", "'+1", "'-2"}
    for c in formula_cells:
        assert c.data_type == "s" and c.quotePrefix
    assert all(c.data_type != "f" for c in cells)
    with zipfile.ZipFile(written.units[FOCUS].xlsx) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert "<f>" not in archive.read(name).decode("utf-8"), name


def test_csv_opens_in_excel_with_vietnamese(written) -> None:
    raw = written.units[FOCUS].csv.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = _csv_rows(written, FOCUS)
    assert list(rows[0])[:2] == ["Phần", "Chỉ tiêu"]
    sections = {r["Phần"] for r in rows}
    assert {"Tóm tắt", "Dòng bị từ chối", "Trùng lặp", "Nghi trùng lặp", "Cảnh báo"} <= sections
    rejected = [r for r in rows if r["Phần"] == "Dòng bị từ chối"]
    assert {r["Dòng số"] for r in rejected} == {"3", "9", "15", "7", "12"}
    assert {r["Ngày dữ liệu"] for r in rejected} == {"2022-06-09", "2022-06-10"}


def test_xlsx_has_a_sheet_per_section_with_frozen_header(written) -> None:
    book = openpyxl.load_workbook(written.units[FOCUS].xlsx)
    assert book.sheetnames == [
        "Tóm tắt",
        "Dòng bị từ chối",
        "Trùng lặp",
        "Nghi trùng lặp",
        "Đêm không gửi dữ liệu",
        "Lần gửi không đầy đủ, bị lỗi",
        "Cảnh báo",
        "Giải thích mã lý do và cảnh báo",
    ]
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2"
        assert sheet["A1"].font.bold
        assert sheet.column_dimensions["A"].width >= 9
    rejected = book["Dòng bị từ chối"]
    assert rejected["A2"].number_format == "DD/MM/YYYY"
    assert rejected.auto_filter.ref == "A1:G7"


# --- docs -----------------------------------------------------------------------------------


def test_publish_docs_strips_cdn_references(tmp_path: Path) -> None:
    site = tmp_path / "gx"
    (site / "validations").mkdir(parents=True)
    (site / "static").mkdir()
    page = """<!DOCTYPE html><html><head>
<link rel="stylesheet" href="https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css"/>
<script src="https://cdn.jsdelivr.net/npm/vega@5"></script>
<script src="//code.jquery.com/jquery.js" integrity="x"></script>
<style>.logo { background: url('https://s3.example.com/logo.png') }</style>
<link rel="shortcut icon" href="./static/favicon.ico"/>
</head><body><img
  src="https://great-expectations-web-assets.s3.amazonaws.com/logo.png?id=1"
  alt="GX"/><table><tr><td>quality.delivery</td></tr></table>
<script>var inline = 1;</script><a href="https://greatexpectations.io">GX</a></body></html>"""
    (site / "index.html").write_text(page, "utf-8")
    (site / "validations" / "run.html").write_text(page, "utf-8")
    (site / "static" / "style.css").write_text(
        "@import url('https://fonts.x/y.css');\nb{}", "utf-8"
    )
    dbt = tmp_path / "static_index.html"
    dbt.write_text(
        '<html><script>var m={"send_anonymous_usage_stats": true}</script></html>', "utf-8"
    )

    published = publish_docs(tmp_path / "day", site, dbt)

    assert published["gx"] == tmp_path / "day" / "data-docs" / "index.html"
    for copied in (published["gx"], tmp_path / "day" / "data-docs" / "validations" / "run.html"):
        html = copied.read_text("utf-8")
        assert not re.search(
            r"""<(script|link|img)\b[^>]*(src|href)\s*=\s*["']?(https?:)?//""", html
        )
        assert "s3.example.com" not in html
        assert "quality.delivery" in html and "var inline = 1" in html
        assert 'href="./static/favicon.ico"' in html
        assert "sangkien: offline copy" in html  # the local stylesheet
    assert "fonts.x" not in (tmp_path / "day" / "data-docs" / "static" / "style.css").read_text(
        "utf-8"
    )
    dbt_copy = (tmp_path / "day" / "dbt-docs" / "index.html").read_text("utf-8")
    assert '"send_anonymous_usage_stats": false' in dbt_copy


def test_an_empty_warehouse_still_gives_readable_reports(warehouse_dsn, tmp_path) -> None:
    with pytest.raises(ReportError, match="build the models"):
        write_reports(warehouse_dsn, D, tmp_path)
    with psycopg.connect(warehouse_dsn, autocommit=True) as conn:
        conn.execute("set role sangkien_transformer")
        conn.execute(CONTRACT_MARTS)
        conn.execute(
            "insert into marts.dim_unit (unit_code, unit_name) values (%s, %s)",
            (FOCUS, "LĐLĐ tỉnh Thanh Hóa"),
        )
    index = write_reports(warehouse_dsn, D, tmp_path)
    national = index.national.read_text("utf-8")
    assert "Chưa có số liệu xếp hạng" in national
    assert re.findall(r'<tr data-late="(\w+)">', national) == [FOCUS]
    html = index.units[FOCUS].html.read_text("utf-8")
    assert "Đơn vị chưa có lần gửi nào được nạp" in html
    assert "Không có dòng nào bị từ chối." in html
