"""Approval round trip: campaigns waiting on one approval each, then all approved.

    python -m bench approvals [--campaigns 1000] [--runs 3]

A: a ``.mops`` process with one approval (role editor, a 30-day deadline that
escalates to role lead), run by the interpreter. B: bench.handwritten.
HandwrittenApproval, an update handler with a validator doing the equivalent.
Both are approved the way ``mops approve`` does it (engine.client._people.act:
the ``act`` update, whose validator judges the person). Every campaign is
started and waiting before the clock starts; the time is from the first
approval sent to the last campaign completed. Sides alternate, each with a
fresh worker process.
"""

from __future__ import annotations

import asyncio
import functools
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from temporalio.client import WorkflowHandle

from bench import handwritten
from bench._harness import (
    BENCH,
    Server,
    alternating,
    bounded,
    comparison_row,
    embedded_server,
    history_lengths,
    median,
    options,
    order,
    percentile,
    until_started,
    worker_process,
)
from bench._report import machine, write_section
from bench._workload import APPROVAL_TEXT, APPROVER, TEAM, compile_text
from engine.client import act, start_campaign
from engine.ir import ProcessIR
from engine.workflow.work_items import Act

AS_ANA = BENCH.asserting(APPROVER)

CONCURRENCY = 100
"""Starts and approvals in flight at once, as a busy team with scripts might send them."""


@dataclass
class Run:
    seconds: float
    """First approval sent to last campaign completed."""
    start_seconds: float
    round_trips: list[float]
    cpu: float
    events: list[int]
    answers: list[str] = field(repr=False)


async def start_waiting(
    server: Server, side: str, process: ProcessIR, task_queue: str, campaigns: int
) -> list[WorkflowHandle[Any, Any]]:
    async def one() -> WorkflowHandle[Any, Any]:
        campaign = f"{side}-approval-{uuid.uuid4().hex[:12]}"
        if side.startswith("interpreter"):
            return await start_campaign(
                server.client,
                process,
                {},
                task_queue=task_queue,
                credentials=BENCH,
                campaign_id=campaign,
                team=TEAM,
            )
        return await server.client.start_workflow(
            handwritten.APPROVAL, TEAM, id=campaign, task_queue=task_queue
        )

    return await bounded(CONCURRENCY, [one] * campaigns)


async def approve_all(server: Server, handles: list[WorkflowHandle[Any, Any]]) -> list[float]:
    """Approve every campaign as ``mops approve`` does; the round trip of each, in seconds."""
    decision = Act(step="review", actor=APPROVER, action="approve")

    async def one(handle: WorkflowHandle[Any, Any]) -> float:
        sent = time.perf_counter()
        await act(server.client, handle.id, decision, credentials=AS_ANA)
        return time.perf_counter() - sent

    return await bounded(CONCURRENCY, [functools.partial(one, h) for h in handles])


async def one_run(server: Server, side: str, process: ProcessIR, campaigns: int) -> Run:
    async with worker_process(server, side) as worker:
        started = time.perf_counter()
        handles = await start_waiting(server, side, process, worker.task_queue, campaigns)
        await until_started(handles)
        start_seconds = time.perf_counter() - started
        cpu = worker.cpu_seconds()
        started = time.perf_counter()
        round_trips = await approve_all(server, handles)
        answers = await bounded(CONCURRENCY, [h.result for h in handles])
        seconds = time.perf_counter() - started
        cpu = worker.cpu_seconds() - cpu
    return Run(
        seconds=seconds,
        start_seconds=start_seconds,
        round_trips=round_trips,
        cpu=cpu,
        events=await history_lengths(handles),
        answers=[str(a) for a in answers],
    )


@dataclass
class Figures:
    campaigns: int
    runs: dict[str, list[Run]] = field(
        default_factory=lambda: {"interpreter": [], "handwritten": []}
    )


async def measure(server: Server, *, campaigns: int, runs: int, warm_up: int = 10) -> Figures:
    process = compile_text(APPROVAL_TEXT, "bench_approval.mops")
    for side in order(0):
        await one_run(server, side, process, warm_up)
    figures = Figures(campaigns=campaigns)
    await alternating(
        runs,
        lambda side: one_run(server, side, process, campaigns),
        figures.runs,
        lambda run: (
            f"all approved and completed in {run.seconds:.1f} s, "
            f"round trip p50 {percentile(run.round_trips, 0.5):.3f} s, cpu {run.cpu:.1f} s"
        ),
    )
    return figures


def render(figures: Figures, command: str) -> str:
    a = figures.runs["interpreter"]

    def row(label: str, value: Any) -> str:
        return comparison_row(label, figures.runs, value)

    return f"""\
Command: `{command}`. Machine: {machine()}.

{figures.campaigns} campaigns per side, each waiting on one approval (by role
editor, deadline 30 days escalating to role lead: one durable timer each), then
all approved through the path `mops approve` uses (`engine.client._people.act`:
the `act` update, judged by its validator), {CONCURRENCY} at a time. The clock
starts when every campaign is waiting; "all done" is the first approval sent
to the last campaign completed. {len(a)} runs, sides alternating, each side with
a fresh worker process; median (min-max); ratio interpreter / hand-written,
pair by pair.

| | interpreter | hand-written | ratio |
|---|---:|---:|---:|
{row("all approved and completed (s)", lambda r: r.seconds)}
{row("approvals per second", lambda r: len(r.round_trips) / r.seconds)}
{row("approval round trip p50 (s)", lambda r: percentile(r.round_trips, 0.5))}
{row("approval round trip p95 (s)", lambda r: percentile(r.round_trips, 0.95))}
{row("starting all, until all wait (s)", lambda r: r.start_seconds)}
{row("worker CPU while approving (s)", lambda r: r.cpu)}
{row("history events per campaign", lambda r: median(r.events))}
"""


async def _main(campaigns: int, runs: int) -> Figures:
    async with embedded_server() as server:
        return await measure(server, campaigns=campaigns, runs=runs)


def main(argv: list[str] | None = None) -> None:
    args, command = options("approvals", argv, campaigns=1000, runs=3)
    figures = asyncio.run(_main(args.campaigns, args.runs))
    write_section("Approval round trip", render(figures, command))
