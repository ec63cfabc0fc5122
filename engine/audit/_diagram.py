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
            self.shape(step.id, _SHAPES.get(step.kind, "box"), step_title(step), _detail(step))
            for entry in entries:
                self.arrow(entry, step.id)
            entries = self.inner(step)
        return entries

    def inner(self, step: ir.AnyStep) -> list[str]:
        """Draw what is inside ``step``; returns where the flow goes on from."""
        match step:
            case ir.IfStep():
                exits: list[str] = []
                for branch in step.branches:
                    exits += self.body(branch.body, [step.id]) if branch.body else [step.id]
                exits += self.body(step.orelse, [step.id]) if step.orelse else [step.id]
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
        any_ran = False
        for step in steps:
            inner = [walk(body) for body in ir.child_bodies(step)]
            if any(inner):
                taken.add(step.id)
                if isinstance(step, ir.IfStep):
                    taken.add(f"{step.id}:merge")
                if isinstance(step, ir.ParallelStep):
                    taken.add(f"{step.id}:join")
            any_ran = any_ran or step.id in taken
        return any_ran

    walk(process.body)
    return taken


def process_svg(process: ir.ProcessIR, highlight: Collection[str]) -> str:
    """The SVG picture of a process version with ``highlight`` emphasised."""
    scene = process_scene(process)
    known = {shape.id for shape in scene.shapes}
    return draw_scene(scene, [node for node in highlight if node in known])
