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
* the steps under an ``exit when``: added, as the event may arrive just as its block
  ends;
* a rework loop runs as many times as its bound allows: ``at most 3 rounds``
  three times, ``go back ..., at most 1 time`` twice. The engine counts rounds
  and go-backs per pass of the ``go back`` cycles around them, so a cycle
  multiplies what runs inside it, while rework loops around one step add
  their extra passes; loops back from different branches of one ``if`` count
  the larger only, unless a step the loop runs again can change which branch
  is taken.

What cannot be counted (``wait until`` a date, an event or a human step with
no deadline, a deadline or wait worked out when the campaign runs, such as
``deadline review_time``, a loop with no bound, a sub-process) is listed, and the total is
then a lower bound. A jump forward only skips steps, so it never makes the
worst case longer. Pure computation on the AST and its graph: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from decimal import Decimal

from dsl import _ast as ast
from dsl._calendar_defs import resolve_calendar
from dsl._check_chosen import chosen_texts
from dsl._digraph import Graph
from dsl._graph import BACK, step_nodes
from dsl._graph_names import _defines as defines
from dsl._graph_names import _names as names_read
from dsl._graph_names import _uses as uses
from dsl._plan_time import ZERO, Amount, WorkingWeek, human_time, task_time
from dsl._signatures import Catalogue
from dsl._walk import child_bodies, iter_steps


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
    graph: Graph,
    calendar: WorkingWeek | None,
    *,
    catalogue: Catalogue | None = None,
    file: ast.File | None = None,
) -> Plan:
    """The worst-case duration of a checked process along its critical path.

    Args:
        process: A process without errors.
        graph: Its graph, from :func:`dsl._graph.process_graph`.
        calendar: The process's calendar (its working week decides which of two
            branches in different units is longer); None: Monday to Friday, 9 to 5.
        catalogue: The actions, for their own timeouts; None: the engine's default.
        file: The file the process is in, for the calendars its steps count in (None:
            a step's own calendar is counted like the process's).
    """
    planner = _Planner(process, graph, calendar, catalogue, file)
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


class _Planner:
    def __init__(
        self,
        process: ast.Process,
        graph: Graph,
        week: WorkingWeek | None,
        catalogue: Catalogue | None,
        file: ast.File | None = None,
    ) -> None:
        self.process = process
        self.file = file
        self.graph = graph
        self.week = week
        self.catalogue = catalogue
        self.ids = {statement.span: node for node, statement in step_nodes(graph)}
        self.runs, self.unbounded = _reruns(process, graph)
        self.inputs = {item.name for item in process.inputs}

    def _key(self, path: _Path) -> Decimal:
        return (path.total + path.per_item).estimate(self.week)

    def body(self, body: tuple[ast.Statement, ...]) -> _Path:
        result = _Path()
        for index, statement in enumerate(body):
            result = result.then(self.statement(statement))
            for label in self.unbounded.get((id(body), index), ()):
                result = result.then(self._open(statement, f"not counted again: {label}"))
        return result

    def statement(self, statement: ast.Statement) -> _Path:
        match statement:
            case ast.Task():
                signature = None if self.catalogue is None else self.catalogue.get(statement.action)
                timeout = None if signature is None else signature.timeout_seconds
                return self._takes(statement, *task_time(statement, timeout))
            case ast.Human():
                if (computed := _computed_time(statement)) is not None:
                    what, expr = computed
                    return self._open(statement, f"{what} depends on {self._reads(expr)}")
                counted = human_time(statement)
                if counted is None:
                    return self._open(statement, "no deadline: it may wait forever")
                return self._takes(statement, *self._counted_in(statement.calendar, *counted))
            case ast.WaitFor(duration=None, expr=expr) if expr is not None:
                return self._open(statement, f"the wait depends on {self._reads(expr)}")
            case ast.WaitFor(duration=duration) if duration is not None:
                counted = self._counted_in(
                    statement.calendar, Amount.of(duration), f"wait {duration.text}"
                )
                return self._takes(statement, *counted)
            case ast.WaitUntil():
                return self._open(statement, "waits until a date: depends on the campaign")
            case ast.WaitEvent(deadline=deadline, event=event):
                if deadline is None:
                    return self._open(statement, f'unbounded: waits for "{event}" with no deadline')
                counted = self._counted_in(
                    statement.calendar, Amount.of(deadline), f"deadline {deadline.text}"
                )
                return self._takes(statement, *counted)
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
            case ast.Exit(then=then) if then:
                # At worst the event arrives as the block ends: its steps run after all.
                return self.body(then)
            case _:
                return _Path()

    def _counted_in(
        self, chosen: ast.StepCalendar | None, amount: Amount, why: str
    ) -> tuple[Amount, str]:
        """A step's time, its business time counted in its own calendar: the one it names,
        or of those it may choose, the one where it takes longest."""
        if chosen is None or self.file is None:
            return amount, why
        if chosen.name is not None:
            names = [chosen.name.name]
        else:
            assert chosen.expr is not None
            names = chosen_texts(self.process, chosen.expr) or [c.name for c in self.file.calendars]
        weeks = {n: w for n in names if (w := resolve_calendar(self.file, n)) is not None}
        if not weeks:
            return amount, why
        own = self.process.calendar.name if self.process.calendar is not None else None
        name = max(weeks, key=lambda n: amount.counted_in(n, weeks[n]).estimate(self.week))
        if len(weeks) > 1:
            why += f"; in calendar {name}, the longest of {', '.join(sorted(weeks))}"
        elif name != own:
            why += f"; in calendar {name}"
        return (amount if name == own else amount.counted_in(name, weeks[name])), why

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

    def _reads(self, expr: ast.Expr) -> str:
        """What a duration worked out by the campaign depends on: ``input review_time``."""
        names = list(dict.fromkeys(name.id for name in names_read(expr)))
        if not names:
            return "an expression worked out when the campaign runs"
        return " and ".join(f"input {n}" if n in self.inputs else f"'{n}'" for n in names)

    def _takes(self, statement: ast.Statement, amount: Amount, why: str) -> _Path:
        node = self.ids[statement.span]
        title = self.graph.nodes[node]["title"]
        runs = self.runs.get(node)
        if runs is not None:
            amount = amount.times(runs[0])
            why = f"{why}; {runs[1]}"
        return _Path((PlanStep(node, title, statement.span.line, amount, why),), amount)

    def _open(self, statement: ast.Statement, reason: str) -> _Path:
        node = self.ids[statement.span]
        title = self.graph.nodes[node]["title"]
        return _Path(open=(NotCounted(node, title, statement.span.line, reason),))


