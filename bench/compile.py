"""Compile speed: parse + check + compile against a bare Lark parse of the same file.

    python -m bench compile [--runs N]

Generated processes of 100, 1,000 and 10,000 steps (tasks, decisions, ifs and
approvals in a realistic mix). For each size, A (bare ``Lark.parse`` with the
same grammar and indenter, no tree building) and B (MOps Flow's whole front
end: parse, AST, checks, IR) are timed alternately; the ratio is A/B
throughput (1.0 = our checks are free).
"""

from __future__ import annotations

import argparse
import statistics
import time

from bench._report import machine, spread, write_section
from dsl import Catalogue, SourceFile, check_source
from dsl._parser import _lark
from dsl._source import gc_paused
from engine.compiler import compile_process
from workers import builtin_registry

SIZES = (100, 1_000, 10_000)


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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench compile")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    catalogue = Catalogue(builtin_registry().signatures())
    lark = _lark()
    rows = []
    for size in SIZES:
        text = generate(size)
        bare: list[float] = []
        ours: list[float] = []
        for _ in range(args.runs):
            # The bare parse gets the same paused collector as our front end, so the
            # ratio compares work, not garbage collection.
            with gc_paused():
                started = time.perf_counter()
                lark.parse(text, start="start")
                bare.append(time.perf_counter() - started)
            started = time.perf_counter()
            checked = check_source(SourceFile.from_text(text, f"generated_{size}.mops"), catalogue)
            assert checked.ok, checked.diagnostics[:3]
            compile_process(checked, catalogue)
            ours.append(time.perf_counter() - started)
        ratio = [a / b for a, b in zip(bare, ours, strict=True)]
        per_step = statistics.median(ours) / size * 1e6
        rows.append(
            f"| {size:,} | {len(text) / 1024:,.0f} KiB | {spread(bare)} | {spread(ours)} | "
            f"{per_step:.0f} µs | {spread(ratio)} |"
        )
        print(rows[-1], flush=True)
    body = f"""\
Command: `python -m bench compile --runs {args.runs}`. Machine: {machine()}.

Seconds per file, median (min-max) of {args.runs} alternating runs. "Bare parse" is
Lark's LALR parse of the same text with the same grammar and indenter (the tree
is built but not turned into our AST), with the garbage collector paused as our
front end pauses it; "front end" is parse + AST + every check + IR. The ratio is
bare/front end throughput (target: at least 0.8).

| steps | size | bare parse (s) | front end (s) | per step | ratio |
|---:|---:|---:|---:|---:|---:|
{chr(10).join(rows)}
"""
    write_section("Compile", body)


if __name__ == "__main__":
    main()
