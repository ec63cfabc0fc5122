"""Worker memory per cached campaign, interpreter against hand-written.

    python -m bench memory [--campaigns 500] [--runs 3]

Each side gets a fresh worker process with room to cache every campaign
(``max_cached_workflows`` above the count). A few campaigns warm the worker
up (imports, the sandbox's first module loads); then the worker's resident
memory is read, ``--campaigns`` campaigns waiting on one approval are
started, and once every one has run its first step (so each sits in the
worker's cache) the memory is read again. The growth divided by the count is
the memory per cached campaign. Sides alternate; both use the interpreter's
sandbox settings (workers._sandbox.workflow_runner).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from bench._harness import (
    EXPERIMENT,
    Server,
    alternating,
    bounded,
    comparison_row,
    embedded_server,
    experiment_row,
    options,
    until_started,
    worker_process,
)
from bench._report import machine, write_section
from bench._workload import APPROVAL_TEXT, compile_text
from bench.approvals import start_waiting
from engine.ir import ProcessIR
from workers import INTERPRETER, PASSED_THROUGH

EXPERIMENT_LABEL = (
    "KiB per cached campaign, experiment: the interpreter with `engine.workflow._interpreter` and "
    "`engine.workflow._people_steps` passed through too"
)
WARM_UP = 10
SETTLE = 2.0
"""Seconds to let the worker finish its last tasks before its memory is read."""


@dataclass
class Run:
    before: int
    after: int
    campaigns: int

    @property
    def per_campaign(self) -> float:
        """KiB of resident memory per cached campaign."""
        return (self.after - self.before) / self.campaigns / 1024


@dataclass
class Figures:
    campaigns: int
    runs: dict[str, list[Run]] = field(
        default_factory=lambda: {"interpreter": [], "handwritten": [], EXPERIMENT: []}
    )


async def one_run(server: Server, side: str, process: ProcessIR, campaigns: int) -> Run:
    async with worker_process(server, side, max_cached=campaigns + WARM_UP + 100) as worker:
        queue = worker.task_queue
        await until_started(await start_waiting(server, side, process, queue, WARM_UP))
        await asyncio.sleep(SETTLE)
        before = worker.rss_bytes()
        handles = await start_waiting(server, side, process, queue, campaigns)
        await until_started(handles)
        await asyncio.sleep(SETTLE)
        after = worker.rss_bytes()
    # Nobody will approve them: end them so they do not weigh on the next run.
    await bounded(50, [h.terminate for h in handles])
    return Run(before=before, after=after, campaigns=campaigns)


async def measure(
    server: Server, *, campaigns: int, runs: int, experiment: bool = False
) -> Figures:
    process = compile_text(APPROVAL_TEXT, "bench_approval.mops")
    figures = Figures(campaigns=campaigns)
    await alternating(
        runs,
        lambda side: one_run(server, side, process, campaigns),
        figures.runs,
        lambda run: (
            f"{run.before / 2**20:.0f} MiB -> {run.after / 2**20:.0f} MiB, "
            f"{run.per_campaign:.1f} KiB per cached campaign"
        ),
        experiment=experiment,
    )
    return figures


def render(figures: Figures, command: str) -> str:
    a = figures.runs["interpreter"]

    def row(label: str, value: Any) -> str:
        return comparison_row(label, figures.runs, value)

    passed = ", ".join(f"`{m}`" for m in (*PASSED_THROUGH, *INTERPRETER))
    return f"""\
Command: `{command}`. Machine: {machine()}.

{figures.campaigns} campaigns per side, each waiting on one approval (so each stays
open and cached), on a fresh worker process per run with `max_cached_workflows`
above the count; resident memory (RSS, from /proc) read after {WARM_UP} warm-up
campaigns and again once every campaign has run its first step, each time
{SETTLE:g} s after the last task. {len(a)} runs, sides alternating; median (min-max);
ratio interpreter / hand-written, pair by pair (target: at most 1.5).

| | interpreter | hand-written | ratio |
|---|---:|---:|---:|
{row("KiB per cached campaign", lambda r: r.per_campaign)}
{row("worker RSS before (MiB)", lambda r: r.before / 2**20)}
{row("worker RSS after (MiB)", lambda r: r.after / 2**20)}
{experiment_row(EXPERIMENT_LABEL, figures.runs, lambda r: r.per_campaign)}

**Sandbox settings, both sides:** `workers._sandbox.workflow_runner()`, the SDK's
`SandboxedWorkflowRunner` with its default restrictions and these modules passed
through (imported once per worker, shared by every campaign): {passed}.
That includes the interpreter's own modules (`engine.workflow._interpreter` and the
`engine._interpret_*` mixins): they keep no state at module level, and
re-importing them for every campaign cost 264 KiB per cached campaign (3.3x
the hand-written workflow) before they were passed through. What passing them
through gives up is the sandbox's run-time check of calls like
`datetime.now()` inside them, so the test suite runs them re-imported per
campaign (`workflow_runner(isolate_interpreter=True)`), where such a call fails a
test. The hand-written workflow module (`bench.handwritten`) is imported again
inside each campaign's sandbox, as the SDK does by default for a workflow
written by hand; that re-import is what a hand-written cached campaign costs
beyond its own objects.
"""


async def _main(campaigns: int, runs: int, experiment: bool) -> Figures:
    async with embedded_server() as server:
        return await measure(server, campaigns=campaigns, runs=runs, experiment=experiment)


def main(argv: list[str] | None = None) -> None:
    args, command = options("memory", argv, experiment=True, campaigns=500, runs=3)
    figures = asyncio.run(_main(args.campaigns, args.runs, args.experiment))
    write_section("Worker memory per cached campaign", render(figures, command))
