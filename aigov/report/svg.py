"""Charts as inline SVG text, for the HTML report.

Rendered by Python into the page, so the report needs no script and no
network: it opens offline, prints as vectors, and its labels and figures are
real text a screen reader and a search can find. Every chart is an ``<svg>``
with ``role="img"`` and a ``<title>``; every bar and point has its own
``<title>`` (shown on hover) with the figure and its basis. Every string is
escaped here; callers pass plain text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from typing import Final

from aigov.report.base import format_usd

SPEND_COLOUR: Final = "#2f6db5"
RISK_COLOUR: Final = "#c2462e"
MUTED_COLOUR: Final = "#8a8f98"


@dataclass(frozen=True, slots=True)
class Bar:
    """One group of a bar chart: its spend, its spend in violation, and what a hover says about them."""

    label: str
    spend: float
    in_violation: float
    hint: str  # the basis, shown on hover


@dataclass(frozen=True, slots=True)
class Point:
    """One point of a line chart."""

    label: str  # the x-axis text, e.g. a date
    value: float
    hint: str


def bar_chart(title: str, bars: Sequence[Bar], *, width: int = 720, chart_id: str) -> str:
    """Horizontal paired bars (spend, spend in violation) with the amounts written beside them."""
    label_width = 210
    value_width = 190
    row = 34
    top = 26
    height = top + row * max(1, len(bars)) + 8
    scale_width = width - label_width - value_width
    largest = max((max(b.spend, b.in_violation) for b in bars), default=0.0) or 1.0
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart bars" id="{escape(chart_id)}" '
        f'role="img" aria-labelledby="{escape(chart_id)}-t" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}">',
        f'<title id="{escape(chart_id)}-t">{escape(title)}</title>',
        _legend(label_width),
    ]
    for i, bar in enumerate(bars):
        y = top + i * row
        spend_w = max(bar.spend / largest * scale_width, 1.0 if bar.spend else 0.0)
        risk_w = max(bar.in_violation / largest * scale_width, 1.0 if bar.in_violation else 0.0)
        hint = escape(bar.hint)
        parts.append(f'<g class="bar"><title>{hint}</title>')
        parts.append(
            f'<text x="{label_width - 8}" y="{y + 17}" text-anchor="end" class="label">'
            f"{escape(_shorten(bar.label, 30))}</text>"
        )
        parts.append(
            f'<rect class="spend" x="{label_width}" y="{y + 3}" width="{spend_w:.1f}" height="12" '
            f'fill="{SPEND_COLOUR}"/>'
        )
        parts.append(
            f'<rect class="risk" x="{label_width}" y="{y + 16}" width="{risk_w:.1f}" height="12" '
            f'fill="{RISK_COLOUR}"/>'
        )
        parts.append(
            f'<text x="{width - value_width + 8}" y="{y + 17}" class="value">'
            f"{escape(format_usd(bar.spend))} / {escape(format_usd(bar.in_violation))}</text>"
        )
        parts.append("</g>")
    parts.append("</svg>")
    return "".join(parts)


def line_chart(title: str, points: Sequence[Point], *, width: int = 720, chart_id: str) -> str:
    """A line over ``points`` (oldest first), each point marked and labelled with its amount."""
    height = 220
    left, right, top, bottom = 90, 20, 20, 40
    plot_w = width - left - right
    plot_h = height - top - bottom
    largest = max((p.value for p in points), default=0.0) or 1.0
    step = plot_w / max(1, len(points) - 1)

    def xy(i: int, value: float) -> tuple[float, float]:
        x = left + (i * step if len(points) > 1 else plot_w / 2)
        return x, top + plot_h - value / largest * plot_h

    coordinates = [xy(i, p.value) for i, p in enumerate(points)]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coordinates)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart line" id="{escape(chart_id)}" '
        f'role="img" aria-labelledby="{escape(chart_id)}-t" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}">',
        f'<title id="{escape(chart_id)}-t">{escape(title)}</title>',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}" '
        f'stroke="{MUTED_COLOUR}"/>',
        f'<text x="{left - 6}" y="{top + 4}" text-anchor="end" class="axis">'
        f"{escape(format_usd(largest))}</text>",
        f'<text x="{left - 6}" y="{top + plot_h}" text-anchor="end" class="axis">$0</text>',
        f'<polyline points="{path}" fill="none" stroke="{RISK_COLOUR}" stroke-width="2"/>',
    ]
    every = max(1, len(points) // 8)  # at most about eight x labels, so they never overlap
    for i, (point, (x, y)) in enumerate(zip(points, coordinates, strict=True)):
        parts.append(
            f'<g class="point"><title>{escape(point.hint)}</title>'
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{RISK_COLOUR}"/></g>'
        )
        if i % every == 0 or i == len(points) - 1:
            parts.append(
                f'<text x="{x:.1f}" y="{height - 22}" text-anchor="middle" class="axis">'
                f"{escape(point.label)}</text>"
            )
    parts.append("</svg>")
    return "".join(parts)


def sparkline(
    title: str, values: Sequence[float], *, baseline: float | None = None, chart_id: str, width: int = 240
) -> str:
    """A small line of ``values`` (oldest first), the last one marked, the baseline dashed when given."""
    height = 48
    pad = 4
    top_value = max([*values, baseline or 0.0, 0.0]) or 1.0
    step = (width - 2 * pad) / max(1, len(values) - 1)

    def y(value: float) -> float:
        return height - pad - value / top_value * (height - 2 * pad)

    path = " ".join(f"{pad + i * step:.1f},{y(v):.1f}" for i, v in enumerate(values))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart spark" id="{escape(chart_id)}" '
        f'role="img" aria-labelledby="{escape(chart_id)}-t" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}">',
        f'<title id="{escape(chart_id)}-t">{escape(title)}</title>',
    ]
    if baseline is not None:
        parts.append(
            f'<line x1="{pad}" y1="{y(baseline):.1f}" x2="{width - pad}" y2="{y(baseline):.1f}" '
            f'stroke="{MUTED_COLOUR}" stroke-dasharray="4 3"/>'
        )
    parts.append(f'<polyline points="{path}" fill="none" stroke="{SPEND_COLOUR}" stroke-width="1.5"/>')
    if values:
        last = len(values) - 1
        parts.append(
            f'<circle cx="{pad + last * step:.1f}" cy="{y(values[-1]):.1f}" r="3" fill="{RISK_COLOUR}"/>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _legend(x: int) -> str:
    return (
        f'<rect x="{x}" y="4" width="12" height="12" fill="{SPEND_COLOUR}"/>'
        f'<text x="{x + 16}" y="14" class="legend">monthly cost</text>'
        f'<rect x="{x + 120}" y="4" width="12" height="12" fill="{RISK_COLOUR}"/>'
        f'<text x="{x + 136}" y="14" class="legend">in violation</text>'
    )


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
