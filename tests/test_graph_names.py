"""Where no path leaves the blocks of the file, the block walk finds every undefined name.

:func:`dsl._graph_checks.graph_problems` runs the dominance analysis of
:mod:`dsl._graph_names` only when a jump, ``fail`` or ``exit when`` lets a path
leave the blocks; otherwise it relies on the name checker's walk
(:mod:`dsl._check`) having reported every such use already. These tests hold
the two to that on the processes of the repository with their jumps taken
out, and on many shufflings of their lines (uses before definitions, names
defined in one branch only, steps moved into and out of blocks).
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator

import networkx as nx
from support import ROOT

from dsl import Catalogue, SourceFile, ast
from dsl._calendars import PRESETS
from dsl._check import check
from dsl._graph import START, build_graph
from dsl._graph_checks import graph_problems
from dsl._graph_names import can_skip_blocks, undefined_names
from dsl._parser import parse_source
from workers import builtin_registry

CATALOGUE = Catalogue(builtin_registry().signatures())
_JUMP = re.compile(r",?\s*(on error|on reject|on changes|on timeout|at most|->).*$")
_STEP_OFF_THE_BLOCKS = re.compile(r"^(\s*)(fail|go back|exit when)\b")


def _without_jumps(text: str) -> str:
    """The text with every jump cut off its line, and ``fail``/``go back``/``exit when`` waits."""
    kept = []
    for line in text.split("\n"):
        if leaving := _STEP_OFF_THE_BLOCKS.match(line):
            line = leaving.group(1) + "wait 1 days"
        elif not re.match(r"\s*(when|otherwise)\b", line):
            line = _JUMP.sub("", line)
        kept.append(line)
    return "\n".join(kept)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _shuffled(text: str, rng: random.Random) -> str:
    """Lines copied, swapped or left out among those of the same indentation."""
    lines = text.split("\n")
    for _ in range(rng.randint(1, 4)):
        i = rng.choice([n for n, line in enumerate(lines) if line.strip()])
        level = _indent(lines[i])
        j = rng.choice(
            [n for n, line in enumerate(lines) if line.strip() and _indent(line) == level]
        )
        match rng.randrange(3):
            case 0:
                lines.insert(j, lines[i])
            case 1:
                lines[i], lines[j] = lines[j], lines[i]
            case _:
                del lines[i]
    return "\n".join(lines)


def _texts() -> Iterator[str]:
    rng = random.Random(20261122)
    paths = sorted(ROOT.glob("processes/*.mops")) + sorted(ROOT.glob("tests/examples/*.mops"))
    for path in paths:
        text = _without_jumps(path.read_text(encoding="utf-8"))
        yield text
        for _ in range(80):
            yield _shuffled(text, rng)


def test_without_jumps_the_dominance_analysis_finds_nothing_the_block_walk_missed() -> None:
    compared = with_name_problems = 0
    for text in _texts():
        parsed = parse_source(SourceFile.from_text(text, "x.mops"))
        if parsed.file is None or parsed.file.process is None:
            continue  # the syntax is not what is compared here
        process = parsed.file.process
        walk = check(parsed.file, CATALOGUE, processes={}, calendars={n: n for n in PRESETS})
        graph = build_graph(process)
        if can_skip_blocks(graph):
            continue
        reported = {d.span for d in walk if d.code in ("N001", "N007")}
        reachable = nx.descendants(graph, START) | {START}
        missed = [d for d in undefined_names(process, graph, reachable) if d.span not in reported]
        assert missed == [], text
        compared += 1
        with_name_problems += bool(reported)
    print(compared, with_name_problems)
    assert compared > 300  # the shuffles keep enough processes that parse
    assert with_name_problems > 40  # and enough of them use names before they exist


def test_a_jump_brings_the_dominance_analysis_back() -> None:
    steps = (
        'task fetch = log.info(message: "x")',
        "  on error -> fix_page",
        'task page = log.info(message: "x")',
        'task fix_page = log.info(message: "Fix {page.logged_at}")',
    )
    with_jump = _process("process launch\n" + "".join(f"  {s}\n" for s in steps))
    without = _process("process launch\n" + "".join(f"  {s}\n" for s in steps if "->" not in s))

    assert can_skip_blocks(build_graph(with_jump))
    assert not can_skip_blocks(build_graph(without))
    [problem] = graph_problems(with_jump, build_graph(with_jump))
    assert (problem.code, problem.span.line) == ("N007", 5)


def _process(text: str) -> ast.Process:
    parsed = parse_source(SourceFile.from_text(text, "x.mops"))
    assert parsed.file is not None and parsed.file.process is not None
    return parsed.file.process
