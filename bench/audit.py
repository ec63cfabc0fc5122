"""Audit speed: the timeline of a 10,000-event history, and exporting 1,000 campaigns.

    python -m bench audit [--runs N] [--campaigns N]

1. A campaign of about 1,450 tasks and as many rule decisions runs on the
   time-skipping test server until its history holds 10,000 events or more.
   A (decode every payload of the history, the least any reader does) and B
   (the auditors' timeline: ``read_timeline``, then the text ``mops history``
   prints) are timed alternately; the ratio is A/B.
2. ``--campaigns`` small campaigns (two tasks, a rule, an approval decided by a
   person) run to the end on the embedded server with one worker. A (list them
   and fetch every history, 16 at a time) and B (the whole ``mops audit
   export``: list, fetch, read the timelines, chain the records, JSON Lines) are
   timed alternately; the rate is campaigns per second of B.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import socket
import sysconfig
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from bench._harness import BENCH, BENCH_TRUST, options
from bench._report import machine, spread, write_section
from dsl import Catalogue, SourceFile, check_source
from engine.audit import (
    campaign_histories,
    export_records,
    read_timeline,
    render_timeline,
    selected_campaigns,
    selection_query,
    timelines,
    to_jsonl,
)
from engine.client import EmbeddedServer, Settings, act, seal_start
from engine.compiler import compile_process
from engine.ir import ProcessIR
from engine.workflow.campaign import CampaignStart
from engine.workflow.team import Member, TeamSnapshot
from engine.workflow.work_items import Act
from workers import WORKFLOWS, build_worker, builtin_registry, workflow_runner

CONVERTER = pydantic_data_converter.payload_converter
TEAM = TeamSnapshot(version="bench", people={"ana": Member(roles=("editor",))})
SMALL = """\
process promo "A promotion"
  input budget: money = 2500 EUR
  task brief = log.info(message: "brief")
  decide tier "Tier"
    when budget >= 1000 EUR -> "paid"
    otherwise -> "organic"
  approval review "Review"
    by role editor
    deadline 2 days
    escalate to role editor
  task publish = log.info(message: "publish {tier}")
  output tier = tier