def _computed_time(step: ast.Human) -> tuple[str, ast.Expr] | None:
    """The duration worked out when the step opens that its worst case needs, if any."""
    if step.deadline_expr is not None:
        return "the deadline", step.deadline_expr
    last = step.escalations[-1] if step.escalations else None
    if step.deadline is not None and last is not None and last.after_expr is not None:
        return "the last escalation", last.after_expr
    return None


_Place = tuple[tuple[int, int], ...]
"""Where a statement is: (body id, index) of it and of each statement around it."""


@dataclass(frozen=True)
class _Loop:
    """Rework that runs a stretch of a body again: items ``first`` to ``last``."""

    stretch: tuple[ast.Statement, ...]
    at: tuple[int, int]
    """(body id, index) of the stretch's first statement."""
    passes: int | None
    """How many times the stretch runs at most; None: no bound."""
    label: str
    source: _Place
    cycle: bool
    """A ``go back``: it starts the rounds of the loops inside it again."""


@dataclass(frozen=True)
class _Extra:
    """Extra passes a loop (or exclusive loops) gives the steps of its stretch."""

    count: int
    label: str
    cycle: bool
    """A ``go back``: a pass of it starts the rounds of loops inside it again."""
    covers: frozenset[str]
    """The steps of the stretch."""
    target: str
    """The step it goes back to."""


def _reruns(
    process: ast.Process, graph: Graph
) -> tuple[dict[str, tuple[int, str]], dict[tuple[int, int], list[str]]]:
    """How many times rework can run each step (and why), and where the unbounded
    loops start.

    The engine counts rounds and go-backs per pass of the ``go back`` cycles
    that take the campaign back to before the loop starts: a step runs once per
    pass of the cycles around it, plus each rework loop's extra passes once per
    pass of the cycles that start it again.
    """
    statements: dict[tuple[int, int], ast.Statement] = {}
    groups: dict[tuple[tuple[int, int], int], list[_Loop]] = {}
    unbounded: dict[tuple[int, int], list[str]] = {}
    for loop in _rework_loops(process, graph, statements):
        if loop.passes is None:
            unbounded.setdefault(loop.at, []).append(loop.label)
        else:
            groups.setdefault((loop.at, len(loop.stretch)), []).append(loop)
    ids = {statement.span: node for node, statement in step_nodes(graph)}
    extras: list[_Extra] = []
    for group in groups.values():
        stretch = group[0].stretch
        covers = frozenset(ids[statement.span] for statement in iter_steps(stretch))
        for count, label, cycle in _extra_runs(group, statements):
            extras.append(_Extra(count, label, cycle, covers, ids[stretch[0].span]))
    cycles = [extra for extra in extras if extra.cycle]
    nodes = {node for extra in extras for node in extra.covers}
    runs = {node: _runs(node, extras, cycles) for node in nodes}
    return runs, unbounded


def _passes(cycles: list[_Extra]) -> int:
    passes = 1
    for cycle in cycles:
        passes *= cycle.count + 1
    return passes


