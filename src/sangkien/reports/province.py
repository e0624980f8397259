"""The quality report of one reporting unit, for the night and cumulatively.

Built from the snapshot as a list of `Table`s (summary, rejected rows,
duplicates, suspected duplicates, nights not delivered, incomplete or failed
deliveries, warnings, and the meaning of every code), which the HTML, CSV and
XLSX writers render alike. "The night" is the deliveries whose business date
is the report's date D; "cumulative" is every delivery up to D.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sangkien.reports.labels import (
    DELIVERY_STATUS,
    DUPLICATE_KIND,
    NIGHT_OUTCOME,
    REASONS,
    WARNINGS,
    vn_date,
    vn_percent,
)
from sangkien.reports.queries import DuplicateLink, Snapshot, Unit
from sangkien.reports.tables import Cell, Column, Percent, Table


@dataclass(frozen=True)
class RateComparison:
    """The unit's rejection rate against the national median (over units that received rows)."""

    rate: float | None
    median: float | None
    night_rate: float | None
    night_median: float | None
    units_in_median: int

    def verdict(self) -> str:
        if self.rate is None:
            return "Đơn vị chưa có lần gửi nào được nạp, chưa tính được tỉ lệ từ chối."
        if self.median is None:
            return "Chưa tính được trung vị toàn quốc."
        rate, median = vn_percent(self.rate), vn_percent(self.median)
        if abs(self.rate - self.median) < 1e-12:
            return f"Tỉ lệ từ chối của đơn vị ({rate}) bằng trung vị toàn quốc."
        side = "cao hơn" if self.rate > self.median else "thấp hơn"
        return f"Tỉ lệ từ chối của đơn vị ({rate}) {side} trung vị toàn quốc ({median})."


@dataclass
class UnitReport:
    unit: Unit
    business_date: date
    comparison: RateComparison
    tables: list[Table]
    missed_sources: tuple[str, ...]

    def table(self, key: str) -> Table:
        return next(t for t in self.tables if t.key == key)


