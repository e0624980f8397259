"""Charts as inline SVG, drawn in Python: no JavaScript, no library, nothing fetched.

The national page must open offline (a laptop in a provincial office, an
e-mail attachment), so each chart is plain SVG markup in the page. Every
label is escaped: unit names come from reference data, but nothing rendered
here is trusted.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from markupsafe import Markup, escape

# Colours that stay distinct in greyscale print-outs.
VALID_COLOUR = "#1f4e79"
SUBMITTED_COLOUR = "#8fb3d9"
TARGET_COLOUR = "#c0392b"
PHASE_TARGET_COLOUR = "#e67e22"
BAR_COLOUR = "#2e75b6"
BAR_HIGHLIGHT = "#c0392b"


def nice_step(span: float, ticks: int = 5) -> float:
    """A round tick step (1, 2, 2.5 or 5 × 10ⁿ) giving about `ticks` intervals over `span`."""
    if span <= 0:
        return 1.0
    raw = span / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if factor * magnitude >= raw:
            return factor * magnitude
    return 10 * magnitude


def _compact(value: float) -> str:
    """Axis labels: 250.000 → "250 N", 1.500.000 → "1,5 Tr" (nghìn, triệu)."""
    if value >= 1_000_000:
        return f"{value / 1_000_000:g}".replace(".", ",") + " Tr"
    if value >= 1_000:
        return f"{value / 1_000:g}".replace(".", ",") + " N"
    return f"{value:g}".replace(".", ",")


@dataclass(frozen=True)
class Series:
    label: str
    points: Sequence[tuple[date, float]]
    colour: str
    dashed: bool = False


@dataclass(frozen=True)
class TargetLine:
    value: float
    label: str
    colour: str


def line_chart(
    series: Sequence[Series],
    *,
    start: date,
    end: date,
    targets: Sequence[TargetLine] = (),
    markers: Sequence[tuple[date, str]] = (),
    title: str,
    width: int = 960,
    height: int = 400,
) -> Markup:
    """Cumulative curves over dates, with horizontal target lines and vertical date markers."""
    left, right, top, bottom = 70, 24, 24, 64
    plot_w, plot_h = width - left - right, height - top - bottom
    days = max((end - start).days, 1)
    peak = max([t.value for t in targets] + [v for s in series for _, v in s.points] + [1])
    step = nice_step(peak * 1.08)
    y_max = step * math.ceil(peak * 1.08 / step)

    def x(d: date) -> float:
        return left + (d - start).days / days * plot_w

    def y(v: float) -> float:
        return top + plot_h - v / y_max * plot_h

    parts = [
        f'<svg class="chart" data-chart="progress" role="img" viewBox="0 0 {width} {height}" '
        f'width="100%" xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
    ]
    tick = 0.0
    while tick <= y_max + 1e-9:
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" '
            f'stroke="#e3e3e3"/><text x="{left - 6}" y="{y(tick) + 4:.1f}" '
            f'text-anchor="end" class="axis">{_compact(tick)}</text>'
        )
        tick += step
    month = date(start.year, start.month, 1)
    while month <= end:
        if month >= start and month.month in (1, 4, 7, 10):
            parts.append(
                f'<line x1="{x(month):.1f}" x2="{x(month):.1f}" y1="{top + plot_h}" '
                f'y2="{top + plot_h + 5}" stroke="#666"/><text x="{x(month):.1f}" '
                f'y="{top + plot_h + 20}" text-anchor="middle" class="axis">'
                f"{month:%m/%Y}</text>"
            )
        month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    for when, label in markers:
        if start <= when <= end:
            parts.append(
                f'<line x1="{x(when):.1f}" x2="{x(when):.1f}" y1="{top}" y2="{top + plot_h}" '
                f'stroke="#999" stroke-dasharray="2 3"/><text x="{x(when) + 4:.1f}" '
                f'y="{top + 12}" class="axis">{escape(label)}</text>'
            )
    for target in targets:
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y(target.value):.1f}" '
            f'y2="{y(target.value):.1f}" stroke="{target.colour}" stroke-width="1.5" '
            f'stroke-dasharray="8 4" data-target="{int(target.value)}"/>'
            f'<text x="{width - right - 4}" y="{y(target.value) - 5:.1f}" text-anchor="end" '
            f'class="target" fill="{target.colour}">{escape(target.label)}</text>'
        )
    for s in series:
        if not s.points:
            continue
        coords = " ".join(f"{x(d):.1f},{y(v):.1f}" for d, v in s.points)
        dash = ' stroke-dasharray="5 3"' if s.dashed else ""
        parts.append(
            f'<polyline points="{coords}" fill="none" stroke="{s.colour}" stroke-width="2.5"'
            f"{dash}><title>{escape(s.label)}</title></polyline>"
        )
    parts.append(
        f'<line x1="{left}" x2="{width - right}" y1="{top + plot_h}" y2="{top + plot_h}" '
        f'stroke="#666"/>'
    )
    legend_x = left
    for s in series:
        dash = ' stroke-dasharray="5 3"' if s.dashed else ""
        parts.append(
            f'<line x1="{legend_x}" x2="{legend_x + 24}" y1="{height - 14}" y2="{height - 14}" '
            f'stroke="{s.colour}" stroke-width="2.5"{dash}/><text x="{legend_x + 30}" '
            f'y="{height - 10}" class="legend">{escape(s.label)}</text>'
        )
        legend_x += 40 + 8 * len(s.label)
    parts.append("</svg>")
    return Markup("".join(parts))


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    #: Text shown at the end of the bar (the value, formatted).
    text: str
    highlight: bool = False


def _fit(label: str, width_px: int) -> str:
    """Shorten a label to what fits in `width_px` at 12px (the tooltip keeps the full text)."""
    limit = max(width_px // 7, 8)
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"


def bar_chart(
    bars: Sequence[Bar],
    *,
    title: str,
    chart_id: str,
    reference: tuple[float, str] | None = None,
    cap: float | None = None,
    label_width: int = 250,
    width: int = 960,
    row_height: int = 18,
) -> Markup:
    """Horizontal bars, one per item, with an optional vertical reference line (e.g. 100%).

    Bars longer than `cap` are drawn to the cap with a break mark (their text
    still gives the value), so one outlier does not flatten every other bar.
    """
    top, bottom, text_w = 8, 24 if reference else 8, 110
    height = top + bottom + row_height * max(len(bars), 1)
    plot_x, plot_w = label_width + 8, width - label_width - 8 - text_w
    peak = max([b.value for b in bars] + ([reference[0]] if reference else []) + [1e-9])
    scale_max = (min(peak, cap) if cap else peak) * 1.02

    def x(v: float) -> float:
        return plot_x + min(max(v, 0), scale_max) / scale_max * plot_w

    parts = [
        f'<svg class="chart" data-chart="{escape(chart_id)}" role="img" '
        f'viewBox="0 0 {width} {height}" width="100%" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(title)}</title>"
    ]
    for i, bar in enumerate(bars):
        row_y = top + i * row_height
        colour = BAR_HIGHLIGHT if bar.highlight else BAR_COLOUR
        end = x(bar.value)
        parts.append(
            f'<text x="{label_width}" y="{row_y + row_height * 0.7:.1f}" text-anchor="end" '
            f'class="label">{escape(_fit(bar.label, label_width))}</text>'
            f'<rect x="{plot_x}" y="{row_y + 3}" width="{end - plot_x:.1f}" '
            f'height="{row_height - 6}" fill="{colour}"><title>{escape(bar.label)}: '
            f"{escape(bar.text)}</title></rect>"
        )
        if cap and bar.value > scale_max:
            parts.append(
                f'<path d="M{end - 14:.1f},{row_y + row_height - 2} l6,{4 - row_height} '
                f'M{end - 8:.1f},{row_y + row_height - 2} l6,{4 - row_height}" '
                f'stroke="#fff" stroke-width="2.5"/>'
            )
        parts.append(
            f'<text x="{end + 5:.1f}" y="{row_y + row_height * 0.7:.1f}" '
            f'class="value">{escape(bar.text)}</text>'
        )
    if reference:
        ref_x = x(reference[0])
        parts.append(
            f'<line x1="{ref_x:.1f}" x2="{ref_x:.1f}" y1="{top}" y2="{height - bottom}" '
            f'stroke="{TARGET_COLOUR}" stroke-width="1.5" stroke-dasharray="6 3"/>'
            f'<text x="{ref_x + 4:.1f}" y="{height - bottom + 16}" class="target" '
            f'fill="{TARGET_COLOUR}">{escape(reference[1])}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
