"""The worst-case duration of a process: ``mops check --plan``.

Counted along the critical path, in the process's own units (business days
stay business days):

* a human step: its deadline plus its escalation ladder (the last escalation's
  ``after``, or the deadline again when it escalates at the deadline);
* a task: its timeout times its attempts, plus the waits between attempts;
* ``wait 2 days``: two days; a wait for an event: its deadline;
* an ``if``: its longest branch; a ``parallel``: its longest branch when it
  waits for all, the shortest for ``first``, the N-th shortest for ``N of``;
* a ``for each``: its body, *per item* (the number of items is not known);
* a rework loop runs as many times as its bound allows: ``at most 3 rounds``
  three times, ``go back ..., at most 1 time`` twice.

What cannot be counted (``wait until`` a date, an event or a human step with
no deadline, a loop with no bound, a sub-process) is listed, and the total is
then a lower bound. A jump forward only skips steps, so it never makes the
worst case longer. Pure computation on the AST and its graph: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from decimal import Decimal

import networkx as nx

from dsl import _ast as ast
from dsl._check import child_bodies
from dsl._graph import BACK, step_nodes
from dsl._plan_time import ZERO, Amount, WorkingWeek, human_time, task_time
from dsl._signatures import Catalogue


@dataclass(frozen=True)
class PlanStep:
    """One step on the critical path and the time it adds."""

    id: str
    """The step's id in the graph (and the IR)."""
    title: str
    line: int
    takes: Amount
    why: str
    """How the time was counted, e.g. ``deadline 2 business days; 3 rounds of 'review'``."""
    per_item: bool = False
    """Inside a ``for each``: the time is per item."""


@dataclass(frozen=True)
class NotCounted:
    """A step whose time cannot be known before the campaign runs."""

    id: str
    title: str
    line: int
    reason: str


@dataclass(frozen=True)
class Plan:
    """The worst case of a process: its total and the steps that make it up."""

    process: str
    title: str
    total: Amount
    per_item: Amount
    """What each item of a ``for each`` on the critical path adds."""
    steps: tuple[PlanStep, ...]
    not_counted: tuple[NotCounted, ...]
    calendar: str | None

    @property
    def total_text(self) -> str:
        """``17 business days + 2 days``, with ``at least`` and ``per item`` where they apply."""
        if not self.total and not self.per_item and self.not_counted:
            return "not known before the campaign runs"
        text = str(self.total) if self.total or not self.per_item else ""
        if self.per_item:
            text += f"{' + ' if text else ''}{self.per_item} per item"
        return f"at least {text}" if self.not_counted else text


def plan(
    process: ast.Process,
    graph: nx.MultiDiGraph,
    calendar: WorkingWeek | None,
    *,
    catalogue: Catalogue | None = None,
) -> Plan:
    """The worst-case duration of a checked process along its critical path.

    Args:
        process: A process without errors.
        graph: Its graph, from :func:`dsl._graph.build_graph`.
        calendar: The process's calendar (its working week decides which of two
            branches in different units is longer); None: Monday to Friday, 9 to 5.
        catalogue: The actions, for their own timeouts; None: the engine's default.
    """
    planner = _Planner(process, graph, calendar, catalogue)
    path = planner.body(process.body)
    return Plan(
        process=process.name,
        title=process.title or process.name,
        total=path.total,
        per_item=path.per_item,
        steps=path.steps,
        not_counted=tuple(sorted(set(path.open), key=lambda n: (n.line, n.id))),
        calendar=None if process.calendar is None else process.calendar.name,
    )


@dataclass(frozen=True)
class _Path:
    steps: tuple[PlanStep, ...] = ()
    total: Amount = ZERO
    per_item: Amount = ZERO
    open: tuple[NotCounted, ...] = ()

    def then(self, other: _Path) -> _Path:
        return _Path(
            self.steps + other.steps,
            self.total + other.total,
            self.per_item + other.per_item,
            self.open + other.open,
        )

    def times(self, count: int, label: str) -> _Path:
        steps = tuple(
            replace(s, takes=s.takes.times(count), why=f"{s.why}; {label}") for s in self.steps
        )
        return _Path(steps, self.total.times(count), self.per_item.times(count), self.open)


@dataclass
class _Loop:
    """A stretch of a body that rework runs again: items ``first`` to ``last``."""

    first: int
    last: int
    passes: int | None
    label: str


