"""The SVG picture of a process: boxes, arrows and labels where :mod:`dsl._svg_layout` put them.

Text widths are estimated from character counts; one scene always gives the same bytes.
"""

from __future__ import annotations

import html
import textwrap
from collections.abc import Collection, Iterable

from dsl._scene import Arrow, Scene
from dsl._svg_layout import (
    FONT,
    GAP_Y,
    LABEL,
    LINE,
    MARGIN,
    ROUND,
    SMALL,
    Item,
    Point,
    Spot,
    layout,
    text_width,
)

INK, MUTED, EMPHASIS, EMPHASIS_FILL = "#343a40", "#6c757d", "#d9480f", "#ffe8cc"
FILLS = {"box": "#e7f5ff", "subroutine": "#e7f5ff", "rounded": "#fff9db", "diamond": "#f3f0ff"}
FILLS |= {"hexagon": "#ebfbee", "stadium": "#ebfbee", "parallelogram": "#fff0f6"}
FILLS |= {"fork": "#f1f3f5", "join": "#f1f3f5"}


def draw(scene: Scene, highlight: Collection[str]) -> str:
    """The SVG document that draws ``scene``, with the ``highlight`` nodes emphasised."""
    items, routes = layout(scene)
    return _document(scene, items, routes, highlight)


def _document(
    scene: Scene,
    items: dict[str, Item],
    routes: dict[Arrow, tuple[list[Point], Spot]],
    highlight: Collection[str],
) -> str:
    right = max(x for points, _ in routes.values() for x, _ in points)
    right = max(right, *(item.x + item.width / 2 for item in items.values()))
    for arrow in scene.arrows:
        spot = routes[arrow][1]
        if arrow.label and spot.anchor == "start":
            right = max(right, spot.x + text_width(arrow.label[:20], LABEL))
    bottom = max(item.y + item.height / 2 for item in items.values())
    width = _n(max(text_width(scene.heading, 15) + 2 * MARGIN, right + MARGIN))
    height = _n(bottom + GAP_Y / 2 + MARGIN)
    heading = _text(scene.heading)
    return "\n".join(
        [
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" font-family="Helvetica, Arial, sans-serif">',
            f"<title>{heading}</title>",
            '<defs><marker id="arrowhead" viewBox="0 0 10 10" refX="9" refY="5" '
            'markerWidth="7" markerHeight="7" orient="auto">'
            f'<path d="M0,0L10,5L0,10z" fill="{INK}"/></marker></defs>',
            f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
            f'<text class="heading" x="{MARGIN}" y="30" font-size="15" font-weight="bold" '
            f'fill="{INK}">{heading}</text>',
            '<g class="arrows">',
            *(_arrow(arrow, routes[arrow][0]) for arrow in scene.arrows),
            '</g>\n<g class="steps">',
            *(_step(items[shape.id], shape.id in highlight) for shape in scene.shapes),
            '</g>\n<g class="labels">',
            *(_label(a.label, routes[a][1]) for a in scene.arrows if a.label),
            "</g>\n</svg>\n",
        ]
    )


def _arrow(arrow: Arrow, points: list[Point]) -> str:
    kept = [p for index, p in enumerate(points) if index == 0 or p != points[index - 1]]
    dash = ' stroke-dasharray="6 4"' if arrow.dashed else ""
    return (
        f'<g class="arrow" data-source="{_text(arrow.source)}" data-target="{_text(arrow.target)}"'
        f' data-key="{_text(arrow.key)}"><polyline points="{_points(kept)}" fill="none" '
        f'stroke="{INK}" stroke-width="1.3"{dash} marker-end="url(#arrowhead)"/></g>'
    )


def _label(text: str, spot: Spot) -> str:
    wrapped = [text] if spot.rotate else textwrap.wrap(text, 20)
    if spot.anchor == "end" and spot.x < max(text_width(line, LABEL) for line in wrapped):
        spot = Spot(spot.x + 10, spot.y, "start")  # no room on the left
    x, y = _n(spot.x), _n(spot.y)
    first = spot.y - (len(wrapped) - 1) * 6 + 3.5
    lines = "".join(
        f'<tspan x="{x}" y="{_n(first + 12 * index)}">{_text(line)}</tspan>'
        for index, line in enumerate(wrapped)
    )
    turn = f' transform="rotate(-90 {x} {y})"' if spot.rotate else ""
    return (
        f'<text font-size="{LABEL}" text-anchor="{spot.anchor}" fill="{INK}" stroke="#ffffff" '
        f'stroke-width="3" paint-order="stroke"{turn}>{lines}</text>'
    )


def _step(item: Item, emphasised: bool) -> str:
    stroke, width = (EMPHASIS, 3.0) if emphasised else (INK, 1.3)
    fill = EMPHASIS_FILL if emphasised else FILLS.get(item.shape, "#ffffff")
    line = f'stroke="{stroke}" stroke-width="{width}"'
    paint = f'fill="{stroke if item.shape == "dot" else fill}" {line}'
    x, y, w, h = item.x - item.width / 2, item.y - item.height / 2, item.width, item.height
    r, b, cx, cy = x + w, y + h, item.x, item.y
    polygons = {
        "diamond": [(cx, y), (r, cy), (cx, b), (x, cy)],
        "hexagon": [(x + 12, y), (r - 12, y), (r, cy), (r - 12, b), (x + 12, b), (x, cy)],
        "parallelogram": [(x + 12, y), (r, y), (r - 12, b), (x, b)],
        "fork": [(x + 14, y), (r - 14, y), (r, b), (x, b)],
        "join": [(x, y), (r, y), (r - 14, b), (x + 14, b)],
    }
    if item.shape in polygons:
        body = f'<polygon points="{_points(polygons[item.shape])}" {paint}/>'
    elif item.shape in ROUND:
        rings = (h / 2, h / 2 - 4) if item.shape == "double_circle" else (h / 2,)
        body = "".join(
            f'<circle cx="{_n(cx)}" cy="{_n(cy)}" r="{_n(ring)}" {paint if i == 0 else line}'
            + (' fill="none"/>' if i else "/>")
            for i, ring in enumerate(rings)
        )
    else:
        corner = {"rounded": 10.0, "stadium": h / 2}.get(item.shape, 2.0)
        body = f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(w)}" height="{_n(h)}" '
        body += f'rx="{_n(corner)}" {paint}/>'
        if item.shape == "subroutine":
            for side in (x + 8, r - 8):
                body += f'<line x1="{_n(side)}" y1="{_n(y)}" x2="{_n(side)}" y2="{_n(b)}" {line}/>'
    first = cy - LINE * len(item.lines) / 2 + 11
    for index, (text, small) in enumerate(item.lines):
        look = (
            f'font-size="{SMALL}" fill="{MUTED}"' if small else f'font-size="{FONT}" fill="{INK}"'
        )
        body += f'<text x="{_n(cx)}" y="{_n(first + LINE * index)}" text-anchor="middle" '
        body += f"{look}>{_text(text)}</text>"
    css = "step highlight" if emphasised else "step"
    return f'<g class="{css}" data-node="{_text(item.id)}">{body}</g>'


def _points(points: Iterable[Point]) -> str:
    return " ".join(f"{_n(x)},{_n(y)}" for x, y in points)


def _n(value: float) -> str:
    """A coordinate to a tenth: the same number always prints the same."""
    return f"{round(value, 1) + 0.0:.1f}".removesuffix(".0")


def _text(text: str) -> str:
    return html.escape(text, quote=True)
