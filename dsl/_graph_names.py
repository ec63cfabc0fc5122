"""Every name defined on every path before it is used: dominators on the graph.

The checker in :mod:`dsl._check` follows the blocks of the file; jumps (``on
error -> fix_page``, ``deadline ... -> report``) can skip a step it counted as
done. Here a name is defined where it is used when every path from the start
to the use has run a step that defines it, which is what dominance says.

The graph is first turned into a *definition view*:

* a step's result exists only once the step is done, so each defining step
  ``s`` gets a node ``s#done`` that its ordinary ways out leave from; an error
  or a missed deadline leaves from ``s`` itself and skips the definition;
* the edges into a join from branch ``i`` meet at ``<join>#i``, so "the
  definition dominates ``<join>#i``" says branch ``i`` defines the name
  whenever it finishes; after a join that waits for all branches, that makes
  the join itself a definition of the name;
* ways that end the process early (``fail``, ``exit when``) are left out: the
  outputs are only worked out when the process completes.

A name set by ``set`` in several places is defined where every path passes one
of the places, found by a search that stops at them.
"""

from __future__ import annotations

from collections.abc import Iterator

from dsl import _ast as ast
from dsl._diagnostics import Diagnostic
from dsl._digraph import Graph
from dsl._graph import END, ERROR, EXIT, JUMP_KINDS, START, TIMEOUT, step_nodes
from dsl._source import Span

_SKIPS = (ERROR, TIMEOUT)
"""Ways out of a step that leave before its result exists."""

_OFF_THE_BLOCKS = JUMP_KINDS | {EXIT}


def can_skip_blocks(graph: Graph) -> bool:
    """Whether some path may leave the blocks of the file: a jump, ``fail`` or ``exit when``.

    Without any, every path runs the steps of each block in order, takes one
    branch of an ``if``, runs the branches of a ``parallel`` until its join
    fires and any number of rounds of a ``for each``: what the block walk of
    :mod:`dsl._check` assumes, so it has already reported (N001, N007) every use that
    :func:`undefined_names` would, and the dominance analysis, the dearest
    check of a long process, is not needed. A test holds the two to that on
    every process in the repository, shuffled.
    """
    return any(kind in _OFF_THE_BLOCKS for _, _, kind in graph.edges(data="kind"))


def undefined_names(process: ast.Process, graph: Graph, reachable: set[str]) -> list[Diagnostic]:
    """An N007 for every use of a name that some path reaches without defining it."""
    defined_at: dict[str, list[tuple[str, Span]]] = {}
    loop_variables: set[str] = set()
    uses: list[tuple[str, ast.Name]] = []
    for node, statement in step_nodes(graph):
        if node not in reachable:
            continue
        for defined, span in _defines(statement):
            defined_at.setdefault(defined, []).append((f"{node}#done", span))
        if isinstance(statement, ast.ForEach):
            loop_variables.add(statement.variable)
        uses += ((node, name) for name in _uses(statement))
    uses += ((END, name) for output in process.outputs for name in _names(output.value))
    view = _definition_view(graph, reachable, defined_at)
    dominance = _Dominance(view)
    problems = []
    points: dict[str, list[str]] = {}
    undefined_regions: dict[str, set[int]] = {}
    for node, name in uses:
        places = defined_at.get(name.id)
        if places is None or name.id in loop_variables or node not in dominance:
            continue  # an input, a loop's item, or unknown (N001)
        if name.id not in points:
            points[name.id] = [p for q, _ in places for p in _exported(graph, dominance, q)]
        if len(places) == 1:
            missing = not any(dominance.dominates(p, node) for p in points[name.id])
        else:
            if name.id not in undefined_regions:
                stops = set(points[name.id])
                undefined_regions[name.id] = _reached_avoiding(view, stops)
            missing = view.number[node] in undefined_regions[name.id]
        if missing:
            first = min(span for _place, span in places)
            problems.append(
                Diagnostic(
                    "N007",
                    f"'{name.id}' may not be defined here: not every path to this line runs "
                    f"the step that defines it (line {first.line})",
                    name.span,
                    hint="a jump or an 'exit when' can skip that step: use the name only "
                    "where every way here has run it",
                )
            )
    return problems


class _View:
    """The definition view: adjacency lists over numbered nodes.

    Numbers and lists rather than names and dicts: a long process has tens of
    thousands of nodes, and the walks below touch each of them several times.
    """

    def __init__(self) -> None:
        self.number: dict[str, int] = {}
        self.succ: list[list[int]] = []

    def node(self, name: str) -> int:
        """The number of a node, added if it is new."""
        number = self.number.get(name)
        if number is None:
            number = self.number[name] = len(self.succ)
            self.succ.append([])
        return number


