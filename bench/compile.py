"""Compile speed: parse + check + compile against a bare Lark parse of the same file.

    python -m bench compile [--runs N]

Generated processes of 100, 1,000 and 10,000 steps (tasks, decisions, ifs and
approvals in a realistic mix). For each size, three things are timed in turn,
``--runs`` times:

* A, the bare parse: ``Lark.parse`` of the text with the same grammar, the
  same indenter and Lark's standard options (the parse tree is built, no
  positions are propagated);
* A+, the same with ``propagate_positions=True``, the tree a front end that
  reports line and column would need (and what our parser used to build);
* B, MOps Flow's whole front end: parse into our AST, every check, the IR.

The ratio is A/B throughput (1.0 = everything after the parse is free). Times
are CPU seconds of this process, which other work on a shared machine
disturbs less than wall-clock time; the garbage collector is paused for all
three, as ``mops`` pauses it while it checks and compiles a file. For the
largest file, one more run of B stage by stage says where its time goes, and
Lark's LALR loop with callbacks that do nothing is timed with Lark's lexer,
with ours, and with tokens read beforehand: the ceiling of any front end that
keeps Lark as its parser; and so is our own loop over Lark's table, with our
lexer, the loop the AST parse runs (:mod:`dsl._callbacks`).
"""

from __future__ import annotations

import os
import re
import statistics
import time
from collections.abc import Callable
from typing import Any

from lark import Lark

from bench._harness import options
from bench._report import machine, spread, write_section
from dsl import Catalogue, CheckedProcess, SourceFile, check_source
from dsl import _parser as parser_module
from dsl._build import AstBuilder
from dsl._calendars import PRESETS
from dsl._callbacks import Parse
from dsl._check import check
from dsl._graph import process_graph
from dsl._graph_checks import graph_problems
from dsl._layout import MopsIndenter
from dsl._lexer import FastLexer
from dsl._limits_check import limit_problems
from dsl._parser import parse_interpolation, parse_source
from dsl._rules import rule_problems
from dsl._source import gc_paused
from engine.compiler import compile_process
from workers import builtin_registry

SIZES = (100, 1_000, 10_000)
HEADER = (
    "| steps | size | bare parse (s) | with positions (s) | front end (s) | per step "
    "| ratio | ratio (positions) |\n|---:|---:|---:|---:|---:|---:|---:|---:|"
)


def generate(steps: int) -> str:
    """A valid process of about ``steps`` steps."""
    lines = [
        'process generated "A generated campaign"',
        "  input budget: money = 100 EUR",
        "  input title: text",
    ]
    for n in range(steps):
        match n % 4:
            case 0:
                lines.append(f'  task t{n} "Log {n}" = log.info(message: "step {n} of {{title}}")')
            case 1:
                lines += [
                    f"  decide d{n}",
                    f'    when budget > {n} EUR -> "big"',
                    '    otherwise -> "small"',
                ]
            case 2:
                lines += [
                    f'  if d{n - 1} == "big"',
                    f'    task t{n} = log.info(message: "big {n}")',
                    "  else",
                    f"    set v{n} = len(title) + {n}",
                ]
            case 3:
                lines += [
                    f'  approval a{n} "Approve {n}"',
                    "    by role editor",
                    "    deadline 2 business days",
                    "    escalate to role lead",
                ]
    return "\n".join(lines) + "\n"


def with_a_jump(text: str) -> str:
    """The generated process with ``on error ->`` from its first task to its last."""
    first = 'task t0 "Log 0" = log.info(message: "step 0 of {title}")\n'
    last = max(int(n) for n in re.findall(r"^  task t(\d+) ", text, re.M))
    return text.replace(first, f"{first}    on error -> t{last}\n", 1)


def bare_lark(*, positions: bool) -> Lark:
    """Lark's LALR parser for our grammar and indenter, with its standard options."""
    return Lark.open(
        "grammar.lark",
        rel_to=parser_module.__file__,
        parser="lalr",
        start=["start", "expr"],
        postlex=MopsIndenter(),
        propagate_positions=positions,
        maybe_placeholders=True,
        cache=True,
    )


def cpu_seconds(work: Callable[..., Any], *args: Any, **kwargs: Any) -> float:
    started = time.process_time()
    work(*args, **kwargs)
    return time.process_time() - started


def front_end(text: str, catalogue: Catalogue) -> None:
    """Everything ``mops check`` and ``mops run`` do to a file before it runs."""
    checked = check_source(SourceFile.from_text(text, "generated.mops"), catalogue)
    assert checked.ok, checked.diagnostics[:3]
    compile_process(checked, catalogue)


def stages(text: str, catalogue: Catalogue) -> dict[str, float]:
    """CPU seconds of each stage of the front end, in the order they run."""
    source = SourceFile.from_text(text, "generated.mops")
    with gc_paused():
        spent = {}
        started = time.process_time()
        parsed = parse_source(source)
        spent["parse + AST"] = time.process_time() - started
        assert parsed.file is not None and parsed.file.process is not None
        process = parsed.file.process
        calendars = {name: name for name in PRESETS}
        started = time.process_time()
        limit_problems(parsed.file)
        spent["names' and titles' lengths"] = time.process_time() - started
        started = time.process_time()
        structural = check(parsed.file, catalogue, processes={}, calendars=calendars)
        spent["names and types"] = time.process_time() - started
        started = time.process_time()
        graph = process_graph(process)
        spent["graph"] = time.process_time() - started
        started = time.process_time()
        graph_problems(process, graph, already=structural)
        spent["graph checks"] = time.process_time() - started
        started = time.process_time()
        rule_problems(process, {i.name: i.type.type for i in process.inputs})
        spent["decision tables"] = time.process_time() - started
        checked = CheckedProcess(source, parsed.file, ())
        started = time.process_time()
        compile_process(checked, catalogue)
        spent["IR"] = time.process_time() - started
    return spent


