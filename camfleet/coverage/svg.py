"""Inline SVG charts for the HTML report: town bars, the daily trend, the map of points.

Hand-written SVG rather than a charting library: the report must be one self-contained file with no
scripts and no network, and these three charts are a few rectangles, one polyline and circles. Every
text that comes from the inventory is escaped here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

from camfleet.coverage.fmt import pct
from camfleet.coverage.history import TrendDay
from camfleet.coverage.report import AreaSummary, PointRow

GREEN, RED, GREY, BLUE, AMBER = "#2e7d32", "#c62828", "#9e9e9e", "#1565c0", "#ef6c00"


def cover_colour(covered: bool | None) -> str:
    """Green covered, red not covered, grey unknown."""
    return GREY if covered is None else (GREEN if covered else RED)


def town_bars(towns: Sequence[AreaSummary]) -> str:
    """Per town: three bars (覆盖率, 在线率, 完好率), 0–100 %."""
    label_w, bar_w, row_h = 110, 420, 46
    height = 30 + row_h * max(1, len(towns))
    parts = [
        f'<svg class="chart" viewBox="0 0 {label_w + bar_w + 70} {height}" role="img" aria-label="coverage by town">'
    ]
    for x, (name, colour) in enumerate((("覆盖率", GREEN), ("在线率", BLUE), ("完好率", AMBER))):
        parts.append(
            f'<rect x="{label_w + x * 90}" y="4" width="10" height="10" fill="{colour}"/>'
            f'<text x="{label_w + x * 90 + 14}" y="13" class="small">{name}</text>'
        )
    for i, town in enumerate(towns):
        y = 26 + i * row_h
        parts.append(f'<text x="{label_w - 6}" y="{y + 24}" text-anchor="end">{escape(town.name)}</text>')
        for j, (value, colour) in enumerate(
            ((town.kpis.coverage_rate, GREEN), (town.kpis.online_rate, BLUE), (town.kpis.working_rate, AMBER))
        ):
            width = bar_w * (value or 0.0)
            parts.append(
                f'<rect x="{label_w}" y="{y + j * 13}" width="{bar_w}" height="11" fill="#eee"/>'
                f'<rect x="{label_w}" y="{y + j * 13}" width="{width:.1f}" height="11" fill="{colour}"/>'
                f'<text x="{label_w + bar_w + 6}" y="{y + j * 13 + 10}" class="small">{pct(value)}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


def trend_chart(days: Sequence[TrendDay]) -> str:
    """Daily availability (green line) and unknown share (grey line), 0–100 %."""
    width, height, left, top, bottom = 640, 220, 44, 12, 36
    plot_w, plot_h = width - left - 28, height - top - bottom
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="availability by day">']
    for level in (0, 25, 50, 75, 100):
        y = top + plot_h * (1 - level / 100)
        parts.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>'
            f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" class="small">{level}%</text>'
        )
    step = plot_w / max(1, len(days) - 1) if len(days) > 1 else 0.0
    for series, colour in (("availability", GREEN), ("unknown_fraction", GREY)):
        coords = []
        for i, day in enumerate(days):
            value = getattr(day, series)
            if value is not None:
                x = left + (i * step if len(days) > 1 else plot_w / 2)
                coords.append(f"{x:.1f},{top + plot_h * (1 - value):.1f}")
        if coords:
            parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{" ".join(coords)}"/>')
            if series == "availability":
                parts.extend(
                    f'<circle cx="{c.split(",")[0]}" cy="{c.split(",")[1]}" r="2.5" fill="{colour}"/>' for c in coords
                )
    every = max(1, math.ceil(len(days) / 8))
    for i, day in enumerate(days):
        if i % every == 0:
            x = left + (i * step if len(days) > 1 else plot_w / 2)
            parts.append(
                f'<text x="{x:.1f}" y="{height - 14}" text-anchor="middle" class="small">{escape(day.day[5:])}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


def point_map(points: Sequence[PointRow]) -> str:
    """The points by coordinates (equirectangular, scaled by cos(latitude)), coloured by coverage."""
    located = [p for p in points if p.lat is not None and p.lon is not None]
    width, height, pad = 640, 480, 16
    if not located:
        return '<p class="muted">没有坐标 No coordinates in the inventory.</p>'
    lats = [p.lat for p in located if p.lat is not None]
    lons = [p.lon for p in located if p.lon is not None]
    squash = math.cos(math.radians((min(lats) + max(lats)) / 2))
    span_x = max((max(lons) - min(lons)) * squash, 1e-6)
    span_y = max(max(lats) - min(lats), 1e-6)
    scale = min((width - 2 * pad) / span_x, (height - 2 * pad) / span_y)
    lat0, lon0 = min(lats), min(lons)
    parts = [
        f'<svg class="chart map" viewBox="0 0 {width} {height}" role="img" aria-label="map of points" '
        f'><rect width="{width}" height="{height}" fill="#f7f9f7"/>'
    ]
    # Not covered last, so the red dots that need attention are drawn on top.
    for p in sorted(located, key=lambda p: {True: 0, None: 1, False: 2}[p.covered]):
        assert p.lat is not None and p.lon is not None
        x = pad + (p.lon - lon0) * squash * scale
        y = height - pad - (p.lat - lat0) * scale
        statuses = "/".join(c.status for c in p.cameras) or "无摄像机"
        tip = f"{p.town} {p.village} {p.point_name} ({p.point_id}) {statuses}"
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.2" fill="{cover_colour(p.covered)}" '
            f'fill-opacity="0.85"><title>{escape(tip)}</title></circle>'
        )
    parts.append("</svg>")
    return "".join(parts)
