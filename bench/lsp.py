"""The language server's re-check of a 1,000-line file after an edit, warm.

    python -m bench lsp [--runs N]

The server keeps one :class:`mops.lsp.Analyser` per session; after each
edit it checks the whole document again (the same check as ``mops check``)
and turns the diagnostics into the editor's. Timed here is exactly that
(:meth:`Analyser.analyse` plus the conversion), in this process, as CPU
seconds, after a first analysis has warmed the parser and the catalogue.
Each run edits a different line (a task's message), so no result is reused,
and every other run leaves a mistake in the edited line (an unknown name),
so a file with a diagnostic is timed as often as a clean one. Target (issue
17): ≤ 50 ms.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from bench._report import machine, write_section
from bench.compile import generate
from mops.lsp import Analyser
from mops.lsp._server import lsp_diagnostic
from workers import action_catalogue

LINES = 1_000


def thousand_lines() -> str:
    steps = 1
    while generate(steps).count("\n") < LINES:
        steps += 1
    return generate(steps)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench lsp")
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args(argv)
    analyser = Analyser(action_catalogue())
    text = thousand_lines()
    uri = (Path.cwd() / "generated.mops").as_uri()
    analyser.analyse(uri, text, 0)
    tasks = [n for n, line in enumerate(text.split("\n")) if '= log.info(message: "step' in line]
    clean: list[float] = []
    broken: list[float] = []
    for run in range(args.runs):
        lines = text.split("\n")
        n = tasks[(run * 7) % len(tasks)]
        mistake = " {nosuch}" if run % 2 else ""
        lines[n] = lines[n].replace('message: "step', f'message: "edited{mistake} step')
        edited = "\n".join(lines)
        started = time.process_time()
        analysis = analyser.analyse(uri, edited, run + 1)
        shown = [lsp_diagnostic(analysis, d) for d in analysis.diagnostics]
        spent = time.process_time() - started
        assert len(shown) == (1 if mistake else 0), shown
        (broken if mistake else clean).append(spent)
    lines_counted = text.count("\n")
    body = "\n".join(
        [
            f"Command: `python -m bench lsp --runs {args.runs}`. Machine: {machine()}.",
            "",
            f"A generated process of {lines_counted} lines; one line edited per run; CPU "
            "milliseconds of the server's re-check (analysis and conversion), warm.",
            "",
            "| the edited file | runs | median (ms) | min-max (ms) | target (ms) |",
            "|---|---:|---:|---:|---:|",
            _row("clean", clean),
            _row("with one mistake", broken),
        ]
    )
    print(body)
    write_section("Language server re-check", body)


def _row(name: str, values: list[float]) -> str:
    ms = [v * 1000 for v in values]
    return (
        f"| {name} | {len(ms)} | {statistics.median(ms):.1f} | {min(ms):.1f}-{max(ms):.1f} | 50 |"
    )
