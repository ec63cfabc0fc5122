"""The SVG picture of a process, laid out in pure Python (no Graphviz).

A layered (Sugiyama-style) layout, kept small:

1. A depth-first walk from ``start``, main flow before jumps, finds the arrows
   that close a loop (``on reject``, ``go back``, the end of a ``for each``
   body) and sets them aside; what is left has no cycle.
2. Each step goes one layer below the lowest step leading to it (longest path).
3. An arrow spanning several layers passes a narrow placeholder in each layer
   between, so it runs between boxes, never through one.
4. Barycenter sweeps order each layer; the ordering with fewest crossings wins.
5. Each box goes as near the mean of its neighbours as its layer's order and
   spacing allow (pool-adjacent-violators), sweeping down and up.
6. Loop-closing arrows leave below their step, run up a lane of their own
   right of the layers they pass (labelled along it) and come in above their target.

Text widths are estimated from character counts; one scene always gives the same bytes.
"""

from __future__ import annotations

import html
import math
import textwrap
from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from itertools import combinations, pairwise
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from dsl._render import Arrow, Scene, Shape

FONT, SMALL, LABEL = 12, 11, 10
CHAR = 0.6
"""Estimated width of a character, in ems (generous for Helvetica and Arial)."""
LINE, PAD = 15, 10
GAP_X, GAP_Y = 36, 64
LANE, MARGIN, HEADER = 20, 20, 60
PLACEHOLDER = 12
INK, MUTED, EMPHASIS, EMPHASIS_FILL = "#343a40", "#6c757d", "#d9480f", "#ffe8cc"
FILLS = {"box": "#e7f5ff", "subroutine": "#e7f5ff", "rounded": "#fff9db", "diamond": "#f3f0ff"}
FILLS |= {"hexagon": "#ebfbee", "stadium": "#ebfbee", "parallelogram": "#fff0f6"}
FILLS |= {"fork": "#f1f3f5", "join": "#f1f3f5"}
ROUND = ("circle", "double_circle", "dot")

Point = tuple[float, float]


@dataclass
class _Item:
    """A box in the layout, or the placeholder (shape "") of a long arrow in one layer."""

    id: str
    shape: str
    width: float
    height: float
    lines: list[tuple[str, bool]] = field(default_factory=list)
    """Lines of text, and whether each is a detail (smaller, grey)."""
    layer: int = 0
    x: float = 0.0
    """The centre."""
    y: float = 0.0


class _Spot(NamedTuple):
    """Where an arrow's label goes; a rotated label runs up its lane."""

    x: float
    y: float
    anchor: str = "middle"
    rotate: bool = False


def draw(scene: Scene, highlight: Collection[str]) -> str:
    """The SVG document that draws ``scene``, with the ``highlight`` nodes emphasised."""
    items = {shape.id: _sized(shape) for shape in scene.shapes}
    back, ordered, found = _walk(list(items), scene.arrows)
    for node in ordered:
        for arrow in scene.arrows:
            if arrow.source == node and arrow not in back:
                target = items[arrow.target]
                target.layer = max(target.layer, items[node].layer + 1)
    rows, chains = _rows(items, [a for a in scene.arrows if a not in back], found)
    up: dict[str, list[str]] = {item.id: [] for row in rows for item in row}
    down: dict[str, list[str]] = {item.id: [] for row in rows for item in row}
    for chain in chains.values():
        for upper, lower in pairwise(chain):
            down[upper.id].append(lower.id)
            up[lower.id].append(upper.id)
    _order(rows, up, down)
    _place(rows, up, down)
    tops = [min(i.y - i.height / 2 for i in row if i.shape) for row in rows]
    ends = [max(i.y + i.height / 2 for i in row if i.shape) for row in rows]
    routes = _loops([a for a in scene.arrows if a in back], items, rows, tops, ends)
    twins: Counter[tuple[str, str]] = Counter()
    for arrow, chain in chains.items():
        routes[arrow] = _downward(chain, tops, ends, 8.0 * twins[arrow.source, arrow.target])
        twins[arrow.source, arrow.target] += 1
    return _document(scene, items, routes, highlight)


