"""What signing costs: the seal of each start and decision, beside what they take.

    python -m bench provenance [--campaigns 200] [--runs 3]

Every start and decision is signed by its sender and checked by the campaign
(docs/security.md). In one run this measures, side by side:

- the start and the decision as users feel them, on the embedded server: the
  campaigns of bench/approvals.py started until all wait (time per start), and
  each approved as ``mops approve`` does (round trip p50 and p95, 100 in flight;
  and 40 more sent one at a time, the round trip a person feels);
- the extra work the seals add to each: making the seal on the client
  (serialising the payload, hashing it, and for a start the IR's content hash,
  and the Ed25519 signature) and checking it in the campaign (the same hashes and
  the signature check), timed over many repetitions on the same payloads.

The share of the second in the first is how much slower signing makes a start
and a decision (target: at most 5 %).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from bench import approvals
from bench._harness import (
    BENCH,
    BENCH_TRUST,
    Server,
    embedded_server,
    median,
    options,
    percentile,
    until_started,
    worker_process,
)
from bench._report import machine, write_section
from bench._workload import APPROVAL_TEXT, APPROVER, TEAM, compile_text
from engine.client import act, payload_bytes, seal_start
from engine.ir import ProcessIR
from engine.workflow.campaign import CampaignStart
from engine.workflow.provenance import check, ir_hash
from engine.workflow.work_items import Act

REPEAT = 2000
LONE = 40


@dataclass
class Figures:
    campaigns: int
    start_seconds: list[float] = field(default_factory=list)
    """Per run: seconds per start, started until all wait, 100 in flight."""
    round_trips: list[list[float]] = field(default_factory=list)
    """Per run: each decision's round trip, 100 in flight."""
    lone_trips: list[float] = field(default_factory=list)
    """Decisions sent one at a time, each waited for: the round trip a person feels."""
    seal_start: float = 0.0
    check_start: float = 0.0
    seal_decision: float = 0.0
    check_decision: float = 0.0


def per_call(work: Callable[[], object]) -> float:
    """Median seconds of one call of ``work``, over batches."""
    batches = []
    for _ in range(5):
        began = time.perf_counter()
        for _ in range(REPEAT // 5):
            work()
        batches.append((time.perf_counter() - began) / (REPEAT // 5))
    return median(batches)


def measure_seals(figures: Figures) -> None:
    process = compile_text(APPROVAL_TEXT, "bench_approval.mops")
    start = CampaignStart(process=process, inputs={}, started_by="bench", team=TEAM)
    campaign = "bench-provenance-0001"
    sealed = seal_start(start, campaign, BENCH)
    sent = payload_bytes(start)
    figures.seal_start = per_call(lambda: seal_start(start, campaign, BENCH))

    def check_start() -> None:
        check(BENCH_TRUST, "start", campaign, sent, sealed)
        ir_hash(sent)

    figures.check_start = per_call(check_start)
    act = Act(step="review", actor=APPROVER, action="approve")
    as_person = BENCH.asserting(APPROVER)
    body = payload_bytes(act)
    seal = as_person.signer.sign("act", campaign, body, as_person, nonce="n" * 32)
    figures.seal_decision = per_call(
        lambda: as_person.signer.sign("act", campaign, payload_bytes(act), as_person, nonce="n")
    )
    figures.check_decision = per_call(
        lambda: check(BENCH_TRUST, "act", campaign, body, seal, nonce="n" * 32)
    )


async def measure(server: Server, *, campaigns: int, runs: int) -> Figures:
    figures = Figures(campaigns=campaigns)
    process = compile_text(APPROVAL_TEXT, "bench_approval.mops")
    await approvals.one_run(server, "interpreter", process, 10)  # warm up
    for number in range(runs):
        run = await approvals.one_run(server, "interpreter", process, campaigns)
        figures.start_seconds.append(run.start_seconds / campaigns)
        figures.round_trips.append(run.round_trips)
        print(
            f"run {number + 1}: {run.start_seconds / campaigns * 1000:.2f} ms per start, "
            f"round trip p50 {percentile(run.round_trips, 0.5) * 1000:.1f} ms",
            flush=True,
        )
    figures.lone_trips = await one_at_a_time(server, process, LONE)
    measure_seals(figures)
    return figures


async def one_at_a_time(server: Server, process: ProcessIR, count: int) -> list[float]:
    """Round trips of ``count`` decisions, each sent when the one before was answered."""
    async with worker_process(server, "interpreter") as worker:
        handles = await approvals.start_waiting(
            server, "interpreter", process, worker.task_queue, count
        )
        await until_started(handles)
        decision = Act(step="review", actor=APPROVER, action="approve")
        trips = []
        for handle in handles:
            sent = time.perf_counter()
            await act(server.client, handle.id, decision, credentials=approvals.AS_ANA)
            trips.append(time.perf_counter() - sent)
    return trips


def render(figures: Figures, command: str) -> str:
    per_start = median(figures.start_seconds)
    p50 = median([percentile(r, 0.5) for r in figures.round_trips])
    p95 = median([percentile(r, 0.95) for r in figures.round_trips])
    start_cost = figures.seal_start + figures.check_start
    decision_cost = figures.seal_decision + figures.check_decision
    lone = percentile(figures.lone_trips, 0.5)
    crowded_share, lone_share = f"{decision_cost / p50:.1%}", f"{decision_cost / lone:.1%}"

    def ms(seconds: float) -> str:
        return f"{seconds * 1000:.3f}"

    return f"""\
Command: `{command}`. Machine: {machine()}.

{len(figures.round_trips)} runs of {figures.campaigns} campaigns of the approval
process of bench/approvals.py on the embedded server (100 starts and decisions in
flight at once), and in the same process the seals of the same start and decision,
made and checked {REPEAT} times each (median per call). Signing and checking run in
the client and in the worker's workflow task, on the path of every start and decision.

| | milliseconds | share of what it takes |
|---|---:|---:|
| a start, started until it waits (per start, 100 in flight) | {ms(per_start)} | |
| seal of a start: made by the client | {ms(figures.seal_start)} | |
| seal of a start: checked by the campaign (signature and IR hash) | {ms(figures.check_start)} | |
| **signing's share of a start** | {ms(start_cost)} | **{start_cost / per_start:.1%}** |
| a decision's round trip, p50 | {ms(p50)} | |
| a decision's round trip, p95 | {ms(p95)} | |
| seal of a decision: made by the client | {ms(figures.seal_decision)} | |
| seal of a decision: checked by the update validator | {ms(figures.check_decision)} | |
| **signing's share (p50, 100 in flight)** | {ms(decision_cost)} | **{crowded_share}** |
| a decision's round trip, one at a time, p50 of {len(figures.lone_trips)} | {ms(lone)} | |
| **signing's share of a decision sent alone (p50)** | {ms(decision_cost)} | **{lone_share}** |
"""


async def _main(campaigns: int, runs: int) -> Figures:
    async with embedded_server() as server:
        return await measure(server, campaigns=campaigns, runs=runs)


def main(argv: list[str] | None = None) -> None:
    args, command = options("provenance", argv, campaigns=200, runs=3)
    figures = asyncio.run(_main(args.campaigns, args.runs))
    write_section("What signing costs", render(figures, command))
