"""The process as a graph: a node per step, an edge for every way control can go.

This is the graph the IR describes, so what is checked is what runs. Node ids
are the ids the compiler gives steps: a named step's name, else
``<kind>_line_<line>`` (``if_line_12``, ``wait_line_40``). Besides the steps
there are ``start`` and ``end``, a ``<id>.merge`` node closing each ``if`` and a
``<id>.join`` node closing each ``parallel``; a ``for each`` is one loop node
that its body returns to.

The graph is a multigraph: a step can reach the same step in two ways (``on
reject`` and ``on changes`` both going back to ``draft``), so each edge is
keyed by the way it is taken. :func:`process_graph` gives it as our own small
:class:`dsl._digraph.Graph` (what the checks, the drawings and the plan read,
without importing networkx); :func:`build_graph` as the same
:class:`networkx.MultiDiGraph`, for networkx's algorithms.

Node attributes:
    kind: The IR step kind (``task``, ``human``, ``if``, ``parallel``,
        ``for_each``, ``wait``, ``event`` ...), or ``start``, ``end``, ``merge``,
        ``join``.
    title: What a designer calls the step.
    span: The statement's span; ``head`` is its name, or its first word.
    node: The AST statement (None for start, end, merge and join nodes).
    scope: The ``if`` branches (the ``else`` last), parallel branches and
        ``for each`` bodies the node is inside, outermost first, as
        ``(block id, branch index)``.
    order: File order (a merge or join node comes after its branches).
    after: On steps: the step before it in the same block, if any.
    join, count: On ``parallel`` and join nodes: ``all``, ``first`` or ``count``.

Edge attributes:
    kind: ``seq`` | ``branch`` | ``loop`` | ``jump`` | ``back`` | ``error`` |
        ``timeout`` | ``exit``.
    rounds / times / items: The bound of a loop edge, if it has one.
    outcome: ``failed`` or ``exited`` on edges that end the process early (an ``exit
        when`` with steps under it enters them first, by an ``exit`` edge, and leaves
        its block from their end).
    branch: On edges into a join (and from a fork): the branch's index.
    span: Where a jump is written (its target's name).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dsl import _ast as ast
from dsl._digraph import Graph, to_networkx
from dsl._source import Span

if TYPE_CHECKING:
    import networkx as nx

START = "start"
END = "end"

SEQ = "seq"
BRANCH = "branch"
LOOP = "loop"
JUMP = "jump"
BACK = "back"
ERROR = "error"
TIMEOUT = "timeout"
EXIT = "exit"

JUMP_KINDS = frozenset({JUMP, BACK, ERROR, TIMEOUT})
"""Edges that go to a step named in the process (``-> draft``, ``go back to draft``)."""

BOUNDS = ("rounds", "times", "items")

Exits = list[tuple[str, str, dict[str, Any]]]
"""Edges still waiting for the node that comes next: (from, key, attributes)."""

_KINDS: dict[type, tuple[str, str]] = {
    # AST class -> (IR step kind, the keyword the statement starts with)
    ast.Task: ("task", "task"),
    ast.Decide: ("decide", "decide"),
    ast.CallProcess: ("call", "call"),
    ast.If: ("if", "if"),
    ast.Parallel: ("parallel", "parallel"),
    ast.ForEach: ("for_each", "for each"),
    ast.WaitFor: ("wait", "wait"),
    ast.WaitUntil: ("wait", "wait"),
    ast.WaitEvent: ("event", "wait"),
    ast.Set: ("set", "set"),
    ast.Notify: ("notify", "notify"),
    ast.GoBack: ("go_back", "go back"),
    ast.Fail: ("fail", "fail"),
    ast.Exit: ("exit", "exit when"),
}


def process_graph(process: ast.Process) -> Graph:
    """The control-flow graph of a process.

    Jumps to steps that do not exist are left out (the checker reports them).
    """
    return _Builder(process).build()


def build_graph(process: ast.Process) -> nx.MultiDiGraph:
    """The control-flow graph of a process as a networkx ``MultiDiGraph``.

    The same nodes, edges, keys, attributes and order as :func:`process_graph`.
    """
    return to_networkx(process_graph(process))


def is_bounded(attributes: dict[str, Any]) -> bool:
    """Whether an edge carries a bound on how often it is taken."""
    return any(attributes.get(bound) is not None for bound in BOUNDS)


def step_nodes(graph: Graph) -> Iterator[tuple[str, ast.Statement]]:
    """Every step node with its statement, in file order."""
    nodes = [(n, d) for n, d in graph.nodes(data=True) if d.get("node") is not None]
    for node, data in sorted(nodes, key=lambda item: item[1]["order"]):
        yield node, data["node"]


def describe(graph: Graph, node: str) -> str:
    """How a message names a step: ``the step 'draft'`` or ``this 'wait'``."""
    statement = graph.nodes[node]["node"]
    if isinstance(statement, ast.NamedStep):
        return f"the step '{statement.name}'"
    return f"this '{_KINDS[type(statement)][1]}'"


@dataclass(frozen=True)
class _Block:
    """A body being built: where it ends and what encloses it."""

    end: str
    """Where the body flows at its end, and where ``exit when`` in it goes."""
    scope: tuple[tuple[str, int], ...]
    closing: tuple[tuple[str, Any], ...] = ()
    """Attributes of every edge into ``end`` from this body."""


class _Builder:
    def __init__(self, process: ast.Process) -> None:
        self.process = process
        self.graph = Graph(process=process.name)
        self.ids: dict[str, str] = {}
        self.jumps: list[tuple[str, ast.StepRef, str, dict[str, Any]]] = []
        self.order = 0

    def build(self) -> Graph:
        title = self.process.title or self.process.name
        self._add(START, kind="start", title=title, span=self.process.name_span, scope=())
        top = _Block(END, ())
        exits = self._body(self.process.body, [(START, "next", {"kind": SEQ})], top)
        self._add(END, kind="end", title="end", span=self.process.span, scope=())
        self._close(exits, top)
        for source, ref, key, attributes in self.jumps:
            target = self.ids.get(ref.name)
            if target is not None:
                self.graph.add_edge(source, target, key=key, span=ref.span, **attributes)
        return self.graph

    def _add(self, node_id: str, /, **attributes: Any) -> None:
        attributes.setdefault("node", None)
        attributes.setdefault("head", attributes["span"])
        self.graph.add_node(node_id, order=self.order, **attributes)
        self.order += 1

    def _close(self, exits: Exits, block: _Block) -> None:
        for source, key, attributes in exits:
            self.graph.add_edge(source, block.end, key=key, **{**attributes, **dict(block.closing)})

    def _body(self, body: tuple[ast.Statement, ...], entries: Exits, block: _Block) -> Exits:
        before = None
        for statement in body:
            node = self._step_node(statement, block)
            self.graph.nodes[node]["after"] = before
            for source, key, attributes in entries:
                self.graph.add_edge(source, node, key=key, **attributes)
            entries = self._statement(statement, node, block)
            before = node
        return entries

    def _step_node(self, statement: ast.Statement, block: _Block) -> str:
        human = isinstance(statement, ast.Human)
        kind, keyword = ("human", "") if human else _KINDS[type(statement)]
        if isinstance(statement, ast.NamedStep):
            head = statement.name_span
            node = statement.name
        else:
            span = statement.span
            head = Span.point(span.line, span.col, len(keyword.split()[0]))
            node = f"{kind}_line_{statement.span.line}"
        while node in self.graph or node in (START, END):
            node = f"{node}_line_{statement.span.line}"  # a name used twice (N002)
        if isinstance(statement, ast.NamedStep):
            self.ids.setdefault(statement.name, node)
        self._add(
            node,
            kind=kind,
            title=_title(statement),
            span=statement.span,
            head=head,
            node=statement,
            scope=block.scope,
        )
        return node

    def _jump(self, source: str, ref: ast.StepRef, key: str, kind: str, **bound: Any) -> None:
        self.jumps.append((source, ref, key, {"kind": kind, **bound}))

    def _statement(self, statement: ast.Statement, node: str, block: _Block) -> Exits:
        after: Exits = [(node, "next", {"kind": SEQ})]
        match statement:
            case ast.Task(on_error=on_error):
                if on_error is not None:
                    self._jump(node, on_error, "error", ERROR)
            case ast.Human():
                after += self._human(statement, node)
            case ast.WaitEvent(on_timeout=on_timeout):
                if on_timeout is not None:
                    self._jump(node, on_timeout, "deadline", TIMEOUT)
            case ast.GoBack(target=target, times=times):
                self._jump(node, target, "go back", BACK, times=times)
            case ast.Fail():
                self.graph.add_edge(node, END, key="fail", kind=EXIT, outcome="failed")
                return []
            case ast.Exit(then=then):
                ends = {"outcome": "exited"} if block.end == END else {}
                attributes = {"kind": EXIT, **ends, **dict(block.closing)}
                if not then:
                    self.graph.add_edge(node, block.end, key="exit", **attributes)
                    return after
                # The on-exit steps are a block of their own, entered only when the event
                # arrives; at their end the enclosing block is left, as the exit leaves it.
                inner = _Block(block.end, (*block.scope, (node, 0)), block.closing)
                exits = self._body(then, [(node, "exit", {"kind": EXIT})], inner)
                for source, key, data in exits:
                    self.graph.add_edge(source, block.end, key=key, **{**data, **attributes})
            case ast.If():
                return self._if(statement, node, block)
            case ast.Parallel():
                return self._parallel(statement, node, block)
            case ast.ForEach():
                inner = _Block(node, (*block.scope, (node, 0)), (("items", True),))
                exits = self._body(statement.body, [(node, "item", {"kind": LOOP})], inner)
                self._close([(s, k, {**a, "kind": LOOP}) for s, k, a in exits], inner)
                return [(node, "done", {"kind": SEQ})]
            case _:
                pass
        return after

    def _human(self, step: ast.Human, node: str) -> Exits:
        if step.kind != "approval":
            return []  # only approvals send work back (T005 reports the options)
        rounds = step.rounds
        count = None if rounds is None else rounds.count
        for ref, key in ((step.on_reject, "reject"), (step.on_changes, "changes")):
            if ref is not None:
                self._jump(node, ref, key, BACK, rounds=count)
        if rounds is None:
            return []
        if rounds.outcome == "jump" and rounds.target is not None:
            self._jump(node, rounds.target, "rounds", JUMP)
        elif rounds.outcome == "continue":
            return [(node, "rounds", {"kind": SEQ})]
        elif rounds.outcome == "fail":
            self.graph.add_edge(node, END, key="rounds", kind=EXIT, outcome="failed")
        return []

    def _if(self, statement: ast.If, node: str, block: _Block) -> Exits:
        merge = f"{node}.merge"
        # Each branch (the 'else' last) is a block of its own: a jump from outside
        # cannot land in it, as the interpreter runs a branch only from its 'if'.
        exits: Exits = []
        bodies = [b.body for b in statement.branches]
        for index, body in enumerate(bodies):
            entry: Exits = [(node, "branch", {"kind": BRANCH, "branch": index})]
            exits += self._body(body, entry, _Block(merge, (*block.scope, (node, index))))
        else_entry: Exits = [(node, "else", {"kind": BRANCH, "branch": len(bodies)})]
        if statement.orelse is not None:
            orelse = _Block(merge, (*block.scope, (node, len(bodies))))
            exits += self._body(statement.orelse, else_entry, orelse)
        else:
            exits += else_entry
        self._add(merge, kind="merge", title="end of if", span=statement.span, scope=block.scope)
        self._close(exits, _Block(merge, block.scope))
        return [(merge, "next", {"kind": SEQ})]

    def _parallel(self, statement: ast.Parallel, node: str, block: _Block) -> Exits:
        join = f"{node}.join"
        for attribute in ("join", "count"):
            self.graph.nodes[node][attribute] = getattr(statement, attribute)
        branches: list[tuple[Exits, _Block]] = []
        for index, branch in enumerate(statement.branches):
            inner = _Block(join, (*block.scope, (node, index)), (("branch", index),))
            entry: Exits = [(node, "branch", {"kind": BRANCH, "branch": index})]
            branches.append((self._body(branch.body, entry, inner), inner))
        self._add(
            join,
            kind="join",
            title=f"end of {_title(statement)}",
            span=statement.span,
            scope=block.scope,
            join=statement.join,
            count=statement.count,
        )
        for exits, inner in branches:
            self._close(exits, inner)
        return [(join, "next", {"kind": SEQ})]


def _title(statement: ast.Statement) -> str:
    match statement:
        case ast.Task() | ast.Human() | ast.Decide() | ast.CallProcess():
            return statement.display_title
        case ast.If():
            return "if"
        case ast.Parallel(title=title, join=join, count=count):
            return title or ("parallel" if join == "all" else f"parallel {count or join} of")
        case ast.ForEach(variable=variable):
            return f"for each {variable}"
        case ast.WaitFor(duration=duration):
            return "wait" if duration is None else f"wait {duration.text}"
        case ast.WaitUntil():
            return "wait until"
        case ast.WaitEvent(event=event):
            return f'wait for event "{event}"'
        case ast.Set(name=name):
            return f"set {name}"
        case ast.Notify(parties=parties):
            return "notify " + ", ".join(str(p) for p in parties)
        case ast.GoBack(target=target):
            return f"go back to {target.name}"
        case ast.Fail():
            return "fail"
        case ast.Exit(event=event):
            return f'exit when event "{event}"'
