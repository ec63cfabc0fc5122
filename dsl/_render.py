"""Pictures of a process: Mermaid, Graphviz DOT and SVG drawn from its graph.

All three formats draw the same :class:`Scene`: one shape per graph node and
one arrow per graph edge, labelled in the designers' words. A step's shape
says what kind of step it is:

- task, set, go back, fail, for each: rectangle (action, value or message);
- call: double-sided box (the process called);
- work item, approval: rounded rectangle (who acts);
- decide, if: rhombus; ``if`` branches are labelled with their conditions;
- wait (a time): hexagon (until when); wait for event, exit when: stadium;
- notify: parallelogram;
- parallel: trapezoid, and an upside-down one where its branches join;
- the end of an ``if``: a small dot; start and end: circle and double circle.

Arrows that leave the main flow (``on reject``, ``on error``, ``deadline``,
``go back``, ``fail``) are dashed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Iterator
from typing import Any

from dsl import _ast as ast
from dsl._digraph import Graph
from dsl._format_expr import ExprPrinter
from dsl._graph import BACK, BRANCH, ERROR, EXIT, JUMP_KINDS, LOOP, TIMEOUT
from dsl._render_svg import draw
from dsl._scene import Arrow, Scene, Shape
from dsl._source import SourceFile

__all__ = ["Arrow", "Scene", "Shape", "scene", "to_dot", "to_mermaid", "to_svg"]

CONDITION_WIDTH = 40
"""Conditions and other expressions on the picture are cut to about this many characters."""


def scene(graph: Graph, process: ast.Process) -> Scene:
    """The shapes and arrows that draw ``graph``, the graph of ``process``."""
    nodes = sorted(graph.nodes(data=True), key=lambda item: item[1]["order"])
    shapes = tuple(_shape(node, data) for node, data in nodes)
    arrows = tuple(
        _arrow(graph, source, target, key, data)
        for source, target, key, data in graph.edges(keys=True, data=True)
    )
    title = None if process.title is None else _clean(process.title)
    return Scene(process.name, title, shapes, arrows)


# ---- Mermaid and DOT ---------------------------------------------------------------------

_SYNTAX = {
    # shape: (Mermaid's brackets around the text, Graphviz's node attributes)
    "circle": (("((", "))"), "shape=circle"),
    "double_circle": (("(((", ")))"), "shape=doublecircle"),
    "dot": (("((", "))"), "shape=point, width=0.12"),
    "box": (("[", "]"), "shape=box"),
    "subroutine": (("[[", "]]"), "shape=box, peripheries=2"),
    "rounded": (("(", ")"), 'shape=box, style="rounded"'),
    "diamond": (("{", "}"), "shape=diamond"),
    "hexagon": (("{{", "}}"), "shape=hexagon"),
    "stadium": (("([", "])"), "shape=oval"),
    "parallelogram": (("[/", "/]"), "shape=parallelogram"),
    "fork": (("[/", "\\]"), "shape=trapezium"),
    "join": (("[\\", "/]"), "shape=invtrapezium"),
}
# Words Mermaid reads as syntax when they stand as a node id.
_MERMAID_WORDS = frozenset(
    {"end", "graph", "subgraph", "flowchart", "style", "class", "classdef", "click", "linkstyle"}
    | {"direction", "default", "call", "href"}
)


def to_mermaid(graph: Graph, process: ast.Process) -> str:
    """A Mermaid flowchart (top-down) of the process, titled with its name and title."""
    drawn = scene(graph, process)
    ids = _mermaid_ids(drawn.shapes)
    lines = ["---", f"title: {json.dumps(drawn.heading, ensure_ascii=False)}", "---"]
    lines.append("flowchart TD")
    for shape in drawn.shapes:
        (opening, closing), _ = _SYNTAX[shape.shape]
        text = " " if shape.shape == "dot" else _mermaid_text(shape.title, shape.detail)
        lines.append(f'    {ids[shape.id]}{opening}"{text}"{closing}')
    for arrow in drawn.arrows:
        link = "-.->" if arrow.dashed else "-->"
        if arrow.label is not None:
            link += f'|"{_mermaid_text(arrow.label)}"|'
        lines.append(f"    {ids[arrow.source]} {link} {ids[arrow.target]}")
    return "\n".join(lines) + "\n"


def _mermaid_ids(shapes: tuple[Shape, ...]) -> dict[str, str]:
    """Node ids Mermaid accepts: ``if_line_5.merge`` becomes ``if_line_5_merge``."""
    ids: dict[str, str] = {}
    taken: set[str] = set()
    for shape in shapes:
        name = re.sub(r"\W", "_", shape.id, flags=re.ASCII)
        while name.lower() in _MERMAID_WORDS or name in taken:
            name += "_"
        ids[shape.id] = name
        taken.add(name)
    return ids


def _mermaid_text(title: str, detail: str | None = None) -> str:
    """Text inside Mermaid's quotes: its syntax characters as entity codes."""
    codes = {"#": "#35;", '"': "#quot;", "<": "#lt;", ">": "#gt;", "&": "#amp;"}
    codes |= {"|": "#124;", "`": "#96;"}
    parts = [title] if detail is None else [title, detail]
    return "<br/>".join("".join(codes.get(c, c) for c in part) for part in parts)


