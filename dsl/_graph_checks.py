"""Checks on the shape of the whole process, run on its graph (:mod:`dsl._graph`).

Decisions the checks enforce:

* A jump may leave a ``for each`` body (that ends the loop, every item, and
  carries on at the target) or a branch of an ``if``, but never a parallel
  branch: the other branches would be left running with nothing to join them,
  so a branch that cannot go on fails instead (and with it the block). A jump
  may never *enter* a branch or body from outside it either: there would be
  no branch to join, or no item to run for. Nor may it enter a branch of an
  ``if`` (or its ``else``) from outside that branch: only the ``if`` chooses a
  branch. In short, the target is a step of the jump's own block or of a block
  around it, which is where the interpreter looks for it
  (:mod:`engine.workflow.jumps`), and no ``parallel`` lies between the two.
* Rework (``on reject``, ``on changes``, ``go back``) goes to an earlier step.
* Every loop in the graph has a bound: ``at most N rounds`` on the approval that
  sends work back, ``go back ..., at most N times``, the items of a ``for each``,
  or a human step with a deadline in the loop.

"Every path reaches the end" needs no check of its own: every step keeps a way
forward (an approval can approve, a task can succeed, ``go back`` runs out), so
a path that cannot end is either a join that never fires or a loop without a
bound, and those are reported.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from dsl import _ast as ast
from dsl._diagnostics import Diagnostic, Severity
from dsl._digraph import (
    Graph,
    descendants,
    strongly_connected_components,
    weakly_connected_components,
)
from dsl._graph import END, JUMP_KINDS, START, describe, is_bounded
from dsl._graph_names import can_skip_blocks, undefined_names
from dsl._source import Span

Jump = tuple[str, str, dict[str, Any]]
"""An edge to a named step: from, to, its attributes and its ``key``."""


def graph_problems(
    process: ast.Process,
    graph: Graph,
    *,
    already: Iterable[Diagnostic] = (),
) -> list[Diagnostic]:
    """Every problem with the shape of a process, in no particular order.

    Args:
        process: The process the graph was built from.
        graph: Its graph, from :func:`dsl._graph.process_graph`
            (or networkx's, from :func:`dsl._graph.build_graph`).
        already: Diagnostics the name checker reported; an N007 where it
            already reported a name problem is not reported twice. (Where no
            path can leave the blocks of the file, the name checker's walk
            is exact and no N007 is looked for here: see
            :func:`dsl._graph_names.can_skip_blocks`.)
    """
    reachable = descendants(graph, START) | {START}
    jumps = _jumps(graph)
    problems = [
        *_unreachable(graph, reachable),
        *_jumps_into_blocks(graph, jumps),
        *_jumps_out_of_parallel(graph, jumps),
        *_rework_forward(graph, jumps),
        *_unbounded_loops(graph, reachable, jumps),
        *_joins_that_never_fire(graph, reachable),
        *_waits_without_deadline(process, graph, reachable),
    ]
    if can_skip_blocks(graph):
        named = {d.span for d in already if d.code in ("N001", "N007")}
        problems += [d for d in undefined_names(process, graph, reachable) if d.span not in named]
    return problems


def _unreachable(graph: Graph, reachable: set[str]) -> list[Diagnostic]:
    # One report per stretch of dead steps: the first of them in file order.
    dead = [n for n in graph if n not in reachable and n != END]
    problems = []
    for part in weakly_connected_components(graph, dead):
        steps = [n for n in part if graph.nodes[n]["node"] is not None]
        if not steps:
            continue
        first = min(steps, key=lambda n: graph.nodes[n]["order"])
        problems.append(
            Diagnostic(
                "G001",
                f"{describe(graph, first)} can never run: no path from the start leads to it",
                graph.nodes[first]["head"],
                hint=_why_dead(graph, first),
            )
        )
    return problems


def _why_dead(graph: Graph, node: str) -> str:
    before = graph.nodes[node]["after"]
    if before is not None and graph.nodes[before]["kind"] == "fail":
        line = graph.nodes[before]["span"].line
        return f"the 'fail' on line {line} ends the process: nothing after it in its block runs"
    return "every way to it ends in 'fail' first; remove it, or change the steps before it"


def _jumps_into_blocks(graph: Graph, jumps: list[Jump]) -> list[Diagnostic]:
    problems = []
    for source, target, data in jumps:
        inside, outside = graph.nodes[target]["scope"], graph.nodes[source]["scope"]
        if inside == outside[: len(inside)]:
            continue  # the target is in the same block, or in one around it
        block, index = inside[len(_common(inside, outside))]
        name = graph.nodes[target]["node"].name
        if graph.nodes[block]["kind"] == "if":
            problems.append(_into_if(graph, block, index, name, data["span"]))
            continue
        if graph.nodes[block]["kind"] == "exit":
            line = graph.nodes[block]["span"].line
            problems.append(
                Diagnostic(
                    "G006",
                    f"the jump to '{name}' enters the steps of the 'exit when' on line {line} "
                    "from outside them",
                    data["span"],
                    hint="they run only when its event arrives: jump to a step of the jump's "
                    "own block or of a block around it",
                )
            )
            continue
        if graph.nodes[block]["kind"] == "for_each":
            message = f"the jump to '{name}' enters a 'for each' from outside it"
            hint = "there is no item to run it for: jump to a step outside the loop"
        else:
            branch = graph.nodes[block]["node"].branches[index]
            which = f"'{branch.name}'" if branch.name else f"on line {branch.span.line}"
            message = f"the jump to '{name}' enters the parallel branch {which} from outside it"
            hint = "a branch starts only with its 'parallel': jump to a step outside the block"
            if any(around == block for around, _ in outside):  # from a sibling branch
                hint = (
                    "a branch starts only with its 'parallel' and a jump cannot leave its own"
                    f" branch: move '{name}' into the branch that jumps, or let that branch fail"
                )
        problems.append(Diagnostic("G003", message, data["span"], hint=hint))
    return problems


def _jumps_out_of_parallel(graph: Graph, jumps: list[Jump]) -> list[Diagnostic]:
    problems = []
    for source, target, data in jumps:
        inside, outside = graph.nodes[target]["scope"], graph.nodes[source]["scope"]
        if inside != outside[: len(inside)]:
            continue  # it enters a block: G003 or G006 says so
        left = [
            (block, index)
            for block, index in outside[len(inside) :]
            if graph.nodes[block]["kind"] == "parallel"
        ]
        if not left:
            continue
        block, index = left[-1]  # the innermost parallel around the jump
        branch = graph.nodes[block]["node"].branches[index]
        which = f"'{branch.name}'" if branch.name else f"on line {branch.span.line}"
        name = graph.nodes[target]["node"].name
        line = graph.nodes[block]["span"].line
        problems.append(
            Diagnostic(
                "G007",
                f"the jump to '{name}' leaves the parallel branch {which}",
                data["span"],
                hint=(
                    "a branch ends only by finishing or failing: let the branch fail, or move"
                    f" '{name}' inside the branch; the innermost 'parallel' is at line {line}"
                ),
            )
        )
    return problems


def _into_if(graph: Graph, block: str, index: int, name: str, span: Span) -> Diagnostic:
    statement = graph.nodes[block]["node"]
    line = statement.span.line
    which = "the 'else'" if index == len(statement.branches) else "a branch"
    return Diagnostic(
        "G006",
        f"the jump to '{name}' enters {which} of the 'if' on line {line} from outside it",
        span,
        hint=(
            "only the 'if' chooses a branch: jump to a step of the jump's own block or of a"
            " block around it, such as a step before the 'if'"
        ),
    )


def _common(a: tuple[Any, ...], b: tuple[Any, ...]) -> tuple[Any, ...]:
    length = 0
    while length < min(len(a), len(b)) and a[length] == b[length]:
        length += 1
    return a[:length]


_REWORK = {"reject": "on reject ->", "changes": "on changes ->", "go back": "go back to"}


def _rework_forward(graph: Graph, jumps: list[Jump]) -> list[Diagnostic]:
    problems = []
    for source, target, data in jumps:
        if data["key"] not in _REWORK or _order(graph, target) < _order(graph, source):
            continue
        name = graph.nodes[target]["node"].name
        if source == target:
            where = "is this step itself"
            hint = "name the step that prepares the work, so it is done again first"
        elif data["key"] == "go back":
            where = "comes after it"
            hint = "'go back' repeats the steps above it; to skip steps, use an 'if'"
        else:
            where = "comes after it"
            hint = f"move '{name}' above this step: rework repeats the steps before it"
        problems.append(
            Diagnostic(
                "G005",
                f"'{_REWORK[data['key']]} {name}' must go back to an earlier step, "
                f"but '{name}' {where}",
                data["span"],
                hint=hint,
            )
        )
    return problems


def _unbounded_loops(graph: Graph, reachable: set[str], jumps: list[Jump]) -> list[Diagnostic]:
    # Only a jump back without a bound can close an unbounded loop: without
    # one there is nothing to look for.
    backward = [
        (source, target, data)
        for source, target, data in jumps
        if source in reachable
        and not is_bounded(data)
        and _order(graph, target) <= _order(graph, source)
    ]
    if not backward:
        return []
    # A loop is bounded when it passes a bounded edge or a human step with a
    # deadline; whatever cycles remain once those are taken out are unbounded.
    free = Graph()
    for node in reachable:
        if not _has_deadline(graph, node):
            free.add_node(node)
    for u, v, k, data in graph.edges(keys=True, data=True):
        if u in free and v in free and not is_bounded(data):
            free.add_edge(u, v, k)
    loops: dict[str, int] = {}
    for number, part in enumerate(strongly_connected_components(free, free)):
        node = next(iter(part))
        if len(part) > 1 or free.has_edge(node, node):
            loops.update(dict.fromkeys(part, number))
    return [
        _unbounded(graph, source, target, data)
        for source, target, data in backward
        if source in loops and loops.get(target) == loops[source]
    ]


def _unbounded(graph: Graph, source: str, target: str, data: dict[str, Any]) -> Diagnostic:
    name = graph.nodes[target]["node"].name
    step = describe(graph, source).removeprefix("the step ")
    match data["kind"]:
        case "back" if data["key"] != "go back":
            why = f"{step} can send the work back any number of times"
            hint = f"add 'at most 3 rounds, then fail \"...\"' to {step}"
        case "error":
            why = f"while {step} keeps failing, it runs again and again"
            hint = "'retry' already tries a task again; on error, jump to a later step"
        case "timeout":
            why = "each time the deadline passes, the wait starts over"
            hint = "on the deadline, jump to a later step"
        case _:
            why = f"after its last round, {step} starts the rounds over"
            hint = "end the rounds with 'then fail \"...\"' or 'then continue'"
    return Diagnostic(
        "G004",
        f"the loop back to '{name}' has no bound: {why}",
        data["span"],
        hint=hint + ", or put a human step with a deadline in the loop",
    )


def _joins_that_never_fire(graph: Graph, reachable: set[str]) -> list[Diagnostic]:
    problems = []
    for fork, data in graph.nodes(data=True):
        if data["kind"] != "parallel" or fork not in reachable:
            continue
        statement: ast.Parallel = data["node"]
        total = len(statement.branches)
        needed = {"all": total, "first": 1}.get(statement.join, statement.count or 0)
        if needed > total:
            continue  # T002: more than there are
        finishing = {
            branch
            for source, _join, branch in graph.in_edges(f"{fork}.join", data="branch")
            if source in reachable
        }
        if len(finishing) >= needed:
            continue
        stuck = [b for i, b in enumerate(statement.branches) if i not in finishing]
        names = ", ".join(
            f"'{b.name}'" if b.name else f"the branch on line {b.span.line}" for b in stuck
        )
        waits = {
            "all": f"all {total} branches",
            "first": "the first branch to finish",
        }.get(statement.join, f"{needed} of its {total} branches")
        problems.append(
            Diagnostic(
                "G002",
                f"this 'parallel' waits for {waits}, but "
                f"{f'only {len(finishing)}' if finishing else 'none'} can finish: "
                f"{names} always {'end' if len(stuck) > 1 else 'ends'} in 'fail'",
                data["head"],
                hint="let those branches reach their end, or wait for fewer of them "
                "('parallel first', 'parallel 2 of')",
            )
        )
    return problems


def _waits_without_deadline(
    process: ast.Process, graph: Graph, reachable: set[str]
) -> list[Diagnostic]:
    if "G103" in process.allowed:
        return []
    return [
        Diagnostic(
            "G103",
            f'the wait for event "{data["node"].event}" has no deadline: it may wait forever',
            data["head"],
            Severity.WARNING,
            hint="add ', deadline 5 business days' to it (or silence it: allow G103)",
        )
        for node, data in graph.nodes(data=True)
        if node in reachable and data["kind"] == "event" and data["node"].deadline is None
    ]


def _jumps(graph: Graph) -> list[Jump]:
    """Every edge to a named step, with its key, in the order of the graph."""
    return [
        (source, target, {**data, "key": key})
        for source, target, key, data in graph.edges(keys=True, data=True)
        if data["kind"] in JUMP_KINDS
    ]


def _order(graph: Graph, node: str) -> int:
    order: int = graph.nodes[node]["order"]
    return order


def _has_deadline(graph: Graph, node: str) -> bool:
    statement = graph.nodes[node]["node"]
    return isinstance(statement, ast.Human) and statement.has_deadline