"""


def compiled(text: str, name: str) -> ProcessIR:
    catalogue = Catalogue(builtin_registry().signatures())
    checked = check_source(SourceFile.from_text(text, name), catalogue)
    assert checked.ok, checked.diagnostics[:3]
    return compile_process(checked, catalogue)


def long_process(pairs: int) -> str:
    lines = ['process drip "A long drip"', "  input budget: money = 100 EUR"]
    for n in range(pairs):
        lines += [
            f'  task t{n} = log.info(message: "step {n}")',
            f"  decide d{n}",
            f'    when budget > {n} EUR -> "big"',
            '    otherwise -> "small"',
        ]
    return "\n".join(lines) + "\n"


def worker(client: Client, queue: str) -> Any:
    return build_worker(
        client,
        task_queue=queue,
        registry=builtin_registry(),
        workflows=WORKFLOWS,
        workflow_runner=workflow_runner(),
        trust=BENCH_TRUST,
    )


async def long_history() -> WorkflowHistory:
    """A real history of 10,000 events or more, from the time-skipping server."""
    server = Path(sysconfig.get_path("scripts")) / "temporal-test-server"
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter, test_server_existing_path=str(server)
    )
    try:
        process = compiled(long_process(1_450), "drip.mops")
        queue = f"bench-{uuid.uuid4().hex[:8]}"
        async with worker(env.client, queue):
            start = CampaignStart(
                process=process, inputs={}, started_by="bench", history_limit=10**6
            )
            campaign = f"drip-{uuid.uuid4().hex[:8]}"
            handle = await env.client.start_workflow(
                process.name,
                args=[start, seal_start(start, campaign, BENCH)],
                id=campaign,
                task_queue=queue,
            )
            await handle.result()
            return await handle.fetch_history()
    finally:
        await env.shutdown()


def decode_everything(history: WorkflowHistory) -> int:
    """A: every payload of every event decoded (inputs, results, memo, signals)."""
    count = 0
    for event in history.events:
        for field, value in event.ListFields():
            if field.name.endswith("_attributes"):
                for inner, payloads in value.ListFields():
                    if inner.name in ("input", "result") and payloads.payloads:
                        CONVERTER.from_payloads(payloads.payloads)
                        count += 1
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED:
            for (
                payload
            ) in event.workflow_properties_modified_event_attributes.upserted_memo.fields.values():
                CONVERTER.from_payload(payload)
                count += 1
    return count


def timeline_part(runs: int) -> tuple[str, int]:
    history = asyncio.run(long_history())
    bare: list[float] = []
    ours: list[float] = []
    for _ in range(runs):
        started = time.perf_counter()
        decode_everything(history)
        bare.append(time.perf_counter() - started)
        started = time.perf_counter()
        render_timeline(read_timeline([history]), dt.UTC)
        ours.append(time.perf_counter() - started)
    entries = len(read_timeline([history]).entries)
    ratio = [a / b for a, b in zip(bare, ours, strict=True)]
    row = (
        f"| {len(history.events):,} | {entries:,} | {spread(bare)} | {spread(ours)} | "
        f"{spread(ratio)} |"
    )
    print(row, flush=True)
    return row, len(history.events)


async def fetch_all(client: Client, campaigns: list[str]) -> None:
    """A: every history of every run fetched, 16 campaigns at a time."""
    limit = asyncio.Semaphore(16)

    async def one(campaign: str) -> None:
        async with limit:
            await campaign_histories(client, campaign)

    await asyncio.gather(*(one(c) for c in campaigns))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def export_part(campaigns: int, runs: int) -> str:
    home = Path(tempfile.mkdtemp(prefix="mops-bench-audit-"))
    settings = Settings(
        state_dir=home, server_port=free_port(), task_queue=f"bench-{uuid.uuid4().hex[:6]}"
    )
    server = EmbeddedServer(settings)
    info = await server.ensure_running_async()
    try:
        client = await Client.connect(info.address, data_converter=pydantic_data_converter)
        process = compiled(SMALL, "promo.mops")
        promo = CampaignStart(process=process, inputs={}, started_by="bench", team=TEAM)
        queue = settings.task_queue
        async with worker(client, queue):
            handles = [
                await client.start_workflow(
                    process.name,
                    args=[promo, seal_start(promo, f"promo-{n:05d}", BENCH)],
                    id=f"promo-{n:05d}",
                    task_queue=queue,
                )
                for n in range(campaigns)
            ]
            limit = asyncio.Semaphore(16)

            async def decide(handle: Any) -> None:
                async with limit:
                    await approve_review(client, handle.id, tries=200, pause=0.1)
                    await handle.result()

            await asyncio.gather(*(decide(h) for h in handles))
        clauses = selection_query(task_queue=queue, process="promo")
        for _ in range(600):
            if len(await selected_campaigns(client, clauses)) >= campaigns:
                break
            await asyncio.sleep(0.5)
        fetch: list[float] = []
        export: list[float] = []
        records = 0
        for _ in range(runs):
            started = time.perf_counter()
            await fetch_all(client, await selected_campaigns(client, clauses))
            fetch.append(time.perf_counter() - started)
            started = time.perf_counter()
            chosen = await selected_campaigns(client, clauses)
            chained = export_records(await timelines(client, chosen))
            to_jsonl(chained)
            export.append(time.perf_counter() - started)
            records = len(chained)
        ratio = [a / b for a, b in zip(fetch, export, strict=True)]
        rate = [campaigns / b for b in export]
        row = (
            f"| {campaigns:,} | {records:,} | {spread(fetch)} | {spread(export)} | "
            f"{spread(rate)} | {spread(ratio)} |"
        )
        print(row, flush=True)
        return row
    finally:
        server.stop()


def main(argv: list[str] | None = None) -> None:
    args, command = options("audit", argv, runs=5, campaigns=1_000)
    os.environ.pop("TEMPORAL_ADDRESS", None)
    timeline_row, events = timeline_part(args.runs)
    export_row = asyncio.run(export_part(args.campaigns, max(2, args.runs // 2)))
    body = f"""\
Command: `{command}`.
Machine: {machine()}.

**Timeline of a long history.** A real history of {events:,} events (a campaign
of 1,450 tasks and 1,450 rule decisions on the time-skipping server), already
fetched. Seconds, median (min-max) of {args.runs} alternating runs. "Decode" is
A: decoding every payload of every event, the least any reader of the history
does; "timeline" is B: `read_timeline` plus the text `mops history` prints. The
ratio is A/B (1.0 = the timeline costs no more than decoding). Target: under a
second.

| events | entries | decode (s) | timeline (s) | ratio |
|---:|---:|---:|---:|---:|
{timeline_row}

**Export of finished campaigns.** Campaigns of two tasks, a rule and an
approval, finished, on the embedded server (SQLite). "Fetch" is A: the
visibility query and every history fetched, 16 at a time; "export" is B: the
whole `mops audit export` (query, fetch, timelines, hash chain, JSON Lines
text). Seconds, median (min-max) of {max(2, args.runs // 2)} alternating runs;
the rate is campaigns per second of B; the ratio is A/B.

| campaigns | records | fetch (s) | export (s) | campaigns/s | ratio |
|---:|---:|---:|---:|---:|---:|
{export_row}
"""
    write_section("Audit", body)


if __name__ == "__main__":
    main()


async def approve_review(client: Client, campaign: str, *, tries: int, pause: float) -> None:
    """Ana approves the campaign's review as soon as it is open (looking ``tries``
    times, ``pause`` seconds apart)."""
    for _ in range(tries):
        try:
            await act(
                client,
                campaign,
                Act(step="review", actor="ana", action="approve"),
                credentials=BENCH.asserting("ana"),
            )
            return
        except Exception:  # not open yet
            await asyncio.sleep(pause)