# ---- Graphviz DOT ----------------------------------------------------------------------


def to_dot(graph: Graph, process: ast.Process) -> str:
    """A Graphviz DOT digraph of the process (``dot -Tsvg`` draws it)."""
    drawn = scene(graph, process)
    lines = [
        f"digraph {_dot_text(drawn.name)} {{",
        f"    label={_dot_text(drawn.heading)};",
        "    labelloc=t;",
        '    fontname="Helvetica";',
        '    node [fontname="Helvetica", fontsize=11];',
        '    edge [fontname="Helvetica", fontsize=10];',
    ]
    for shape in drawn.shapes:
        text = shape.title if shape.detail is None else f"{shape.title}\n{shape.detail}"
        label = "" if shape.shape == "dot" else f", label={_dot_text(text)}"
        lines.append(f"    {_dot_text(shape.id)} [{_SYNTAX[shape.shape][1]}{label}];")
    for arrow in drawn.arrows:
        options = [] if arrow.label is None else [f"label={_dot_text(arrow.label)}"]
        options += ["style=dashed"] if arrow.dashed else []
        attributes = f" [{', '.join(options)}]" if options else ""
        lines.append(f"    {_dot_text(arrow.source)} -> {_dot_text(arrow.target)}{attributes};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _dot_text(text: str) -> str:
    """A DOT quoted string; a line break in ``text`` becomes DOT's centred ``\\n``."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


# ---- SVG -------------------------------------------------------------------------------


def to_svg(graph: Graph, process: ast.Process, *, highlight: Collection[str] = ()) -> str:
    """A self-contained SVG picture of the process, laid out without Graphviz.

    Args:
        graph: The process graph (:func:`dsl._graph.process_graph`).
        process: The process it was built from.
        highlight: Node ids to draw emphasised, such as the steps a campaign took.

    Raises:
        ValueError: a node id in ``highlight`` is not in the graph.
    """
    unknown = sorted(str(node) for node in highlight if node not in graph)
    if unknown:
        raise ValueError(f"cannot highlight steps the process does not have: {unknown}")
    return draw(scene(graph, process), highlight)


# ---- what each step and edge shows -----------------------------------------------------

_SHAPES = {
    "start": "circle",
    "end": "double_circle",
    "merge": "dot",
    "human": "rounded",
    "call": "subroutine",
    "decide": "diamond",
    "if": "diamond",
    "wait": "hexagon",
    "event": "stadium",
    "exit": "stadium",
    "notify": "parallelogram",
    "parallel": "fork",
    "join": "join",
}


def _shape(node: str, data: dict[str, Any]) -> Shape:
    kind = data["kind"]
    title = {"start": "start", "end": "end", "merge": ""}.get(kind, data["title"])
    statement = data["node"]
    detail = None if statement is None else _detail(statement)
    return Shape(node, _SHAPES.get(kind, "box"), _clean(title), detail and _clean(detail))


def _detail(statement: ast.Statement) -> str | None:
    match statement:
        case ast.Task(action=action):
            return action
        case ast.CallProcess(process=process):
            return f"calls {process}"
        case ast.Human(kind="approval", parties=parties, quorum=quorum):
            return f"approval by {_quorum(quorum)}{_parties(parties)}"
        case ast.Human(parties=parties):
            return f"work for {_parties(parties)}" if parties else "work"
        case ast.ForEach(items=items, concurrency=concurrency):
            at_once = "" if concurrency is None else f", {concurrency} at a time"
            return _shorten(f"in {_expression(items)}{at_once}")
        case ast.WaitUntil(moment=moment, at=at, send_window=send_window):
            clock = "" if at is None else f" at {at:%H:%M}"
            window = " in send window" if send_window else ""
            return _shorten(f"{_expression(moment)}{clock}{window}")
        case ast.WaitEvent(deadline=deadline) if deadline is not None:
            return f"deadline {deadline.text}"
        case ast.Set(value=value):
            return _shorten(f"= {_expression(value)}")
        case ast.Fail(message=message):
            return _shorten(_expression(message))
        case _:
            return None


def _quorum(quorum: ast.Quorum | None) -> str:
    if quorum is None:
        return ""
    return f"{quorum.count} of " if quorum.kind == "count" else f"{quorum.kind} of "


def _parties(parties: ast.Parties) -> str:
    return ", ".join(
        f"{party.kind} from {_expression(party.expr)}"
        if isinstance(party, ast.PartyFrom)
        else str(party)
        for party in parties
    )


def _arrow(graph: Graph, source: str, target: str, key: str, data: dict[str, Any]) -> Arrow:
    kind = data["kind"]
    dashed = kind in JUMP_KINDS or kind == EXIT
    label = _edge_label(graph.nodes[source]["node"], key, data)
    return Arrow(source, target, key, label and _clean(label), dashed)


def _edge_label(statement: ast.Statement | None, key: str, data: dict[str, Any]) -> str | None:
    kind = data["kind"]
    index: int = data.get("branch", 0)
    if kind == BRANCH and isinstance(statement, ast.If):
        if index == len(statement.branches):
            return "else"
        return _shorten(_expression(statement.branches[index].condition))
    if kind == BRANCH and isinstance(statement, ast.Parallel):
        branch = statement.branches[index]
        return branch.title or branch.name
    if kind == LOOP:
        return "each item" if key == "item" else None
    if kind == BACK:
        bound = _bound(data.get("rounds"), "round") or _bound(data.get("times"), "time")
        way = "go back" if key == "go back" else f"on {key}"
        return way if bound is None else f"{way}, {bound}"
    if kind == ERROR:
        return "on error"
    if kind == TIMEOUT:
        return "deadline"
    rounds = statement.rounds if isinstance(statement, ast.Human) else None
    if key == "rounds" and rounds is not None:
        return f"after {rounds.count} rounds" + (": fail" if kind == EXIT else "")
    if kind == EXIT:
        return "fail" if key == "fail" else "on event"
    return None


def _bound(count: int | None, unit: str) -> str | None:
    if count is None:
        return None
    return f"at most {count} {unit}{'' if count == 1 else 's'}"


# ---- text ------------------------------------------------------------------------------


class _Expressions(ExprPrinter):
    """``mops fmt``'s way of writing expressions, for texts without their source."""

    def __init__(self) -> None:
        super().__init__(SourceFile.from_text(""))

    def text(self, node: ast.TextLit) -> str:
        parts = (p if isinstance(p, str) else f"{{{self.expr(p)}}}" for p in node.parts)
        return '"' + "".join(parts) + '"'


def _expression(expression: ast.Expr) -> str:
    return _Expressions().expr(expression)


def _shorten(text: str, width: int = CONDITION_WIDTH) -> str:
    """``text`` cut at a word to at most ``width`` characters, with an ellipsis if cut."""
    text = _clean(text)
    if len(text) <= width:
        return text
    cut = text[: width - 1]
    if " " in cut[width // 2 :]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,") + "…"


def _clean(text: str) -> str:
    """One line of printable text: control characters and runs of spaces become one space."""
    return " ".join(_words(text))


def _words(text: str) -> Iterator[str]:
    yield from "".join(c if c.isprintable() else " " for c in text).split()