def _sized(shape: Shape) -> _Item:
    if shape.shape in ROUND:
        size = 14 if shape.shape == "dot" else 48
        return _Item(shape.id, shape.shape, size, size, [(shape.title, False)] * (size > 14))
    chars = 16 if shape.shape == "diamond" else 24
    lines = [(text, False) for text in textwrap.wrap(shape.title, chars)]
    lines += [(text, True) for text in textwrap.wrap(shape.detail or "", chars)]
    text_width = max((_width(text, SMALL if small else FONT) for text, small in lines), default=0)
    text_height = LINE * len(lines)
    if shape.shape == "diamond":  # the text's corners must stay inside the rhombus
        return _Item(shape.id, shape.shape, text_width / 0.6 + 12, text_height / 0.4 + 12, lines)
    height = max(40, text_height + 2 * PAD)
    extra = {"hexagon": 24, "stadium": height / 2, "parallelogram": 24, "fork": 28, "join": 28}
    width = max(120, text_width + 2 * PAD + extra.get(shape.shape, 0))
    return _Item(shape.id, shape.shape, width, height, lines)


def _width(text: str, size: float) -> float:
    return len(text) * size * CHAR


# ---- layout ----------------------------------------------------------------------------


def _walk(nodes: list[str], arrows: tuple[Arrow, ...]) -> tuple[set[Arrow], list[str], list[str]]:
    """The loop-closing arrows, the nodes in topological order (of the other arrows),
    and the nodes in the order the walk found them (main flow and first branch first)."""
    leaving: dict[str, list[Arrow]] = {node: [] for node in nodes}
    for arrow in sorted(arrows, key=lambda arrow: arrow.dashed):
        leaving[arrow.source].append(arrow)
    open_: set[str] = set()
    seen: set[str] = set()
    back: set[Arrow] = set()
    finished: list[str] = []
    found: list[str] = []
    for root in sorted(nodes, key=lambda node: node != "start"):
        if root in seen:
            continue
        found.append(root)
        seen.add(root)
        open_.add(root)
        stack = [(root, iter(leaving[root]))]
        while stack:
            node, rest = stack[-1]
            for arrow in rest:
                if arrow.target in open_:
                    back.add(arrow)
                elif arrow.target not in seen:
                    found.append(arrow.target)
                    seen.add(arrow.target)
                    open_.add(arrow.target)
                    stack.append((arrow.target, iter(leaving[arrow.target])))
                    break
            else:
                open_.discard(node)
                finished.append(node)
                stack.pop()
    return back, finished[::-1], found


def _rows(
    items: dict[str, _Item], downward: list[Arrow], found: list[str]
) -> tuple[list[list[_Item]], dict[Arrow, list[_Item]]]:
    """The layers, first in the order the walk found their steps, and each downward
    arrow's items from top to bottom."""
    rank = {node: index for index, node in enumerate(found)}
    rows: list[list[_Item]] = [[] for _ in range(1 + max(i.layer for i in items.values()))]
    keys = {node: (rank[node], -1) for node in items}
    for item in items.values():
        rows[item.layer].append(item)
    chains: dict[Arrow, list[_Item]] = {}
    for index, arrow in enumerate(downward):
        source, target = items[arrow.source], items[arrow.target]
        chain = [source]
        for layer in range(source.layer + 1, target.layer):
            chain.append(_Item(f"{index}~{layer}", "", PLACEHOLDER, 0, layer=layer))
            rows[layer].append(chain[-1])
            keys[chain[-1].id] = (rank[arrow.source], index)
        chains[arrow] = [*chain, target]
    for row in rows:
        row.sort(key=lambda item: keys[item.id])
    return rows, chains