def _definition_view(
    graph: Graph, reachable: set[str], defined_at: dict[str, list[tuple[str, Span]]]
) -> _View:
    defining = {
        place.removesuffix("#done") for places in defined_at.values() for place, _ in places
    }
    view = _View()
    view.node(START)
    for node in reachable:
        view.node(node)
    done: dict[str, int] = {}
    for node in defining:
        done[node] = view.node(f"{node}#done")
        view.succ[view.number[node]].append(done[node])
    kinds = dict(graph.nodes(data="kind"))
    number = view.number
    succ = view.succ
    # The edge view walks networkx's own dicts: much cheaper than nested views.
    for source, target, data in graph.edges(data=True):
        if source not in reachable or data.get("outcome") is not None:
            continue
        plain = number[source]
        start = plain if data["kind"] in _SKIPS else done.get(source, plain)
        into = number[target]
        if kinds[target] == "join":
            arm = view.node(f"{target}#{data['branch']}")
            succ[start].append(arm)
            succ[arm].append(into)
        else:
            succ[start].append(into)
    return view


def _exported(graph: Graph, dominance: _Dominance, place: str) -> Iterator[str]:
    """Where a definition holds: its step, and each join for all it reaches the end of."""
    yield place
    scope = graph.nodes[place.removesuffix("#done")]["scope"]
    for block, branch in reversed(scope):
        fork = graph.nodes[block]
        if fork["kind"] == "if":
            continue  # the dominance of the join's arm says whether every branch defines it
        join = f"{block}.join"
        if fork["kind"] != "parallel" or fork["join"] != "all":
            return
        if not dominance.dominates(place, f"{join}#{branch}"):
            return
        place = join
        yield place


def _reached_avoiding(view: _View, stops: set[str]) -> set[int]:
    """The nodes some path from the start reaches before passing any of ``stops``."""
    stop = {view.number[name] for name in stops if name in view.number}
    first = view.number[START]
    seen = {first}
    todo = [first]
    while todo:
        node = todo.pop()
        if node in stop:
            continue
        for successor in view.succ[node]:
            if successor not in seen:
                seen.add(successor)
                todo.append(successor)
    return seen


def immediate_dominators(succ: list[list[int]], start: int) -> list[int]:
    """The immediate dominator of each node (``start``: itself; -1: not reachable).

    The iterative algorithm of Cooper, Harvey and Kennedy ("A Simple, Fast
    Dominance Algorithm", 2001), as in ``networkx.immediate_dominators``, on
    numbered nodes: a process's graph is nearly a tree of blocks, so it
    settles in two passes.
    """
    size = len(succ)
    postorder: list[int] = []
    seen = [False] * size
    seen[start] = True
    stack = [(start, iter(succ[start]))]
    while stack:
        node, successors = stack[-1]
        for successor in successors:
            if not seen[successor]:
                seen[successor] = True
                stack.append((successor, iter(succ[successor])))
                break
        else:
            stack.pop()
            postorder.append(node)
    rank = [-1] * size
    for index, node in enumerate(postorder):
        rank[node] = index
    preds: list[list[int]] = [[] for _ in range(size)]
    for node in postorder:
        for successor in succ[node]:
            preds[successor].append(node)
    idom = [-1] * size
    idom[start] = start
    order = postorder[-2::-1]  # reverse postorder, without the start
    changed = True
    while changed:
        changed = False
        for node in order:
            new = -1
            for pred in preds[node]:
                if idom[pred] < 0:
                    continue
                if new < 0:
                    new = pred
                    continue
                # The nearest common dominator of the two.
                other = pred
                while new != other:
                    while rank[new] < rank[other]:
                        new = idom[new]
                    while rank[other] < rank[new]:
                        other = idom[other]
            if new >= 0 and idom[node] != new:
                idom[node] = new
                changed = True
    return idom


