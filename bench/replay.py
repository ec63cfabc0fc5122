"""Replay cost per history, interpreter against hand-written.

    python -m bench replay [--campaigns 50] [--runs 3]

Records ``--campaigns`` histories per side with the workload of the overhead
benchmark (ten sequential no-op steps, bench.overhead.one_run), then replays
them all with ``temporalio.worker.Replayer``, with the same sandbox settings
as the workers, sides alternating. A replay that fails (non-determinism) is
an error, not a figure.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from bench import overhead
from bench._harness import (
    BENCH_TRUST,
    EXPERIMENT,
    Server,
    alternating,
    comparison_row,
    embedded_server,
    experiment_row,
    median,
    options,
    order,
    sides,
)
from bench._report import machine, write_section
from bench._worker import SIDES, runner
from bench._workload import compile_text, sequential_text
from engine.workflow.provenance import trusting

EXPERIMENT_LABEL = (
    "CPU ms per history, experiment: the interpreter with `engine.workflow._interpreter` and "
    "`engine.workflow._people_steps` passed through too"
)


@dataclass
class Run:
    seconds: float
    cpu: float
    histories: int

    @property
    def per_history_ms(self) -> float:
        return self.seconds / self.histories * 1000


@dataclass
class Figures:
    campaigns: int
    events: dict[str, float]
    runs: dict[str, list[Run]] = field(
        default_factory=lambda: {"interpreter": [], "handwritten": [], EXPERIMENT: []}
    )


async def replay(side: str, histories: Sequence[WorkflowHistory]) -> Run:
    replayer = Replayer(
        workflows=SIDES[side],
        workflow_runner=runner(side),
        data_converter=pydantic_data_converter,
    )

    async def each() -> AsyncIterator[WorkflowHistory]:
        for history in histories:
            yield history

    started, cpu = time.perf_counter(), time.process_time()
    # Starts and signals are checked again on replay, against the benchmarks' key.
    with trusting(None, BENCH_TRUST):
        results = await replayer.replay_workflows(each(), raise_on_replay_failure=False)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    if results.replay_failures:
        campaign, error = next(iter(results.replay_failures.items()))
        raise RuntimeError(f"{side}: replay of {campaign} failed: {error}")
    return Run(seconds=seconds, cpu=cpu, histories=len(histories))


async def record(server: Server, campaigns: int) -> dict[str, list[WorkflowHistory]]:
    process = compile_text(sequential_text(), overhead.FILE)
    return {
        side: (await overhead.one_run(server, side, process, campaigns)).histories
        for side in order(0)
    }


async def measure(
    histories: dict[str, list[WorkflowHistory]],
    *,
    runs: int,
    campaigns: int,
    experiment: bool = False,
) -> Figures:
    events = {side: median([len(h.events) for h in found]) for side, found in histories.items()}
    figures = Figures(campaigns=campaigns, events=events)
    if experiment:
        histories = {**histories, EXPERIMENT: histories["interpreter"]}
    for side in sides(0, experiment=experiment):
        await replay(side, histories[side][:5])  # warm up: imports, the sandbox's caches
    await alternating(
        runs,
        lambda side: replay(side, histories[side]),
        figures.runs,
        lambda run: f"{run.per_history_ms:.1f} ms per history",
        experiment=experiment,
    )
    return figures


def render(figures: Figures, command: str) -> str:
    a = figures.runs["interpreter"]

    def row(label: str, value: Any) -> str:
        return comparison_row(label, figures.runs, value)

    return f"""\
Command: `{command}`. Machine: {machine()}.

{figures.campaigns} histories per side, recorded with the overhead benchmark's
workload (ten sequential no-op steps; {figures.events["interpreter"]:g} events per
interpreter history, {figures.events["handwritten"]:g} per hand-written one), then
replayed with `temporalio.worker.Replayer` in one process with the workers'
sandbox settings. {len(a)} runs, sides alternating, after a warm-up replay of
five histories each; median (min-max); ratio interpreter / hand-written, pair
by pair. Every replay must succeed (no non-determinism) for a figure to count.

| | interpreter | hand-written | ratio |
|---|---:|---:|---:|
{row("ms per history (wall)", lambda r: r.per_history_ms)}
{row("CPU ms per history", lambda r: r.cpu / r.histories * 1000)}
{experiment_row(EXPERIMENT_LABEL, figures.runs, lambda r: r.cpu / r.histories * 1000)}
"""


async def _main(campaigns: int, runs: int, experiment: bool) -> Figures:
    async with embedded_server() as server:
        histories = await record(server, campaigns)
    return await measure(histories, runs=runs, campaigns=campaigns, experiment=experiment)


def main(argv: list[str] | None = None) -> None:
    args, command = options("replay", argv, experiment=True, campaigns=50, runs=3)
    figures = asyncio.run(_main(args.campaigns, args.runs, args.experiment))
    write_section("Replay cost", render(figures, command))