class _Planner:
    def __init__(
        self,
        process: ast.Process,
        graph: nx.MultiDiGraph,
        week: WorkingWeek | None,
        catalogue: Catalogue | None,
    ) -> None:
        self.graph = graph
        self.week = week
        self.catalogue = catalogue
        self.ids = {statement.span: node for node, statement in step_nodes(graph)}
        self.loops = _rework_loops(process, graph)

    def _key(self, path: _Path) -> Decimal:
        return (path.total + path.per_item).estimate(self.week)

    def body(self, body: tuple[ast.Statement, ...]) -> _Path:
        paths = [self.statement(s) for s in body]
        loops = _nested(self.loops.get(id(body), []))
        for loop in sorted(loops, key=lambda loop: loop.last - loop.first):
            stretch = _Path()
            for index in range(loop.first, loop.last + 1):
                stretch, paths[index] = stretch.then(paths[index]), _Path()
            if loop.passes is None:
                first = self._open(body[loop.first], f"not counted again: {loop.label}")
                paths[loop.first] = stretch.then(first)
            else:
                paths[loop.first] = stretch.times(loop.passes, loop.label)
        result = _Path()
        for path in paths:
            result = result.then(path)
        return result

    def statement(self, statement: ast.Statement) -> _Path:
        match statement:
            case ast.Task():
                signature = None if self.catalogue is None else self.catalogue.get(statement.action)
                timeout = None if signature is None else signature.timeout_seconds
                return self._takes(statement, *task_time(statement, timeout))
            case ast.Human():
                counted = human_time(statement)
                if counted is None:
                    return self._open(statement, "no deadline: it may wait forever")
                return self._takes(statement, *counted)
            case ast.WaitFor(duration=duration):
                return self._takes(statement, Amount.of(duration), f"wait {duration.text}")
            case ast.WaitUntil():
                return self._open(statement, "waits until a date: depends on the campaign")
            case ast.WaitEvent(deadline=deadline, event=event):
                if deadline is None:
                    return self._open(statement, f'unbounded: waits for "{event}" with no deadline')
                return self._takes(statement, Amount.of(deadline), f"deadline {deadline.text}")
            case ast.CallProcess(process=callee):
                return self._open(statement, f"a sub-process: plan '{callee}' on its own")
            case ast.If(branches=branches, orelse=orelse):
                options = [self.body(b.body) for b in branches]
                options.append(_Path() if orelse is None else self.body(orelse))
                return self._longest(options)
            case ast.Parallel():
                return self._parallel(statement)
            case ast.ForEach(body=body, concurrency=concurrency):
                inner = self.body(body)
                note = "per item" if not concurrency else f"per item ({concurrency} at a time)"
                steps = tuple(
                    replace(s, why=f"{s.why}, {note}", per_item=True) for s in inner.steps
                )
                return _Path(steps, ZERO, inner.total + inner.per_item, inner.open)
            case _:
                return _Path()

    def _parallel(self, statement: ast.Parallel) -> _Path:
        branches = [self.body(b.body) for b in statement.branches]
        if statement.join == "all":
            return self._longest(branches)
        # An open branch may never end: it finishes last.
        ranked = sorted(branches, key=lambda p: (bool(p.open), self._key(p)))
        needed = 1 if statement.join == "first" else min(statement.count or 1, len(ranked))
        chosen = ranked[needed - 1]
        return replace(chosen, open=tuple(n for p in ranked[:needed] for n in p.open))

    def _longest(self, options: list[_Path]) -> _Path:
        longest = max(options, key=self._key)
        return replace(longest, open=tuple(n for p in options for n in p.open))

    def _takes(self, statement: ast.Statement, amount: Amount, why: str) -> _Path:
        node = self.ids[statement.span]
        title = self.graph.nodes[node]["title"]
        return _Path((PlanStep(node, title, statement.span.line, amount, why),), amount)

    def _open(self, statement: ast.Statement, reason: str) -> _Path:
        node = self.ids[statement.span]
        title = self.graph.nodes[node]["title"]
        return _Path(open=(NotCounted(node, title, statement.span.line, reason),))


def _rework_loops(process: ast.Process, graph: nx.MultiDiGraph) -> dict[int, list[_Loop]]:
    """The loops rework makes, by the body (its ``id``) they repeat a stretch of."""
    places = dict(_places(process, graph))
    loops: dict[int, list[_Loop]] = {}
    seen: set[tuple[str, str]] = set()
    for source, target, data in graph.edges(data=True):
        if target not in places or (source, target) in seen:
            continue
        back = graph.nodes[target]["order"] <= graph.nodes[source]["order"]
        if not back or data["kind"] not in (BACK, "jump", "error", "timeout"):
            continue
        seen.add((source, target))  # 'on reject' and 'on changes' share their rounds
        body, first, last = _common_body(places[target], places[source])
        passes: int | None = None
        if data.get("rounds") is not None:
            passes = data["rounds"]
            label = f"{passes} rounds of '{source}'"
        elif data.get("times") is not None:
            passes = data["times"] + 1
            label = f"{passes} passes of 'go back to {target}'"
        else:
            label = f"the loop from '{source}' back to '{target}' has no bound"
        loops.setdefault(body, []).append(_Loop(first, last, passes, label))
    return loops


def _places(
    process: ast.Process, graph: nx.MultiDiGraph
) -> Iterator[tuple[str, tuple[tuple[int, int], ...]]]:
    """Every step's place: (body id, index) of it and of each statement around it."""
    ids = {statement.span: node for node, statement in step_nodes(graph)}
    stack: list[tuple[tuple[ast.Statement, ...], tuple[tuple[int, int], ...]]] = [
        (process.body, ())
    ]
    while stack:
        body, outer = stack.pop()
        for index, statement in enumerate(body):
            place = (*outer, (id(body), index))
            yield ids[statement.span], place
            for inner in child_bodies(statement):
                stack.append((inner, place))


def _common_body(
    target: tuple[tuple[int, int], ...], source: tuple[tuple[int, int], ...]
) -> tuple[int, int, int]:
    depth = 0
    while depth + 1 < min(len(target), len(source)) and target[depth] == source[depth]:
        depth += 1
    if target[depth][0] != source[depth][0]:
        depth -= 1  # in two branches of one statement: that statement repeats
    body, first = target[depth]
    return body, first, source[depth][1]


def _nested(loops: list[_Loop]) -> list[_Loop]:
    """Loops that overlap made to nest: a loop back into the middle of an earlier one
    can run that one again, so it counts from the earlier one's start."""
    loops = [_Loop(x.first, x.last, x.passes, x.label) for x in loops]
    changed = True
    while changed:
        changed = False
        for a in loops:
            for b in loops:
                if a.first < b.first <= a.last < b.last:
                    b.first = a.first
                    changed = True
    return loops