class _Given:
    """A lexer that hands the parser tokens read before: the LALR loop alone."""

    def __init__(self, tokens: list[Any]) -> None:
        self.tokens = tokens

    def lex(self, lexer_state: Any, parser_state: Any) -> Any:
        return iter(self.tokens)


class _Keeping:
    """Our lexer, keeping what it reads."""

    def __init__(self, lark: Lark) -> None:
        self.inner = FastLexer.from_lark(lark)
        self.tokens: list[Any] = []

    def lex(self, lexer_state: Any, parser_state: Any) -> Any:
        for token in self.inner.lex(lexer_state, parser_state):
            self.tokens.append(token)
            yield token


def ceiling(text: str, runs: int) -> dict[str, float]:
    """CPU seconds of an LALR loop with callbacks that do nothing: Lark's fed three ways, and ours.

    The floor under any front end that keeps Lark as its parser: no tree, no
    AST, no positions; only the tokens differ in where they come from.
    """
    lark = parser_module._lark()
    nothing: dict[Any, Any] = {rule: _nothing for rule in lark.rules}

    def loop(lexer: Any | None) -> float:
        interactive = lark.parse_interactive(text, start="start")
        interactive.parser_state.parse_conf.callbacks = nothing
        if lexer is not None:
            interactive.lexer_thread.lexer = lexer
        return cpu_seconds(interactive.resume_parse)

    def ours() -> float:
        parse = Parse(AstBuilder(parse_interpolation), (1, 1))
        made = parse.reductions
        for rule in range(len(parse.table.rules)):
            made[rule] = None if made[rule] is None else _reduce_nothing
        parse.text_token = _same
        return cpu_seconds(parse.parse, text, "start")

    keeping = _Keeping(lark)
    with gc_paused():
        loop(keeping)
        return {
            "Lark's lexer and indenter": min(loop(None) for _ in range(runs)),
            "our lexer": min(loop(FastLexer.from_lark(lark)) for _ in range(runs)),
            "tokens given (the loop alone)": min(loop(_Given(keeping.tokens)) for _ in range(runs)),
            "our lexer and our loop (what the AST parse runs)": min(ours() for _ in range(runs)),
        }


def _nothing(children: list[Any]) -> None:
    return None


def _reduce_nothing() -> None:
    return None


def _same(token: Any) -> Any:
    return token


def main(argv: list[str] | None = None) -> None:
    args, command = options("compile", argv, runs=5)
    catalogue = Catalogue(builtin_registry().signatures())
    bare, positioned = bare_lark(positions=False), bare_lark(positions=True)
    load = os.getloadavg()[0]
    rows = []
    text = ""
    for size in SIZES:
        text = generate(size)

        times: dict[str, list[float]] = {"A": [], "A+": [], "B": []}
        for _ in range(args.runs):
            with gc_paused():
                times["A"].append(cpu_seconds(bare.parse, text, start="start"))
                times["A+"].append(cpu_seconds(positioned.parse, text, start="start"))
                times["B"].append(cpu_seconds(front_end, text, catalogue))
        ratio = [a / b for a, b in zip(times["A"], times["B"], strict=True)]
        ratio_plus = [a / b for a, b in zip(times["A+"], times["B"], strict=True)]
        per_step = statistics.median(times["B"]) / size * 1e6
        rows.append(
            f"| {size:,} | {len(text) / 1024:,.0f} KiB | {spread(times['A'])} | "
            f"{spread(times['A+'])} | {spread(times['B'])} | {per_step:.0f} µs | "
            f"{spread(ratio)} | {spread(ratio_plus)} |"
        )
        print(rows[-1], flush=True)
    spent = stages(text, catalogue)
    breakdown = ", ".join(f"{name} {seconds:.2f} s" for name, seconds in spent.items())
    print(breakdown, flush=True)
    jumping = stages(with_a_jump(text), catalogue)["graph checks"]
    print(f"graph checks with one jump: {jumping:.2f} s", flush=True)
    floor = ceiling(text, args.runs)
    floors = ", ".join(f"{name} {seconds:.2f} s" for name, seconds in floor.items())
    print(floors, flush=True)
    body = f"""\
Command: `{command}`. Machine: {machine()};
load average {load:.1f} when it started (other work shares the machine).

CPU seconds per file, median (min-max) of {args.runs} runs, the three taken in
turn. "Bare parse" is Lark's LALR parse of the same text with the same grammar
and indenter and Lark's standard options (the tree is built, no positions);
"with positions" is the same parse with `propagate_positions=True`. "Front
end" is parse + AST + every check + IR. All three run with the garbage
collector paused, as `mops` pauses it while it checks and compiles a file. The
ratios are bare/front end throughput (target: at least 0.8 of the bare parse).

{HEADER}
{chr(10).join(rows)}

Where the front end's time goes for {SIZES[-1]:,} steps (one run, CPU seconds):
{breakdown}. With one jump in the file (`on error ->` from the first task to
the last), the graph checks take {jumping:.2f} s: a path may then leave the
blocks, and the dominance analysis of names runs.

Lark's LALR loop for the same file with callbacks that do nothing (no tree,
no AST; best of {args.runs}), by where its tokens come from: {floors}.
"""
    write_section("Compile", body)


if __name__ == "__main__":
    main()
