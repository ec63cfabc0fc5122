"""Our small graph for the checks says what networkx would say of the same graph."""

from __future__ import annotations

import random
from pathlib import Path

import networkx as nx
import pytest

from dsl import Catalogue, check_file
from dsl._digraph import (
    Graph,
    descendants,
    strongly_connected_components,
    to_networkx,
    weakly_connected_components,
)
from dsl._graph import START, build_graph, process_graph

ROOT = Path(__file__).resolve().parent.parent
PROCESSES = sorted((ROOT / "processes").glob("*.mops"))


@pytest.mark.parametrize("path", PROCESSES, ids=lambda p: p.name)
def test_the_process_graph_lists_what_networkx_lists(path: Path) -> None:
    checked = check_file(path, Catalogue([]))
    assert checked.process is not None
    ours, theirs = process_graph(checked.process), build_graph(checked.process)
    assert list(ours) == list(theirs)
    assert ours.nodes(data=True) == list(theirs.nodes(data=True))
    assert ours.nodes(data="kind") == list(theirs.nodes(data="kind"))
    assert ours.edges(keys=True, data=True) == list(theirs.edges(keys=True, data=True))
    assert ours.edges(data="kind") == list(theirs.edges(data="kind"))
    for node in ours:
        assert ours.in_edges(node, data="branch") == list(theirs.in_edges(node, data="branch"))
        assert ours.out_edges(node, keys=True) == list(theirs.out_edges(node, keys=True))
    assert descendants(ours, START) == nx.descendants(theirs, START)
    assert ours.number_of_edges() == theirs.number_of_edges()


def _random_graph(seed: int) -> Graph:
    rng = random.Random(seed)
    graph = Graph()
    names = [f"n{i}" for i in range(rng.randint(1, 30))]
    for name in names:
        graph.add_node(name)
    for number in range(rng.randint(0, 60)):
        graph.add_edge(rng.choice(names), rng.choice(names), number % 3)
    return graph


@pytest.mark.parametrize("seed", range(60))
def test_the_searches_find_what_networkx_finds(seed: int) -> None:
    ours = _random_graph(seed)
    theirs = to_networkx(ours)
    rng = random.Random(seed)
    some = [n for n in ours if rng.random() < 0.7]
    for node in ours:
        assert descendants(ours, node) == nx.descendants(theirs, node)
        assert descendants(theirs, node) == nx.descendants(theirs, node)
    assert list(strongly_connected_components(ours, ours)) == list(
        nx.strongly_connected_components(theirs)
    )
    assert sorted(map(sorted, strongly_connected_components(ours, some))) == sorted(
        map(sorted, nx.strongly_connected_components(theirs.subgraph(some)))
    )
    assert sorted(map(sorted, weakly_connected_components(ours, some))) == sorted(
        map(sorted, nx.weakly_connected_components(theirs.subgraph(some)))
    )
