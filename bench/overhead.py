"""Interpreter overhead: ten automated steps, interpreted against hand-written.

    python -m bench overhead [--campaigns 200] [--runs 3]

A: the ``.mops`` process of ten ``bench.noop`` tasks run by the interpreter.
B: bench.handwritten.HandwrittenSequential, the same ten activities by hand.
Each run starts a fresh worker process per side (same limits, same sandbox
settings), starts every campaign at once and waits for all of them; sides
alternate (A B, B A, A B). Latency is per campaign, from the server's own
timestamps (started to completed event); throughput is campaigns per second
of wall time, first start request to last result; CPU is the worker
process's user + system time over the run.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHandle, WorkflowHistory

from bench import handwritten
from bench._harness import (
    BENCH,
    Server,
    WorkerProcess,
    alternating,
    bounded,
    embedded_server,
    median,
    options,
    order,
    percentile,
    worker_process,
)
from bench._report import machine, spread, write_section
from bench._workload import STEPS, compile_text, sequential_text
from engine.client import start_campaign
from engine.ir import ProcessIR

FILE = "bench_sequential.mops"
FIXED = 5
"""Events of every campaign whatever its steps: started, the first workflow task
(scheduled, started, completed) and completed."""
LIMIT = 900.0
"""Seconds a run may take before it is called stalled (a figure would mean nothing)."""


@dataclass
class Run:
    """One side's run: what was measured."""

    seconds: float
    latencies: list[float]
    cpu: float
    server_cpu: float
    events: list[int]
    kinds: Counter[str]
    histories: list[WorkflowHistory] = field(repr=False)

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.seconds


@dataclass
class Figures:
    campaigns: int
    runs: dict[str, list[Run]] = field(
        default_factory=lambda: {"interpreter": [], "handwritten": []}
    )


async def start_one(
    client: Client, side: str, process: ProcessIR, task_queue: str
) -> WorkflowHandle[Any, Any]:
    campaign = f"{side}-{uuid.uuid4().hex[:12]}"
    if side.startswith("interpreter"):
        return await start_campaign(
            client, process, {}, task_queue=task_queue, credentials=BENCH, campaign_id=campaign
        )
    return await client.start_workflow(
        handwritten.SEQUENTIAL, args=[FILE, STEPS], id=campaign, task_queue=task_queue
    )


async def one_run(server: Server, side: str, process: ProcessIR, campaigns: int) -> Run:
    async with worker_process(server, side) as worker:
        return await drive(server, worker, side, process, campaigns)


async def drive(
    server: Server, worker: WorkerProcess, side: str, process: ProcessIR, campaigns: int
) -> Run:
    """Start ``campaigns`` at once on ``worker``'s task queue and wait for them all."""
    cpu, server_cpu = worker.cpu_seconds(), server.cpu_seconds()
    started = time.perf_counter()
    handles = await asyncio.gather(
        *(start_one(server.client, side, process, worker.task_queue) for _ in range(campaigns))
    )
    try:
        async with asyncio.timeout(LIMIT):
            await asyncio.gather(*(h.result() for h in handles))
    except TimeoutError:
        raise RuntimeError(
            f"{side}: campaigns still running after {LIMIT:.0f} s on task queue "
            f"{worker.task_queue}; see the server's log and `temporal task-queue describe`"
        ) from None
    seconds = time.perf_counter() - started
    cpu, server_cpu = worker.cpu_seconds() - cpu, server.cpu_seconds() - server_cpu
    histories = await bounded(20, [h.fetch_history for h in handles])
    latencies, kinds = [], Counter[str]()
    for history in histories:
        first, last = history.events[0], history.events[-1]
        took = last.event_time.ToDatetime() - first.event_time.ToDatetime()
        latencies.append(took.total_seconds())
        kinds.update(_kind(e.event_type) for e in history.events)
    return Run(
        seconds=seconds,
        latencies=latencies,
        cpu=cpu,
        server_cpu=server_cpu,
        events=[len(h.events) for h in histories],
        kinds=kinds,
        histories=histories,
    )


def _kinds_of_shortest(run: Run) -> Counter[str]:
    history = min(run.histories, key=lambda h: len(h.events))
    return Counter(_kind(e.event_type) for e in history.events)


def _kind(event_type: EventType.ValueType) -> str:
    return EventType.Name(event_type).removeprefix("EVENT_TYPE_")


