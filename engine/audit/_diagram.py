"""The process picture drawn from the IR a campaign carries, not from today's file.

The IR in the start event is the version the campaign ran; the process file may
have changed or gone since. This builds the same kind of :class:`~dsl.Scene`
``mops graph`` draws (one shape per step, arrows for the flow, dashed arrows
for jumps) from the IR, and draws it with the SVG renderer of ``mops graph``.
"""

from __future__ import annotations

from collections.abc import Collection

from dsl import Arrow, Scene, Shape, draw_scene
from engine import ir
from engine.audit._events import step_title
from engine.ir import expr_text

_SHAPES = {
    "task": "box",
    "human": "rounded",
    "call": "subroutine",
    "decide": "diamond",
    "if": "diamond",
    "wait": "hexagon",
    "event": "stadium",
    "exit": "stadium",
    "notify": "parallelogram",
    "parallel": "fork",
}


class _Builder:
    def __init__(self) -> None:
        self.shapes: list[Shape] = []
        self.arrows: list[Arrow] = []
        self.jumps: list[tuple[str, str, str]] = []

    def shape(self, node: str, shape: str, title: str, detail: str | None = None) -> None:
        self.shapes.append(Shape(node, shape, title, detail))

    def arrow(
        self, source: str, target: str, label: str | None = None, dashed: bool = False
    ) -> None:
        self.arrows.append(Arrow(source, target, str(len(self.arrows)), label, dashed))

    def body(self, steps: tuple[ir.Step, ...], entries: list[str]) -> list[str]:
        for step in steps:
            self.shape(step.id, _SHAPES.get(step.kind, "box"), shape_title(step), _detail(step))
            for entry in entries:
                self.arrow(entry, step.id)
            entries = self.inner(step)
        return entries

    def _branch(self, source: str, steps: tuple[ir.Step, ...], label: str) -> list[str]:
        """A branch of an ``if``: its first arrow says when it is taken."""
        if not steps:
            return [source]
        start = len(self.arrows)
        ends = self.body(steps, [source])
        first = self.arrows[start]
        self.arrows[start] = Arrow(first.source, first.target, first.key, label, first.dashed)
        return ends

    def inner(self, step: ir.AnyStep) -> list[str]:
        """Draw what is inside ``step``; returns where the flow goes on from."""
        match step:
            case ir.IfStep():
                exits: list[str] = []
                for number, branch in enumerate(step.branches):
                    label = "yes" if number == 0 else f"else if {_short(branch.condition)}"
                    exits += self._branch(step.id, branch.body, label)
                exits += self._branch(step.id, step.orelse, "otherwise")
                merge = f"{step.id}:merge"
                self.shape(merge, "dot", "")
                for node in dict.fromkeys(exits):
                    self.arrow(node, merge)
                return [merge]
            case ir.ParallelStep():
                join = f"{step.id}:join"
                ends = [n for b in step.branches for n in self.body(b.body, [step.id])]
                self.shape(join, "join", f"join {step.join}")
                for node in dict.fromkeys(ends):
                    self.arrow(node, join)
                return [join]
            case ir.ForEachStep():
                for node in self.body(step.body, [step.id]):
                    self.arrow(node, step.id, "next", dashed=True)
                return [step.id]
            case ir.HumanStep():
                if step.on_reject:
                    self.jumps.append((step.id, step.on_reject, "on reject"))
                if step.on_changes:
                    self.jumps.append((step.id, step.on_changes, "on changes"))
                if step.rounds is not None and step.rounds.target:
                    self.jumps.append((step.id, step.rounds.target, "rounds used"))
            case ir.TaskStep() if step.on_error:
                self.jumps.append((step.id, step.on_error, "on error"))
            case ir.EventStep() if step.on_timeout:
                self.jumps.append((step.id, step.on_timeout, "deadline"))
            case ir.GoBackStep():
                self.jumps.append((step.id, step.target, f"go back, {step.times}x"))
            case ir.FailStep():
                self.jumps.append((step.id, "end", "fail"))
                return []
            case _:
                pass
        return [step.id]


def _short(expr: ir.Expr, limit: int = 48) -> str:
    text = expr_text(expr)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def shape_title(step: ir.AnyStep) -> str:
    """What a step is called in the picture: its title, or what it does as the designer
    wrote it (``if budget > 0 EUR``, ``for each lead in leads``) — never an internal id."""
    match step:
        case ir.IfStep():
            return f"if {_short(step.branches[0].condition)}"
        case ir.ForEachStep():
            return f"for each {step.variable} in {_short(step.items, 32)}"
        case ir.ParallelStep() if not step.title:
            return "parallel"
        case ir.SetStep():
            return f"set {step.name}"
        case ir.WaitStep() if step.until is not None:
            return f"wait until {_short(step.until)}"
        case ir.WaitStep() if step.duration_expr is not None:
            return f"wait {_short(step.duration_expr)}"
        case ir.GoBackStep():
            return f"go back to {step.target}"
        case ir.FailStep():
            return "fail"
        case _:
            return step_title(step)


def _detail(step: ir.AnyStep) -> str | None:
    match step:
        case ir.TaskStep():
            return step.action
        case ir.HumanStep():
            parties = ", ".join(f"{p.kind} {p.name}" for p in step.parties)
            return f"{'approval' if step.form == 'approval' else 'work'} by {parties}"
        case ir.CallStep():
            return f"calls {step.process.name}"
        case ir.ForEachStep():
            return f"for each {step.variable}"
        case _:
            return None


def process_scene(process: ir.ProcessIR) -> Scene:
    """The shapes and arrows of a process version, from its IR."""
    builder = _Builder()
    builder.shape("start", "circle", "start")
    exits = builder.body(process.body, ["start"])
    builder.shape("end", "double_circle", "end")
    for node in exits:
        builder.arrow(node, "end")
    known = {shape.id for shape in builder.shapes}
    for source, target, label in builder.jumps:
        if target in known:
            builder.arrow(source, target, label, dashed=True)
    return Scene(process.name, process.title, tuple(builder.shapes), tuple(builder.arrows))


def path_taken(process: ir.ProcessIR, ran: Collection[str], *, finished: bool) -> set[str]:
    """The nodes to highlight: the steps that ran, the blocks around them, start and end."""
    taken = {"start", *ran}
    if finished:
        taken.add("end")

    def walk(steps: tuple[ir.Step, ...]) -> bool:
        for step in steps:
            inner = [walk(body) for body in ir.child_bodies(step)]
            if any(inner):
                taken.add(step.id)
        # A step that leaves no trace of its own (an 'if' whose branch did nothing to
        # see, a wait until a moment already past, 'exit when', 'set') ran when a step
        # after it in the same block did.
        later = False
        for step in reversed(steps):
            if step.id in taken:
                later = True
            elif later and step.kind in _SILENT:
                taken.add(step.id)
        for step in steps:
            if step.id in taken and isinstance(step, ir.IfStep):
                taken.add(f"{step.id}:merge")
            if step.id in taken and isinstance(step, ir.ParallelStep):
                taken.add(f"{step.id}:join")
        return any(step.id in taken for step in steps)

    walk(process.body)
    return taken


_SILENT = frozenset({"if", "wait", "exit", "set", "decide", "for_each", "parallel"})
"""Kinds of step that may run without an entry on the timeline."""


def process_svg(process: ir.ProcessIR, highlight: Collection[str]) -> str:
    """The SVG picture of a process version with ``highlight`` emphasised."""
    scene = process_scene(process)
    known = {shape.id for shape in scene.shapes}
    return draw_scene(scene, [node for node in highlight if node in known])