def _order(rows: list[list[_Item]], up: dict[str, list[str]], down: dict[str, list[str]]) -> None:
    best, fewest = [list(row) for row in rows], _crossings(rows, down)
    for sweep in range(8):
        downward = sweep % 2 == 0
        for layer in range(1, len(rows)) if downward else range(len(rows) - 2, -1, -1):
            fixed = rows[layer - 1] if downward else rows[layer + 1]
            where = {item.id: index for index, item in enumerate(fixed)}
            near = up if downward else down
            row = rows[layer]
            scale = len(fixed) / len(row)
            centres = [
                _mean([where[n] for n in near[item.id]], index * scale)
                for index, item in enumerate(row)
            ]
            row[:] = [row[i] for i in sorted(range(len(row)), key=lambda i: (centres[i], i))]
        crossings = _crossings(rows, down)
        if crossings < fewest:
            best, fewest = [list(row) for row in rows], crossings
    rows[:] = best


def _crossings(rows: list[list[_Item]], down: dict[str, list[str]]) -> int:
    count = 0
    for upper, lower in pairwise(rows):
        where = {item.id: index for index, item in enumerate(lower)}
        ends = [(a, where[b]) for a, item in enumerate(upper) for b in down[item.id]]
        count += sum(1 for (a, b), (c, d) in combinations(ends, 2) if (a - c) * (b - d) < 0)
    return count


def _place(rows: list[list[_Item]], up: dict[str, list[str]], down: dict[str, list[str]]) -> None:
    """Set every item's centre: x by its neighbours and its layer's order, y by layer."""
    items = {item.id: item for row in rows for item in row}
    for row in rows:
        _pack(row, [0.0] * len(row))
    for sweep in range(7):  # ends with a downward sweep
        near = up if sweep % 2 == 0 else down
        for row in rows if sweep % 2 == 0 else rows[::-1]:
            _pack(row, [_mean([items[n].x for n in near[i.id]], i.x) for i in row])
    shift = MARGIN - min(item.x - item.width / 2 for item in items.values())
    top = float(HEADER)
    for row in rows:
        height = max(item.height for item in row)
        for item in row:
            item.x += shift
            item.y = top + height / 2
        top += height + GAP_Y


def _mean(values: list[float], otherwise: float) -> float:
    return sum(values) / len(values) if values else otherwise


def _pack(row: list[_Item], wanted: list[float]) -> None:
    """Centres as near ``wanted`` as can be (least squares) with boxes GAP_X apart."""
    offsets = [0.0]
    for left, right in pairwise(row):
        offsets.append(offsets[-1] + (left.width + right.width) / 2 + GAP_X)
    sums: list[float] = []
    sizes: list[int] = []
    for want, offset in zip(wanted, offsets, strict=True):
        sums.append(want - offset)
        sizes.append(1)
        while len(sums) > 1 and sums[-2] / sizes[-2] > sums[-1] / sizes[-1]:
            total, size = sums.pop(), sizes.pop()
            sums[-1] += total
            sizes[-1] += size
    fitted = [total / size for total, size in zip(sums, sizes, strict=True) for _ in range(size)]
    for item, base, offset in zip(row, fitted, offsets, strict=True):
        item.x = base + offset