def median_or_none(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def rate_comparison(snapshot: Snapshot, unit_code: str) -> RateComparison:
    rates = snapshot.rejection_rates()
    night_rates = [
        r for d in snapshot.deliveries.values() if (r := d.night.rejection_rate) is not None
    ]
    mine = snapshot.deliveries[unit_code]
    return RateComparison(
        rate=mine.cumulative.rejection_rate,
        median=median_or_none(list(rates.values())),
        night_rate=mine.night.rejection_rate,
        night_median=median_or_none(night_rates),
        units_in_median=len(rates),
    )


# Columns: one key ⇒ one label, so the single CSV file can share columns between sections.
C_DATE = Column("business_date", "Ngày dữ liệu", 13)
C_FILE = Column("file_name", "Tệp", 18)
C_LINE = Column("line_number", "Dòng số", 9)
C_RECORD = Column("record_id", "Mã bản ghi", 18)
C_DETAIL = Column("detail", "Chi tiết", 48)
C_KIND = Column("kind", "Loại", 24)


def build_unit_report(snapshot: Snapshot, unit_code: str) -> UnitReport:
    day = snapshot.business_date
    night_label, cumulative_label = f"Đêm {vn_date(day)}", f"Lũy kế đến {vn_date(day)}"
    c_night, c_cumulative = (
        Column("night", night_label, 16),
        Column("cumulative", cumulative_label, 20),
    )

    rejected = snapshot.rejected.get(unit_code, [])
    warnings = snapshot.warnings.get(unit_code, [])
    problems = snapshot.problems.get(unit_code, [])
    missed = snapshot.missed.get(unit_code, [])
    links = snapshot.duplicates.get(unit_code, [])
    duplicates = [link for link in links if link.kind != "suspected"]
    suspected = [link for link in links if link.kind == "suspected"]
    comparison = rate_comparison(snapshot, unit_code)
    totals = snapshot.deliveries[unit_code]

    def tonight(rows: Iterable[Any]) -> int:
        return sum(1 for r in rows if r.business_date == day)

    def pct(value: float | None) -> Percent | None:
        return None if value is None else Percent(value)

    summary = Table(
        "tom_tat",
        "Tóm tắt",
        (Column("metric", "Chỉ tiêu", 46), c_night, c_cumulative),
        [
            ("Số lần gửi đã nạp", totals.night.deliveries, totals.cumulative.deliveries),
            ("Số dòng nhận được", totals.night.received, totals.cumulative.received),
            ("Số dòng được công bố", totals.night.published, totals.cumulative.published),
            ("Số dòng bị từ chối", totals.night.rejected, totals.cumulative.rejected),
            (
                "Số dòng bị thay bằng phiên bản sau trong cùng lần gửi",
                totals.night.superseded,
                totals.cumulative.superseded,
            ),
            ("Tỉ lệ từ chối", pct(comparison.night_rate), pct(comparison.rate)),
            (
                "Trung vị toàn quốc (tỉ lệ từ chối)",
                pct(comparison.night_median),
                pct(comparison.median),
            ),
            ("Lần gửi không đầy đủ hoặc bị lỗi", tonight(problems), len(problems)),
            ("Cảnh báo", tonight(warnings), len(warnings)),
            ("Đêm không gửi dữ liệu", tonight(missed), len(missed)),
            ("Trùng lặp (số cặp)", None, len(duplicates)),
            (
                "— trong đó bản ghi của đơn vị bị tính là trùng",
                None,
                sum(1 for link in duplicates if link.later_unit == unit_code),
            ),
            ("Nghi trùng lặp cần xem xét (số cặp)", None, len(suspected)),
        ],
        intro=(
            f"Đêm: các lần gửi có ngày dữ liệu {vn_date(day)}. Lũy kế: mọi lần gửi đến hết ngày "
            "đó. Tỉ lệ từ chối = số dòng bị từ chối ÷ số dòng nhận được, trên các lần gửi đã "
            f"nạp; trung vị tính trên {comparison.units_in_median} đơn vị đã có dữ liệu."
        ),
        counted=False,
    )

    rejected_table = Table(
        "dong_bi_tu_choi",
        "Dòng bị từ chối",
        (
            C_DATE,
            C_FILE,
            C_LINE,
            C_RECORD,
            Column("reason_code", "Mã lý do", 18),
            Column("reason", "Lý do", 48),
            C_DETAIL,
        ),
        [
            (
                r.business_date,
                r.file_name,
                r.line_number,
                r.record_id,
                r.reason_code,
                REASONS.get(r.reason_code, ("", ""))[0],
                r.reason_detail,
            )
            for r in rejected
        ],
        intro=(
            "Mỗi dòng bị từ chối, với mọi lý do áp dụng (một dòng cho mỗi lý do). Dòng số là "
            "thứ tự bản ghi trong tệp, không tính dòng tiêu đề. Sửa rồi gửi lại các bản ghi này."
        ),
        empty="Không có dòng nào bị từ chối.",
    )

    duplicate_columns = (
        C_RECORD,
        Column("title", "Tên sáng kiến", 40),
        Column("submitted_date", "Ngày gửi", 12),
        Column("role", "Vai trò", 34),
        Column("other_key", "Trùng với bản ghi", 22),
        Column("other_unit", "Đơn vị của bản ghi kia", 24),
        Column("other_title", "Tên sáng kiến của bản ghi kia", 40),
        Column("other_date", "Ngày gửi của bản ghi kia", 12),
        C_KIND,
    )
    duplicates_table = Table(
        "trung_lap",
        "Trùng lặp",
        duplicate_columns,
        [_duplicate_row(snapshot, link, unit_code) for link in duplicates],
        intro=(
            "Cùng tên sáng kiến và cùng nhóm tác giả (sau khi chuẩn hóa). Bản gửi sớm nhất là "
            "bản gốc và được tính; bản gửi sau bị tính là trùng. Trùng giữa hai đơn vị được "
            "liệt kê trong báo cáo của cả hai đơn vị."
        ),
        empty="Không có bản ghi trùng lặp.",
    )
    suspected_table = Table(
        "nghi_trung_lap",
        "Nghi trùng lặp",
        (*duplicate_columns, Column("similarity", "Độ tương đồng", 14)),
        [(*_duplicate_row(snapshot, link, unit_code), link.similarity) for link in suspected],
        intro=(
            "Tên gần giống nhau (lỗi gõ, đảo từ) và cùng nhóm tác giả. Không bị loại khỏi số "
            "liệu; đề nghị đơn vị xem xét. Độ tương đồng từ 0 đến 1."
        ),
        empty="Không có cặp nghi trùng lặp.",
    )

    missed_table = Table(
        "dem_khong_gui",
        "Đêm không gửi dữ liệu",
        (
            C_DATE,
            Column("outcome", "Kết quả đêm chạy", 22),
            C_DETAIL,
            Column("current", "Hiện trạng", 28),
        ),
        [
            (
                m.business_date,
                NIGHT_OUTCOME.get(m.outcome, m.outcome) if m.outcome else "Không gửi dữ liệu",
                m.detail,
                "Đã có dữ liệu (gửi muộn hoặc gửi lại)" if m.delivered_now else "Chưa có dữ liệu",
            )
            for m in missed
        ],
        intro=(
            "Các đêm đơn vị không gửi, gửi không đầy đủ hoặc gửi lỗi (nguồn: "
            + ", ".join(snapshot.missed_sources)
            + ")."
        ),
        empty="Đơn vị đã gửi dữ liệu mọi đêm.",
    )

    problems_table = Table(
        "lan_gui_loi",
        "Lần gửi không đầy đủ hoặc bị lỗi",
        (
            C_DATE,
            C_FILE,
            Column("status", "Trạng thái", 26),
            Column("status_detail", "Nguyên nhân", 56),
            Column("received_at", "Nhận lúc", 17),
            Column("loaded_at", "Xử lý lúc", 17),
            Column("fixed", "Đã khắc phục", 26),
        ),
        [
            (
                p.business_date,
                p.file_name,
                DELIVERY_STATUS.get(p.status, p.status),
                p.status_detail,
                p.received_at,
                p.loaded_at,
                "Có: đã nạp lần gửi sau" if p.fixed else "Chưa",
            )
            for p in problems
        ],
        intro=(
            "Lần gửi không đầy đủ (manifest không khớp với tệp) không được công bố dòng nào; "
            "lần gửi lỗi không đọc được. Số liệu của đơn vị giữ nguyên như trước lần gửi đó."
        ),
        empty="Không có lần gửi nào không đầy đủ hoặc bị lỗi.",
        sheet="Lần gửi không đầy đủ, bị lỗi",
    )

    warnings_table = Table(
        "canh_bao",
        "Cảnh báo",
        (
            C_DATE,
            C_FILE,
            C_LINE,
            Column("warning_code", "Mã cảnh báo", 22),
            Column("meaning", "Ý nghĩa", 48),
            C_DETAIL,
        ),
        [
            (
                w.business_date,
                w.file_name,
                w.line_number,
                w.warning_code,
                WARNINGS.get(w.warning_code, ("", ""))[0],
                w.detail,
            )
            for w in warnings
        ],
        intro="Cảnh báo không làm dòng bị từ chối, nhưng cho thấy điều cần sửa ở lần gửi sau.",
        empty="Không có cảnh báo.",
    )

    legend_rows: list[tuple[Cell, ...]] = []
    for code, (meaning, fix) in REASONS.items():
        mine = [r for r in rejected if r.reason_code == code]
        legend_rows.append((code, "Lý do từ chối", meaning, fix, tonight(mine), len(mine)))
    for code, (meaning, fix) in WARNINGS.items():
        mine_w = [w for w in warnings if w.warning_code == code]
        legend_rows.append((code, "Cảnh báo", meaning, fix, tonight(mine_w), len(mine_w)))
    legend = Table(
        "giai_thich",
        "Giải thích mã lý do và cảnh báo",
        (
            Column("code", "Mã", 22),
            C_KIND,
            Column("meaning", "Ý nghĩa", 48),
            Column("fix", "Cách khắc phục", 48),
            c_night,
            c_cumulative,
        ),
        legend_rows,
        intro="Ý nghĩa của từng mã, và số dòng (hoặc số cảnh báo) của đơn vị theo từng mã.",
        counted=False,
    )
    return UnitReport(
        unit=snapshot.units[unit_code],
        business_date=day,
        comparison=comparison,
        tables=[
            summary,
            rejected_table,
            duplicates_table,
            suspected_table,
            missed_table,
            problems_table,
            warnings_table,
            legend,
        ],
        missed_sources=snapshot.missed_sources,
    )


def _duplicate_row(snapshot: Snapshot, link: DuplicateLink, unit_code: str) -> tuple[Cell, ...]:
    """The pair from the unit's side: its own record first, then the other one."""
    mine_is_later = link.later_unit == unit_code
    if mine_is_later:
        key, title, day = link.initiative_key, link.later_title, link.later_date
        other_key, other_title, other_day = (
            link.duplicate_of_key,
            link.earlier_title,
            link.earlier_date,
        )
    else:
        key, title, day = link.duplicate_of_key, link.earlier_title, link.earlier_date
        other_key, other_title, other_day = link.initiative_key, link.later_title, link.later_date
    if link.kind == "suspected":
        role = "Bản gửi sau" if mine_is_later else "Bản gửi trước"
    elif mine_is_later:
        role = "Bản gửi sau: bị tính là trùng, không được tính"
    else:
        role = "Bản gốc: được tính"
    other_unit_code = other_key.split(":", 1)[0]
    other_unit = snapshot.units.get(other_unit_code)
    return (
        key.split(":", 1)[1],
        title,
        day,
        role,
        other_key,
        f"{other_unit_code} — {other_unit.unit_name}" if other_unit else other_unit_code,
        other_title,
        other_day,
        DUPLICATE_KIND.get(link.kind, link.kind),
    )
