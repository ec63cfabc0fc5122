"""Where each box and arrow of a process's picture goes, in pure Python (no Graphviz).

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

import math
import textwrap
from collections import Counter
from dataclasses import dataclass, field
from itertools import combinations, pairwise
from typing import NamedTuple

from dsl._scene import Arrow, Scene, Shape

FONT, SMALL, LABEL = 12, 11, 10
CHAR = 0.6
"""Estimated width of a character, in ems (generous for Helvetica and Arial)."""
LINE, PAD = 15, 10
GAP_X, GAP_Y = 36, 64
LANE, MARGIN, HEADER = 20, 20, 60
PLACEHOLDER = 12
ROUND = ("circle", "double_circle", "dot")

Point = tuple[float, float]


@dataclass
class Item:
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


class Spot(NamedTuple):
    """Where an arrow's label goes; a rotated label runs up its lane."""

    x: float
    y: float
    anchor: str = "middle"
    rotate: bool = False


def _sized(shape: Shape) -> Item:
    if shape.shape in ROUND:
        size = 14 if shape.shape == "dot" else 48
        return Item(shape.id, shape.shape, size, size, [(shape.title, False)] * (size > 14))
    chars = 16 if shape.shape == "diamond" else 24
    lines = [(text, False) for text in textwrap.wrap(shape.title, chars)]
    lines += [(text, True) for text in textwrap.wrap(shape.detail or "", chars)]
    widest = max((text_width(text, SMALL if small else FONT) for text, small in lines), default=0)
    text_height = LINE * len(lines)
    if shape.shape == "diamond":  # the text's corners must stay inside the rhombus
        return Item(shape.id, shape.shape, widest / 0.6 + 12, text_height / 0.4 + 12, lines)
    height = max(40, text_height + 2 * PAD)
    extra = {"hexagon": 24, "stadium": height / 2, "parallelogram": 24, "fork": 28, "join": 28}
    width = max(120, widest + 2 * PAD + extra.get(shape.shape, 0))
    return Item(shape.id, shape.shape, width, height, lines)


def text_width(text: str, size: float) -> float:
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
    items: dict[str, Item], downward: list[Arrow], found: list[str]
) -> tuple[list[list[Item]], dict[Arrow, list[Item]]]:
    """The layers, first in the order the walk found their steps, and each downward
    arrow's items from top to bottom."""
    rank = {node: index for index, node in enumerate(found)}
    rows: list[list[Item]] = [[] for _ in range(1 + max(i.layer for i in items.values()))]
    keys = {node: (rank[node], -1) for node in items}
    for item in items.values():
        rows[item.layer].append(item)
    chains: dict[Arrow, list[Item]] = {}
    for index, arrow in enumerate(downward):
        source, target = items[arrow.source], items[arrow.target]
        chain = [source]
        for layer in range(source.layer + 1, target.layer):
            chain.append(Item(f"{index}~{layer}", "", PLACEHOLDER, 0, layer=layer))
            rows[layer].append(chain[-1])
            keys[chain[-1].id] = (rank[arrow.source], index)
        chains[arrow] = [*chain, target]
    for row in rows:
        row.sort(key=lambda item: keys[item.id])
    return rows, chains


def _order(rows: list[list[Item]], up: dict[str, list[str]], down: dict[str, list[str]]) -> None:
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


def _crossings(rows: list[list[Item]], down: dict[str, list[str]]) -> int:
    count = 0
    for upper, lower in pairwise(rows):
        where = {item.id: index for index, item in enumerate(lower)}
        ends = [(a, where[b]) for a, item in enumerate(upper) for b in down[item.id]]
        count += sum(1 for (a, b), (c, d) in combinations(ends, 2) if (a - c) * (b - d) < 0)
    return count


def _place(rows: list[list[Item]], up: dict[str, list[str]], down: dict[str, list[str]]) -> None:
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


def _pack(row: list[Item], wanted: list[float]) -> None:
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
    items: dict[str, Item],
    rows: list[list[Item]],
    tops: list[float],
    ends: list[float],
) -> dict[Arrow, tuple[list[Point], Spot]]:
    """Loop-closing arrows: out below the step, up a lane right of the layers they pass,
    in above the target; shorter loops get the lanes nearer the boxes."""
    taken: list[tuple[int, int, float]] = []
    routes: dict[Arrow, tuple[list[Point], Spot]] = {}
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
        routes[arrow] = (points, Spot(lane - 4, (below + above) / 2, rotate=True))
    return routes


def _downward(
    chain: list[Item], tops: list[float], ends: list[float], shift: float
) -> tuple[list[Point], Spot]:
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
        return points, Spot(x1 + 6, (y1 + y2) / 2, "start")
    x, y = x1 + 0.7 * (x2 - x1), y1 + 0.7 * (y2 - y1)  # beside the arrow, on its outer side
    return points, Spot(x + 5, y, "start") if x2 > x1 else Spot(x - 5, y, "end")


def _port(item: Item) -> float:
    """How far right of its centre a loop-closing arrow leaves or enters a step."""
    return item.width / 4 if item.shape in ROUND else min(item.width / 4, 40)


def _edge(item: Item, dx: float, side: int = -1) -> float:
    """The y of the shape's top (``side`` -1) or bottom (1), ``dx`` right of its centre."""
    half_w, half_h = item.width / 2, item.height / 2
    if item.shape == "diamond":
        return item.y + side * half_h * (1 - abs(dx) / half_w)
    beyond = abs(dx) if item.shape in ROUND else abs(dx) - (half_w - half_h)
    if item.shape in ROUND or (item.shape == "stadium" and beyond > 0):
        return item.y + side * math.sqrt(max(half_h**2 - beyond**2, 0))
    return item.y + side * half_h


def layout(scene: Scene) -> tuple[dict[str, Item], dict[Arrow, tuple[list[Point], Spot]]]:
    """Every box placed (by id) and every arrow routed, with the spot for its label."""
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
    return items, routes
