"""Charts as standalone SVG: a histogram, horizontal (stacked) bars, a line over time.

Our own, not a charting library: three chart kinds cover every figure of
``mops insights`` and ``mops simulate``; they render in microseconds with no
JavaScript engine, the same bytes every time (the documentation's pictures
are checked against them), and every chart has its axes, ticks, labels and a
title. Altair with vl-convert would draw the same through a bundled
JavaScript runtime of about 100 MB, for no figure we need.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from html import escape

PALETTE = ("#4a7bd0", "#e39c3a", "#8a8a8a", "#5aa469", "#c2504f", "#8e6bbf")
_FONT = 'font-family="sans-serif" font-size="12"'


def nice_ticks(high: float, count: int = 5) -> list[float]:
    """Round tick values from 0 to at least ``high``."""
    if high <= 0:
        return [0.0, 1.0]
    if high <= count and float(high).is_integer():
        return [float(n) for n in range(int(high) + 1)]  # counts: whole numbers
    raw = high / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    ticks = [0.0]
    while ticks[-1] < high - 1e-9:
        ticks.append(round(ticks[-1] + step, 10))
    return ticks


def _number(value: float) -> str:
    return f"{value:.0f}" if abs(value - round(value)) < 1e-9 else f"{value:.1f}"


def _label(x: float, y: float, text: str) -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="middle">{escape(text)}</text>'


def _open(width: int, height: int, title: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" {_FONT} role="img">',
        f"<title>{escape(title)}</title>",
        f'<text x="10" y="18" font-size="14" font-weight="bold">{escape(title)}</text>',
    ]


def histogram(
    values: Sequence[float],
    *,
    title: str,
    x_label: str,
    y_label: str = "campaigns",
    marks: Mapping[str, float] | None = None,
    bins: int = 20,
) -> str:
    """Counts of ``values`` in ``bins`` equal ranges, with ``marks`` (p50, p90) as lines."""
    data = list(values) or [0.0]
    low, high = min(data), max(data)
    width = (high - low) / bins or 1.0
    counts = [0] * bins
    for value in data:
        counts[min(bins - 1, int((value - low) / width))] += 1
    ticks = nice_ticks(max(counts) if values else 1)
    top = ticks[-1]
    left, plot_w, plot_h, head = 60, 560, 220, 36
    base = head + plot_h
    parts = _open(left + plot_w + 30, base + 50, title)
    for tick in ticks:
        y = base - plot_h * tick / top
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="#ddd"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{_number(tick)}</text>'
        )
    bar = plot_w / bins
    for i, count in enumerate(counts):
        h = plot_h * count / top
        parts.append(
            f'<rect x="{left + i * bar:.1f}" y="{base - h:.1f}" width="{bar - 2:.1f}" '
            f'height="{h:.1f}" fill="{PALETTE[0]}"><title>{low + i * width:.1f} to '
            f"{low + (i + 1) * width:.1f}: {count}</title></rect>"
        )
    parts.append(f'<line x1="{left}" y1="{base}" x2="{left + plot_w}" y2="{base}" stroke="#333"/>')
    parts.append(f'<line x1="{left}" y1="{head}" x2="{left}" y2="{base}" stroke="#333"/>')
    for i in range(0, bins + 1, max(1, bins // 5)):
        x = left + i * bar
        parts.append(
            f'<line x1="{x:.1f}" y1="{base}" x2="{x:.1f}" y2="{base + 4}" stroke="#333"/>'
            f'<text x="{x:.1f}" y="{base + 16}" text-anchor="middle">{low + i * width:.1f}</text>'
        )
    for number, (name, value) in enumerate((marks or {}).items()):
        x = left + (value - low) / (width * bins) * plot_w
        parts.append(
            f'<line x1="{x:.1f}" y1="{head}" x2="{x:.1f}" y2="{base}" stroke="#c2504f" '
            f'stroke-dasharray="4 3"/><text x="{x + 3:.1f}" y="{head + 12 + 14 * number}" '
            f'fill="#c2504f">{escape(name)} {value:.1f}</text>'
        )
    parts.append(
        _label(left + plot_w / 2, base + 36, x_label)
        + f'<text x="14" y="{head + plot_h / 2}" text-anchor="middle" '
        f'transform="rotate(-90 14 {head + plot_h / 2})">{escape(y_label)}</text>'
    )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def bars(
    rows: Sequence[tuple[str, Sequence[float]]],
    *,
    title: str,
    x_label: str,
    series: Sequence[str] = ("",),
) -> str:
    """Horizontal bars, one row each, stacked by ``series`` (a legend when more than one)."""
    totals = [sum(values) for _, values in rows] or [0.0]
    ticks = nice_ticks(max(totals))
    top = ticks[-1]
    left, plot_w, row_h = 190, 430, 22
    head = 40 if len(series) > 1 else 30
    plot_h = max(1, len(rows)) * row_h
    base = head + plot_h
    parts = _open(left + plot_w + 30, base + 48, title)
    if len(series) > 1:
        for i, name in enumerate(series):
            parts.append(
                f'<rect x="{left + i * 130}" y="24" width="10" height="10" '
                f'fill="{PALETTE[i % 6]}"/><text x="{left + i * 130 + 14}" y="33">'
                f"{escape(name)}</text>"
            )
    for tick in ticks:
        x = left + plot_w * tick / top
        parts.append(
            f'<line x1="{x:.1f}" y1="{head}" x2="{x:.1f}" y2="{base}" stroke="#ddd"/>'
            f'<text x="{x:.1f}" y="{base + 16}" text-anchor="middle">{_number(tick)}</text>'
        )
    for row, (label, values) in enumerate(rows):
        y = head + row * row_h
        parts.append(
            f'<text x="{left - 6}" y="{y + row_h / 2 + 4:.1f}" text-anchor="end">'
            f"{escape(label[:28])}</text>"
        )
        x = float(left)
        for i, value in enumerate(values):
            w = plot_w * value / top
            name = series[i] if i < len(series) else ""
            parts.append(
                f'<rect x="{x:.1f}" y="{y + 3}" width="{w:.1f}" height="{row_h - 6}" '
                f'fill="{PALETTE[i % 6]}"><title>{escape(label)} {escape(name)}: '
                f"{value:.1f}</title></rect>"
            )
            x += w
    parts.append(f'<line x1="{left}" y1="{base}" x2="{left + plot_w}" y2="{base}" stroke="#333"/>')
    parts.append(f'<line x1="{left}" y1="{head}" x2="{left}" y2="{base}" stroke="#333"/>')
    parts.append(_label(left + plot_w / 2, base + 36, x_label))
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def lines(
    points: Mapping[str, Sequence[tuple[dt.date, float]]],
    *,
    title: str,
    y_label: str,
) -> str:
    """One line per name over dates (open work items per role, week by week)."""
    days = sorted({day for series in points.values() for day, _ in series})
    highest = max((v for series in points.values() for _, v in series), default=0.0)
    ticks = nice_ticks(highest or 1.0)
    top = ticks[-1]
    left, plot_w, plot_h, head = 60, 560, 200, 40
    base = head + plot_h
    parts = _open(left + plot_w + 30, base + 50, title)
    first, last = (days[0], days[-1]) if days else (dt.date.today(), dt.date.today())
    span = max((last - first).days, 1)

    def x_of(day: dt.date) -> float:
        return left + plot_w * (day - first).days / span

    for tick in ticks:
        y = base - plot_h * tick / top
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="#ddd"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{_number(tick)}</text>'
        )
    for i, (name, series) in enumerate(sorted(points.items())):
        colour = PALETTE[i % 6]
        path = " ".join(
            f"{x_of(day):.1f},{base - plot_h * value / top:.1f}" for day, value in series
        )
        parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        parts.append(
            f'<rect x="{left + i * 120}" y="24" width="10" height="10" fill="{colour}"/>'
            f'<text x="{left + i * 120 + 14}" y="33">{escape(name)}</text>'
        )
    parts.append(f'<line x1="{left}" y1="{base}" x2="{left + plot_w}" y2="{base}" stroke="#333"/>')
    parts.append(f'<line x1="{left}" y1="{head}" x2="{left}" y2="{base}" stroke="#333"/>')
    for day in (first, first + (last - first) / 2, last):
        parts.append(_label(x_of(day), base + 16, day.isoformat()))
    parts.append(
        f'<text x="{left + plot_w / 2}" y="{base + 36}" text-anchor="middle">date</text>'
        f'<text x="14" y="{head + plot_h / 2}" text-anchor="middle" '
        f'transform="rotate(-90 14 {head + plot_h / 2})">{escape(y_label)}</text>'
    )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
