"""A small multigraph for the checks: the part of networkx's ``MultiDiGraph`` they use.

Importing networkx loads every algorithm it has (0.15 s of CPU, as long as the
rest of ``mops check``); the checks, the drawings and the plan need a directed
multigraph with attributes and three searches. :class:`Graph` keeps its data
as networkx does (nodes and adjacency in insertion order, edges keyed), so
``nodes``, ``edges``, ``in_edges`` and ``out_edges`` list the same things in
the same order, and :func:`to_networkx` gives the very graph networkx would
have built. The searches below read only ``succ`` and ``pred``, which both
graphs have, so they take either.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import networkx as nx

Attributes = dict[str, Any]


class Graph:
    """A directed multigraph: nodes and keyed edges, each with a dict of attributes."""

    def __init__(self, **attributes: Any) -> None:
        self.graph: Attributes = dict(attributes)
        self._node: dict[str, Attributes] = {}
        self.succ: dict[str, dict[str, dict[Hashable, Attributes]]] = {}
        self.pred: dict[str, dict[str, dict[Hashable, Attributes]]] = {}
        self._added: list[tuple[str, str, Hashable]] = []  # edges in the order they came
        self.nodes = _Nodes(self._node)

    def add_node(self, node: str, /, **attributes: Any) -> None:
        """Add ``node``, or update its attributes if it is there."""
        data = self._node.get(node)
        if data is None:
            data = self._node[node] = {}
            self.succ[node] = {}
            self.pred[node] = {}
        data.update(attributes)

    def add_edge(self, source: str, target: str, /, key: Hashable, **attributes: Any) -> None:
        """Add the edge ``key`` from ``source`` to ``target`` (or update it), nodes too."""
        if source not in self._node:
            self.add_node(source)
        if target not in self._node:
            self.add_node(target)
        targets = self.succ[source]
        keys = targets.get(target)
        if keys is None:
            keys = targets[target] = {}
            self.pred[target][source] = keys
        data = keys.get(key)
        if data is None:
            data = keys[key] = {}
            self._added.append((source, target, key))
        data.update(attributes)

    def __iter__(self) -> Iterator[str]:
        return iter(self._node)

    def __contains__(self, node: object) -> bool:
        return node in self._node

    def __len__(self) -> int:
        return len(self._node)

    def edges(self, *, keys: bool = False, data: bool | str = False) -> list[Any]:
        """Every edge, as networkx lists them: by source, then target, then key."""
        return [
            _edge(u, v, k, d, keys, data)
            for u, targets in self.succ.items()
            for v, by_key in targets.items()
            for k, d in by_key.items()
        ]

    def out_edges(self, node: str, *, keys: bool = False, data: bool | str = False) -> list[Any]:
        """The edges leaving ``node``."""
        return [
            _edge(node, v, k, d, keys, data)
            for v, by_key in self.succ[node].items()
            for k, d in by_key.items()
        ]

    def in_edges(self, node: str, *, keys: bool = False, data: bool | str = False) -> list[Any]:
        """The edges coming into ``node``."""
        return [
            _edge(u, node, k, d, keys, data)
            for u, by_key in self.pred[node].items()
            for k, d in by_key.items()
        ]

    def has_edge(self, source: str, target: str) -> bool:
        return target in self.succ.get(source, {})

    def number_of_edges(self) -> int:
        return sum(len(by_key) for targets in self.succ.values() for by_key in targets.values())


class _Nodes:
    """``graph.nodes``: ``nodes[n]`` is n's attributes; ``nodes(data=...)`` lists them."""

    def __init__(self, table: dict[str, Attributes]) -> None:
        self._table = table

    def __getitem__(self, node: str) -> Attributes:
        return self._table[node]

    def __iter__(self) -> Iterator[str]:
        return iter(self._table)

    def __contains__(self, node: object) -> bool:
        return node in self._table

    def __len__(self) -> int:
        return len(self._table)

    def __call__(self, *, data: bool | str = False) -> list[Any]:
        if data is True:
            return list(self._table.items())
        if data is False:
            return list(self._table)
        return [(n, d.get(data)) for n, d in self._table.items()]


def _edge(u: str, v: str, k: Hashable, d: Attributes, keys: bool, data: bool | str) -> Any:
    shown: Any = d if data is True else d.get(data) if data else None
    if keys:
        return (u, v, k, shown) if data is not False else (u, v, k)
    return (u, v, shown) if data is not False else (u, v)


def to_networkx(graph: Graph) -> nx.MultiDiGraph:
    """The same graph as a networkx ``MultiDiGraph``: nodes, edges, keys and order alike."""
    import networkx as nx

    copy = nx.MultiDiGraph(**graph.graph)
    copy.add_nodes_from(graph.nodes(data=True))
    # In the order they were added, so each node's edges in and out come in the same order.
    copy.add_edges_from((u, v, k, graph.succ[u][v][k]) for u, v, k in graph._added)
    return copy


# ---- searches: they read only ``succ`` and ``pred`` --------------------------


def descendants(graph: Any, source: str) -> set[str]:
    """Every node reachable from ``source`` (not itself unless on a cycle through it)."""
    succ = graph.succ
    seen: set[str] = set()
    stack = [source]
    while stack:
        for target in succ[stack.pop()]:
            if target not in seen:
                seen.add(target)
                stack.append(target)
    seen.discard(source)
    return seen


def weakly_connected_components(graph: Any, nodes: Iterable[str]) -> Iterator[set[str]]:
    """The parts of the graph on ``nodes`` alone, edges taken either way, in node order."""
    among = set(nodes)
    succ, pred = graph.succ, graph.pred
    seen: set[str] = set()
    for start in graph:
        if start not in among or start in seen:
            continue
        part = {start}
        stack = [start]
        while stack:
            node = stack.pop()
            for other in (*succ[node], *pred[node]):
                if other in among and other not in part:
                    part.add(other)
                    stack.append(other)
        seen |= part
        yield part


def strongly_connected_components(graph: Any, nodes: Iterable[str]) -> Iterator[set[str]]:
    """The strongly connected parts of the graph on ``nodes`` alone (Tarjan, iterative).

    The same order as networkx's ``strongly_connected_components`` on that subgraph.
    """
    inside = set(nodes)
    among = [n for n in graph if n in inside]
    succ = {n: [m for m in graph.succ[n] if m in inside] for n in among}
    following = {n: iter(succ[n]) for n in among}
    preorder: dict[str, int] = {}
    lowlink: dict[str, int] = {}
    found: set[str] = set()
    waiting: list[str] = []
    count = 0
    for source in among:
        if source in found:
            continue
        queue = [source]
        while queue:
            v = queue[-1]
            if v not in preorder:
                count += 1
                preorder[v] = count
            done = True
            for w in following[v]:
                if w not in preorder:
                    queue.append(w)
                    done = False
                    break
            if not done:
                continue
            lowlink[v] = preorder[v]
            for w in succ[v]:
                if w not in found:
                    lowlink[v] = min(
                        lowlink[v], lowlink[w] if preorder[w] > preorder[v] else preorder[w]
                    )
            queue.pop()
            if lowlink[v] == preorder[v]:
                part = {v}
                while waiting and preorder[waiting[-1]] > preorder[v]:
                    part.add(waiting.pop())
                found |= part
                yield part
            else:
                waiting.append(v)