class _Dominance:
    """Dominance in O(1) per question: intervals of the dominator tree."""

    def __init__(self, view: _View) -> None:
        self.number = view.number
        size = len(view.succ)
        start = view.number[START]
        parents = immediate_dominators(view.succ, start)
        children: list[list[int]] = [[] for _ in range(size)]
        for node, parent in enumerate(parents):
            if parent >= 0 and node != parent:
                children[parent].append(node)
        self.enter = [0] * size  # 0: not reachable
        self.leave = [0] * size
        clock = 0
        stack: list[tuple[int, bool]] = [(start, False)]
        while stack:
            node, done = stack.pop()
            clock += 1
            if done:
                self.leave[node] = clock
                continue
            self.enter[node] = clock
            stack.append((node, True))
            stack.extend((child, False) for child in children[node])

    def __contains__(self, node: str) -> bool:
        number = self.number.get(node)
        return number is not None and self.enter[number] > 0

    def dominates(self, a: str, b: str) -> bool:
        first, second = self.number.get(a), self.number.get(b)
        if first is None or second is None:
            return False
        enter, leave = self.enter, self.leave
        if not enter[first] or not enter[second]:
            return False
        return enter[first] <= enter[second] and leave[second] <= leave[first]


def _defines(statement: ast.Statement) -> Iterator[tuple[str, Span]]:
    match statement:
        case ast.Task() | ast.Human() | ast.Decide() | ast.CallProcess():
            yield statement.name, statement.name_span
        case ast.Set(name=name, name_span=span):
            yield name, span
        case ast.WaitEvent(bind=bind) if bind is not None:
            yield bind, statement.bind_span or statement.span
        case _:
            pass


def _uses(statement: ast.Statement) -> Iterator[ast.Name]:
    """The names a step reads itself (not those of the steps inside it)."""
    exprs: list[ast.Expr] = []
    match statement:
        case ast.Task(arguments=arguments, undo=undo):
            exprs += (a.value for a in arguments)
            if undo is not None:  # the undo runs after the task: its own result is there
                undone = (n for a in undo.arguments for n in _names(a.value))
                yield from (n for n in undone if n.id != statement.name)
        case ast.CallProcess(arguments=arguments):
            exprs += (a.value for a in arguments)
        case ast.Human(not_by=not_by, rounds=rounds):
            exprs += not_by
            exprs += _chosen(statement.parties)
            for escalation in statement.escalations:
                exprs += _chosen(escalation.to)
            exprs += _calendar(statement.calendar)
            exprs += [t for t in (statement.notice_subject, statement.notice_body) if t]
            if rounds is not None and rounds.message is not None:
                # shown once the last round is decided: the step's own result is there
                told = _names(rounds.message)
                yield from (n for n in told if n.id != statement.name)
        case ast.Decide(rules=rules):
            for rule in rules:
                exprs += [] if rule.condition is None else [rule.condition]
                exprs += (value for _name, value in rule.outputs)
        case ast.If(branches=branches):
            exprs += (b.condition for b in branches)
        case ast.ForEach(items=items):
            exprs.append(items)
        case ast.WaitUntil(moment=moment):
            exprs.append(moment)
            exprs += _calendar(statement.calendar)
        case ast.WaitFor():
            exprs += _calendar(statement.calendar)
        case ast.WaitEvent(key=key):
            exprs.append(key)
            exprs += _calendar(statement.calendar)
        case ast.Set(value=value):
            exprs.append(value)
        case ast.Notify(message=message):
            exprs.append(message)
            exprs += _chosen(statement.parties)
            exprs += [] if statement.subject is None else [statement.subject]
        case ast.Fail(message=message):
            exprs.append(message)
        case ast.Exit(key=key) if key is not None:
            exprs.append(key)
        case _:
            pass
    for expr in exprs:
        yield from _names(expr)


def _chosen(parties: ast.Parties) -> list[ast.Expr]:
    """The expressions of ``role from ...`` and ``person from ...``."""
    return [p.expr for p in parties if isinstance(p, ast.PartyFrom)]


def _calendar(chosen: ast.StepCalendar | None) -> list[ast.Expr]:
    """The expression of ``calendar from ...``, if the step has one."""
    return [] if chosen is None or chosen.expr is None else [chosen.expr]


def _names(expr: ast.Expr) -> Iterator[ast.Name]:
    """Every name an expression reads, in order."""
    match expr:
        case ast.Name():
            yield expr
        case ast.Attribute(obj=obj):
            yield from _names(obj)
        case ast.Index(obj=obj, index=index):
            yield from _names(obj)
            yield from _names(index)
        case ast.Call(args=args) | ast.ListLit(items=args):
            for arg in args:
                yield from _names(arg)
        case ast.Unary(operand=operand):
            yield from _names(operand)
        case ast.Binary(left=left, right=right):
            yield from _names(left)
            yield from _names(right)
        case ast.RecordLit(fields=fields):
            for _name, value in fields:
                yield from _names(value)
        case ast.TextLit(parts=parts):
            for part in parts:
                if not isinstance(part, str):
                    yield from _names(part)
        case _:
            pass