def _runs(node: str, extras: list[_Extra], cycles: list[_Extra]) -> tuple[int, str]:
    """How many times ``node`` runs at most, and how that was counted."""
    around = [extra for extra in extras if node in extra.covers]
    own = [cycle for cycle in around if cycle.cycle]
    rework = [(r, [c for c in cycles if r.target in c.covers]) for r in around if not r.cycle]
    total = _passes(own) + sum(r.count * _passes(resets) for r, resets in rework)
    if len(around) == 1:
        return total, around[0].label
    if all(resets == own for _r, resets in rework):
        # Loops nested in the cycles: the rework's passes in each pass of them.
        if len(rework) == 1:
            inner = [rework[0][0].label]
        elif rework:
            more = " + ".join(f"{r.count} more: {r.label}" for r, _ in rework)
            inner = [f"{1 + sum(r.count for r, _ in rework)} runs ({more})"]
        else:
            inner = []
        if own:
            return total, f"{total} runs: " + " in each of ".join(inner + [c.label for c in own])
    terms = [f"{_passes(own)} ({' in each of '.join(c.label for c in own)})"] if own else []
    terms += [
        f"{r.count * _passes(resets)} more ({r.label}"
        + "".join(f" in each of {c.label}" for c in resets)
        + ")"
        for r, resets in rework
    ]
    return total, f"{total} runs: " + " + ".join(terms)


def _extra_runs(
    group: list[_Loop], statements: dict[tuple[int, int], ast.Statement]
) -> list[tuple[int, str, bool]]:
    """What loops over one stretch add: each loop's extra passes, or only the largest
    when they go back from different branches of an ``if`` that keeps its choice."""
    changing = _changing(group[0].stretch)
    if len(group) > 1 and all(
        _exclusive(a.source, b.source, statements, changing)
        for i, a in enumerate(group)
        for b in group[i + 1 :]
    ):
        most = max(loop.passes or 1 for loop in group)
        label = " or ".join(loop.label for loop in group)
        return [(most - 1, label, all(loop.cycle for loop in group))]
    return [((loop.passes or 1) - 1, loop.label, loop.cycle) for loop in group]


def _exclusive(
    a: _Place, b: _Place, statements: dict[tuple[int, int], ast.Statement], changing: set[str]
) -> bool:
    """Whether two steps sit in different branches of an ``if`` whose conditions read
    nothing in ``changing`` (so every pass takes the same branch)."""
    depth = 0
    while depth < min(len(a), len(b)) and a[depth] == b[depth]:
        depth += 1
    if depth == 0 or depth >= min(len(a), len(b)) or a[depth][0] == b[depth][0]:
        return False
    around = statements[a[depth - 1]]
    if not isinstance(around, ast.If):
        return False
    read = {name.id for branch in around.branches for name in names_read(branch.condition)}
    return not read & changing


def _changing(stretch: tuple[ast.Statement, ...]) -> set[str]:
    """The names a stretch may give another value when it runs again: what people,
    actions and events give, and a ``set`` or ``decide`` that reads any of those or
    a name the stretch defines only later (``set n = n + 1``)."""
    assigned = {name for s in iter_steps(stretch) for name, _ in defines(s)}
    stable: set[str] = set()
    changing: set[str] = set()
    for statement in iter_steps(stretch):
        computed = isinstance(statement, ast.Set | ast.Decide) and all(
            n.id not in assigned or n.id in stable - changing for n in uses(statement)
        )
        for name, _ in defines(statement):
            (stable if computed else changing).add(name)
    return changing | {s.variable for s in iter_steps(stretch) if isinstance(s, ast.ForEach)}


def _rework_loops(
    process: ast.Process,
    graph: Graph,
    statements: dict[tuple[int, int], ast.Statement],
) -> list[_Loop]:
    """The loops rework makes; fills ``statements``: the statement at each place."""
    bodies: dict[int, tuple[ast.Statement, ...]] = {}
    places = dict(_places(process, graph, statements, bodies))
    loops: list[_Loop] = []
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
        stretch = bodies[body][first : last + 1]
        cycle = data.get("times") is not None
        loops.append(_Loop(stretch, (body, first), passes, label, places[source], cycle))
    return loops


def _places(
    process: ast.Process,
    graph: Graph,
    statements: dict[tuple[int, int], ast.Statement],
    bodies: dict[int, tuple[ast.Statement, ...]],
) -> Iterator[tuple[str, _Place]]:
    """Every step's place; fills ``statements`` and ``bodies`` (by their ``id``)."""
    ids = {statement.span: node for node, statement in step_nodes(graph)}
    stack: list[tuple[tuple[ast.Statement, ...], _Place]] = [(process.body, ())]
    while stack:
        body, outer = stack.pop()
        bodies[id(body)] = body
        for index, statement in enumerate(body):
            statements[id(body), index] = statement
            place = (*outer, (id(body), index))
            yield ids[statement.span], place
            for inner in child_bodies(statement):
                stack.append((inner, place))


def _common_body(target: _Place, source: _Place) -> tuple[int, int, int]:
    depth = 0
    while depth + 1 < min(len(target), len(source)) and target[depth] == source[depth]:
        depth += 1
    if target[depth][0] != source[depth][0]:
        depth -= 1  # in two branches of one statement: that statement repeats
    body, first = target[depth]
    return body, first, source[depth][1]