async def measure(server: Server, *, campaigns: int, runs: int, warm_up: int = 10) -> Figures:
    process = compile_text(sequential_text(), FILE)
    for side in order(0):
        await one_run(server, side, process, warm_up)
    figures = Figures(campaigns=campaigns)
    await alternating(
        runs,
        lambda side: one_run(server, side, process, campaigns),
        figures.runs,
        lambda run: (
            f"{run.throughput:.1f} campaigns/s, "
            f"p50 {percentile(run.latencies, 0.5):.2f} s, cpu {run.cpu:.1f} s, "
            f"{median(run.events):.0f} events"
        ),
    )
    return figures


def ratios(figures: Figures, value: Any) -> list[float]:
    """Interpreter / hand-written, run by run (each pair measured side by side)."""
    return [
        value(a) / value(b)
        for a, b in zip(figures.runs["interpreter"], figures.runs["handwritten"], strict=True)
    ]


def render(figures: Figures, command: str) -> str:
    a, b = figures.runs["interpreter"], figures.runs["handwritten"]

    def row(label: str, value: Any, unit: str = "") -> str:
        return (
            f"| {label} | {spread([value(r) for r in a])}{unit} | "
            f"{spread([value(r) for r in b])}{unit} | {spread(ratios(figures, value))} |"
        )

    def p50(r: Run) -> float:
        return percentile(r.latencies, 0.5)

    def p95(r: Run) -> float:
        return percentile(r.latencies, 0.95)

    # The shortest history of each side: a campaign none of whose workflow tasks
    # timed out (on a loaded machine some do, adding two events each time).
    clean = {side: min(runs, key=lambda r: min(r.events)) for side, runs in figures.runs.items()}
    shortest = {side: min(r.events) for side, r in clean.items()}
    kinds_of = {side: _kinds_of_shortest(r) for side, r in clean.items()}
    per_kind = sorted(set(kinds_of["interpreter"]) | set(kinds_of["handwritten"]))
    kinds = "\n".join(
        f"| {k} | {kinds_of['interpreter'][k]} | {kinds_of['handwritten'][k]} |" for k in per_kind
    )
    timeouts = {
        side: sum(r.kinds["WORKFLOW_TASK_TIMED_OUT"] for r in runs)
        / sum(len(r.events) for r in runs)
        for side, runs in figures.runs.items()
    }
    return f"""\
Command: `{command}`. Machine: {machine()}.

{figures.campaigns} campaigns of ten sequential automated steps (each calls the
no-op action `bench.noop`) started at once, per side, {len(a)} runs alternating
(interpreter first, then hand-written first, ...), each side with a fresh worker
process (max 100 concurrent tasks, 1,000 cached campaigns, the interpreter's
sandbox settings for both). Median (min-max) over the runs; the ratio is
interpreter / hand-written, taken pair by pair. Throughput: campaigns per second
of wall time from the first start request to the last result. Latency: per
campaign, from the server's started event to its completed event. Worker CPU:
user + system seconds of the worker process during the run; server CPU, the same
for the `temporal server start-dev` process (the load generator is a third
process, not counted).

| | interpreter | hand-written | ratio |
|---|---:|---:|---:|
{row("throughput (campaigns/s)", lambda r: r.throughput)}
{row("p50 latency (s)", p50)}
{row("p95 latency (s)", p95)}
{row("worker CPU (s)", lambda r: r.cpu)}
{row("worker CPU per step (ms)", lambda r: r.cpu / (len(r.latencies) * STEPS) * 1000)}
{row("server CPU (s)", lambda r: r.server_cpu)}
{row("history events per campaign", lambda r: median(r.events))}

History events of a campaign none of whose workflow tasks timed out: interpreter
{shortest["interpreter"]}, hand-written {shortest["handwritten"]}, that is
{(shortest["interpreter"] - FIXED) / STEPS:g} and {(shortest["handwritten"] - FIXED) / STEPS:g}
per step beyond the {FIXED} every campaign has (started, its first workflow task,
completed). By kind:

| event | interpreter | hand-written |
|---|---:|---:|
{kinds}

Workflow task timeouts (a task not picked up or not finished within 10 s, which
adds two events) per campaign, over all runs: interpreter
{timeouts["interpreter"]:.2f}, hand-written {timeouts["handwritten"]:.2f}.
"""


async def _main(campaigns: int, runs: int) -> Figures:
    async with embedded_server() as server:
        return await measure(server, campaigns=campaigns, runs=runs)


def main(argv: list[str] | None = None) -> None:
    args, command = options("overhead", argv, campaigns=200, runs=3)
    figures = asyncio.run(_main(args.campaigns, args.runs))
    write_section("Interpreter overhead", render(figures, command))