def _loops(
    loops: list[Arrow],
    items: dict[str, _Item],
    rows: list[list[_Item]],
    tops: list[float],
    ends: list[float],
) -> dict[Arrow, tuple[list[Point], _Spot]]:
    """Loop-closing arrows: out below the step, up a lane right of the layers they pass,
    in above the target; shorter loops get the lanes nearer the boxes."""
    taken: list[tuple[int, int, float]] = []
    routes: dict[Arrow, tuple[list[Point], _Spot]] = {}
    for index, arrow in enumerate(
        sorted(loops, key=lambda a: items[a.source].layer - items[a.target].layer)
    ):
        source, target = items[arrow.source], items[arrow.target]
        low, high = target.layer, source.layer
        lane = 2 * LANE + max(i.x + i.width / 2 for row in rows[low : high + 1] for i in row)
        while any(a <= high + 1 and low - 1 <= b and abs(x - lane) < LANE for a, b, x in taken):
            lane += LANE
        taken.append((low, high, lane))
        step = 10 + 6 * (index % 4)
        below, above = ends[high] + step, tops[low] - step
        out, into = _port(source), _port(target)
        points = [(source.x + out, _edge(source, out, 1)), (source.x + out, below), (lane, below)]
        points += [(lane, above), (target.x + into, above), (target.x + into, _edge(target, into))]
        routes[arrow] = (points, _Spot(lane - 4, (below + above) / 2, rotate=True))
    return routes


def _downward(
    chain: list[_Item], tops: list[float], ends: list[float], shift: float
) -> tuple[list[Point], _Spot]:
    """Straight down inside each layer, slanting only between layers; labelled near the start,
    on the side it slants to (so the labels of branches spread apart). A second arrow
    between the same steps is ``shift`` to the right of the first."""
    first, last = chain[0], chain[-1]
    start, end = first.x + shift, last.x + shift
    points = [(start, _edge(first, shift, 1)), (start, ends[first.layer])]
    for item in chain[1:-1]:
        points += [(item.x, tops[item.layer]), (item.x, ends[item.layer])]
    points += [(end, tops[last.layer]), (end, _edge(last, shift))]
    (x1, y1), (x2, y2) = points[1], points[2]
    if abs(x2 - x1) < 1:
        return points, _Spot(x1 + 6, (y1 + y2) / 2, "start")
    x, y = x1 + 0.7 * (x2 - x1), y1 + 0.7 * (y2 - y1)  # beside the arrow, on its outer side
    return points, _Spot(x + 5, y, "start") if x2 > x1 else _Spot(x - 5, y, "end")


def _port(item: _Item) -> float:
    """How far right of its centre a loop-closing arrow leaves or enters a step."""
    return item.width / 4 if item.shape in ROUND else min(item.width / 4, 40)


def _edge(item: _Item, dx: float, side: int = -1) -> float:
    """The y of the shape's top (``side`` -1) or bottom (1), ``dx`` right of its centre."""
    half_w, half_h = item.width / 2, item.height / 2
    if item.shape == "diamond":
        return item.y + side * half_h * (1 - abs(dx) / half_w)
    beyond = abs(dx) if item.shape in ROUND else abs(dx) - (half_w - half_h)
    if item.shape in ROUND or (item.shape == "stadium" and beyond > 0):
        return item.y + side * math.sqrt(max(half_h**2 - beyond**2, 0))
    return item.y + side * half_h


# ---- drawing ---------------------------------------------------------------------------


def _document(
    scene: Scene,
    items: dict[str, _Item],
    routes: dict[Arrow, tuple[list[Point], _Spot]],
    highlight: Collection[str],
) -> str:
    right = max(x for points, _ in routes.values() for x, _ in points)
    right = max(right, *(item.x + item.width / 2 for item in items.values()))
    for arrow in scene.arrows:
        spot = routes[arrow][1]
        if arrow.label and spot.anchor == "start":
            right = max(right, spot.x + _width(arrow.label[:20], LABEL))
    bottom = max(item.y + item.height / 2 for item in items.values())
    width = _n(max(_width(scene.heading, 15) + 2 * MARGIN, right + MARGIN))
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


def _label(text: str, spot: _Spot) -> str:
    wrapped = [text] if spot.rotate else textwrap.wrap(text, 20)
    if spot.anchor == "end" and spot.x < max(_width(line, LABEL) for line in wrapped):
        spot = _Spot(spot.x + 10, spot.y, "start")  # no room on the left
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


def _step(item: _Item, emphasised: bool) -> str:
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
