"""The national report: leaderboard, progress, attainment, breakdowns and data quality.

Shapes the snapshot into what `national.html.j2` shows. Targets are compared
for the phase the as-of date falls in (phase 1 up to 31/05/2022, then the
programme total), with the percentages `rpt_target_attainment` publishes.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from markupsafe import Markup

from sangkien.reports.charts import (
    PHASE_TARGET_COLOUR,
    SUBMITTED_COLOUR,
    TARGET_COLOUR,
    VALID_COLOUR,
    Bar,
    Series,
    TargetLine,
    bar_chart,
    line_chart,
)
from sangkien.reports.labels import (
    DIMENSION_TITLES,
    NIGHT_OUTCOME,
    NO_PROVINCE,
    PHASE1_END,
    TARGET_PHASE1,
    TARGET_TOTAL,
    rank_change_text,
    value_label,
    vn_int,
    vn_percent,
)
from sangkien.reports.province import median_or_none
from sangkien.reports.queries import Snapshot

BREAKDOWN_DIMENSIONS = ("participant_group", "field", "solution_type", "recognition_level")


@dataclass(frozen=True)
class LeaderRow:
    rank: int
    unit_code: str
    unit_name: str
    valid: int
    rank_change: int | None
    change_text: str
    target_assigned: int | None
    pct_of_assigned: Decimal | None
    pct_of_registered: Decimal | None
    report_href: str | None


@dataclass(frozen=True)
class ShareRow:
    code: str
    label: str
    valid: int
    share: float | None
    benefit_vnd: int | None
    note: str = ""


@dataclass(frozen=True)
class QualityRow:
    unit_code: str
    unit_name: str
    received: int
    rejected: int
    rejection_rate: float | None
    above_median: bool
    duplicates: int
    duplicate_rate: float | None
    suspected: int
    delivered_last_night: bool
    night_outcome: str
    last_delivery_date: date | None
    days_since: int | None
    report_href: str | None


@dataclass
class NationalReport:
    business_date: date
    as_of_date: date | None
    phase: int
    cumulative_valid: int
    cumulative_submitted: int
    pct_of_target: Decimal | None
    valid_7day_avg: Decimal | None
    units_total: int
    units_delivered: int
    leaderboard: list[LeaderRow]
    progress_chart: Markup
    attainment_chart: Markup
    provinces: list[ShareRow]
    provinces_chart: Markup
    breakdowns: list[tuple[str, list[ShareRow], Markup]]
    quality: list[QualityRow]
    late: list[QualityRow]
    median_rejection_rate: float | None
    missed_sources: tuple[str, ...]
    docs_links: dict[str, str] = field(default_factory=dict)


def phase_of(day: date | None) -> int:
    return 1 if day is not None and day <= PHASE1_END else 2


def build_national_report(snapshot: Snapshot, report_hrefs: dict[str, str]) -> NationalReport:
    """`report_hrefs`: relative links to the unit reports that exist, by unit code."""
    as_of = snapshot.as_of_date
    phase = phase_of(as_of)
    units = snapshot.units

    leaderboard = []
    for r in snapshot.ranking:
        target = snapshot.attainment.get(r.unit_code, {}).get(phase)
        unit = units.get(r.unit_code)
        leaderboard.append(
            LeaderRow(
                rank=r.rank,
                unit_code=r.unit_code,
                unit_name=unit.unit_name if unit else r.unit_code,
                valid=r.cumulative_valid,
                rank_change=r.rank_change,
                change_text=rank_change_text(r.rank_change),
                target_assigned=target.target_assigned if target else None,
                pct_of_assigned=target.pct_of_assigned if target else None,
                pct_of_registered=target.pct_of_registered if target else None,
                report_href=report_hrefs.get(r.unit_code),
            )
        )

    progress = [p for p in snapshot.progress if as_of is not None and p.date <= as_of]
    latest = progress[-1] if progress else None
    start = snapshot.progress[0].date if snapshot.progress else snapshot.business_date
    end = snapshot.progress[-1].date if snapshot.progress else snapshot.business_date
    progress_chart = line_chart(
        [
            Series(
                "Sáng kiến hợp lệ (lũy kế)",
                [(p.date, p.cumulative_valid) for p in progress],
                VALID_COLOUR,
            ),
            Series(
                "Sáng kiến đã gửi (lũy kế)",
                [(p.date, p.cumulative_submitted) for p in progress],
                SUBMITTED_COLOUR,
                dashed=True,
            ),
        ],
        start=start,
        end=end,
        targets=[
            TargetLine(
                TARGET_PHASE1, f"Mục tiêu giai đoạn 1: {vn_int(TARGET_PHASE1)}", PHASE_TARGET_COLOUR
            ),
            TargetLine(
                TARGET_TOTAL, f"Mục tiêu chương trình: {vn_int(TARGET_TOTAL)}", TARGET_COLOUR
            ),
        ],
        markers=[(PHASE1_END, "Hết giai đoạn 1")],
        title="Tiến độ chương trình: số sáng kiến lũy kế theo ngày",
    )

    attained = sorted(
        (
            (float(a.pct_of_assigned), code)
            for code, phases in snapshot.attainment.items()
            if (a := phases.get(phase)) is not None and a.pct_of_assigned is not None
        ),
        key=lambda item: (-item[0], item[1]),
    )
    attainment_chart = bar_chart(
        [
            Bar(
                f"{code} — {units[code].unit_name}" if code in units else code,
                pct,
                vn_percent(pct / 100, 1),
                highlight=pct < 100,
            )
            for pct, code in attained
        ],
        title=f"Mức hoàn thành chỉ tiêu được giao (giai đoạn {phase}), theo đơn vị",
        chart_id="attainment",
        reference=(100.0, "100% chỉ tiêu"),
        cap=_attainment_cap([pct for pct, _ in attained]),
        label_width=330,
        row_height=16,
    )

    provinces = _province_rows(snapshot)
    provinces_chart = _share_chart(
        provinces, "provinces", "Sáng kiến hợp lệ theo 34 tỉnh, thành phố"
    )
    breakdowns = []
    for dimension in BREAKDOWN_DIMENSIONS:
        rows = _share_rows(
            snapshot,
            dimension,
            lambda value, dimension=dimension: value_label(dimension, value),
        )
        breakdowns.append(
            (
                DIMENSION_TITLES[dimension],
                rows,
                _share_chart(rows, dimension, DIMENSION_TITLES[dimension]),
            )
        )

    quality, median = _quality_rows(snapshot, report_hrefs)
    late = sorted(
        (q for q in quality if not q.delivered_last_night),
        key=lambda q: (-(q.days_since if q.days_since is not None else 10**6), q.unit_code),
    )
    return NationalReport(
        business_date=snapshot.business_date,
        as_of_date=as_of,
        phase=phase,
        cumulative_valid=latest.cumulative_valid if latest else 0,
        cumulative_submitted=latest.cumulative_submitted if latest else 0,
        pct_of_target=latest.pct_of_target if latest else None,
        valid_7day_avg=latest.valid_7day_avg if latest else None,
        units_total=len(units),
        units_delivered=sum(1 for q in quality if q.delivered_last_night),
        leaderboard=leaderboard,
        progress_chart=progress_chart,
        attainment_chart=attainment_chart,
        provinces=provinces,
        provinces_chart=provinces_chart,
        breakdowns=breakdowns,
        quality=quality,
        late=late,
        median_rejection_rate=median,
        missed_sources=snapshot.missed_sources,
    )


def _attainment_cap(percentages: list[float]) -> float:
    """Where attainment bars are cut: past the 90th percentile, and never below 150%."""
    if not percentages:
        return 150.0
    ordered = sorted(percentages)
    return max(150.0, ordered[int(0.9 * (len(ordered) - 1))] * 1.1)


def _share_rows(snapshot: Snapshot, dimension: str, label, notes=None) -> list[ShareRow]:  # type: ignore[no-untyped-def]
    rows = snapshot.breakdown.get(dimension, [])
    total = sum(r.valid for r in rows)
    return [
        ShareRow(
            code=r.value,
            label=label(r.value),
            valid=r.valid,
            share=r.valid / total if total else None,
            benefit_vnd=r.valid_benefit_vnd,
            note=(notes or {}).get(r.value, ""),
        )
        for r in rows
    ]


def _province_rows(snapshot: Snapshot) -> list[ShareRow]:
    """The 2025 provinces, named from dim_unit, with the federations merged into each."""
    names: dict[str, str] = {}
    members: dict[str, list[str]] = defaultdict(list)
    for unit in snapshot.units.values():
        if unit.province_code_2025:
            names[unit.province_code_2025] = unit.province_name_2025 or unit.province_code_2025
            members[unit.province_code_2025].append(unit.unit_code)
    notes = {code: ", ".join(sorted(codes)) for code, codes in members.items()}
    return _share_rows(
        snapshot,
        "province_2025",
        lambda value: NO_PROVINCE if value == "none" else names.get(value, value),
        notes,
    )


def _share_chart(rows: list[ShareRow], chart_id: str, title: str) -> Markup:
    return bar_chart(
        [Bar(r.label, r.valid, vn_int(r.valid)) for r in rows],
        title=title,
        chart_id=chart_id,
        label_width=330,
    )


def _quality_rows(
    snapshot: Snapshot, report_hrefs: dict[str, str]
) -> tuple[list[QualityRow], float | None]:
    median = median_or_none(list(snapshot.rejection_rates().values()))
    day = snapshot.business_date
    rows = []
    for code, unit in snapshot.units.items():
        totals = snapshot.deliveries[code]
        counts = snapshot.record_counts.get(code)
        rate = totals.cumulative.rejection_rate
        last = totals.last_delivery_date
        outcome = snapshot.night_outcomes.get(code)
        delivered = last == day
        rows.append(
            QualityRow(
                unit_code=code,
                unit_name=unit.unit_name,
                received=totals.cumulative.received,
                rejected=totals.cumulative.rejected,
                rejection_rate=rate,
                above_median=rate is not None and median is not None and rate > median,
                duplicates=counts.duplicate if counts else 0,
                duplicate_rate=counts.duplicate_rate if counts else None,
                suspected=snapshot.suspected_counts.get(code, 0),
                delivered_last_night=delivered,
                night_outcome=(
                    NIGHT_OUTCOME.get(outcome[0], outcome[0])
                    if outcome
                    else ("Đã gửi" if delivered else "Không gửi dữ liệu")
                ),
                last_delivery_date=last,
                days_since=(day - last).days if last else None,
                report_href=report_hrefs.get(code),
            )
        )
    return rows, median
