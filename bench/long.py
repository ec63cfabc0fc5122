"""Long: one campaign works through a big list, and its history stays bounded.

    python -m bench long [--leads 10000] [--one-at-a-time 3000]

Two campaigns on one embedded server and one worker process, with the
production history bound (10,000 events): ``bench_long_batch`` touches every
lead of a list with ``for each lead in leads, 20 at a time``, and
``bench_long_one`` does the same one lead at a time. Each touch is a task
(the no-op action). The benchmark follows every run of each campaign (through
``continued as new``) and reports how many runs it took, the longest run's
history, the largest input a run started with (what was carried), the wall
time and the touches per second. Nothing is asserted here: the suite tests the
behaviour (tests/test_long_blocks.py); this measures it at full size.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from dataclasses import dataclass

from temporalio.client import Client

from bench._harness import BENCH, Server, embedded_server, worker_process
from bench._report import machine, write_section
from bench._workload import compile_text
from engine.client import seal_start
from engine.workflow.campaign import CampaignStart

TEXT = """\
process {name} "Every lead of a big list"
  input leads: list of email
  for each lead in leads{at_a_time}
    task touch "Touch the lead" = bench.noop()
  output touched = len(leads)
"""
LIMIT = CampaignStart.model_fields["history_limit"].default


@dataclass
class Figures:
    name: str
    leads: int
    seconds: float
    runs: int
    longest: int
    events: int
    largest_input: int
    touched: int


async def follow(client: Client, campaign: str, first_run: str) -> tuple[int, int, int, int]:
    """Runs, the longest run's events, all events, and the largest input a run started with."""
    runs, longest, total, largest = 0, 0, 0, 0
    run: str | None = first_run
    while run:
        history = await client.get_workflow_handle(campaign, run_id=run).fetch_history()
        runs += 1
        longest = max(longest, len(history.events))
        total += len(history.events)
        started = history.events[0].workflow_execution_started_event_attributes
        largest = max(largest, sum(len(p.data) for p in started.input.payloads))
        last = history.events[-1]
        if last.HasField("workflow_execution_continued_as_new_event_attributes"):
            run = last.workflow_execution_continued_as_new_event_attributes.new_execution_run_id
        else:
            run = None
    return runs, longest, total, largest


async def one_campaign(
    server: Server, queue: str, name: str, leads: int, batch: int, limit: int
) -> Figures:
    text = TEXT.format(name=name, at_a_time=f", {batch} at a time" if batch > 1 else "")
    process = compile_text(text, f"{name}.mops")
    emails = [f"lead{n}@example.com" for n in range(leads)]
    start = CampaignStart(
        process=process, inputs={"leads": emails}, started_by="bench", history_limit=limit
    )
    campaign = f"{name}-{uuid.uuid4().hex[:6]}"
    began = time.perf_counter()
    handle = await server.client.start_workflow(
        process.name,
        args=[start, seal_start(start, campaign, BENCH)],
        id=campaign,
        task_queue=queue,
    )
    result = await handle.result()
    seconds = time.perf_counter() - began
    assert handle.first_execution_run_id is not None
    runs, longest, total, largest = await follow(
        server.client, handle.id, handle.first_execution_run_id
    )
    print(f"{name}: {leads} leads in {seconds:.1f} s, {runs} runs, longest {longest}", flush=True)
    touched = result["outputs"]["touched"]
    return Figures(name, leads, seconds, runs, longest, total, largest, touched)


async def measure(
    server: Server, *, leads: int, one_at_a_time: int, limit: int = LIMIT
) -> list[Figures]:
    async with worker_process(server, "interpreter") as worker:
        queue = worker.task_queue
        return [
            await one_campaign(server, queue, "bench_long_batch", leads, 20, limit),
            await one_campaign(server, queue, "bench_long_one", one_at_a_time, 1, limit),
        ]


async def _main(leads: int, one_at_a_time: int) -> list[Figures]:
    async with embedded_server() as server:
        return await measure(server, leads=leads, one_at_a_time=one_at_a_time)


def render(figures: list[Figures], command: str) -> str:
    rows = "\n".join(
        f"| `{f.name}` | {f.leads:,} | {f.touched:,} | {f.seconds:.1f} | "
        f"{f.leads / f.seconds:.0f} | {f.runs} | {f.longest:,} | {f.events:,} | "
        f"{f.largest_input / 1024:.0f} KiB |"
        for f in figures
    )
    return f"""\
Command: `{command}`. Machine: {machine()}. One run.

One campaign each, on one embedded server and one worker process, with the
production history bound of {LIMIT:,} events: every lead of the list is touched
by a task (the no-op action), 20 at a time (`bench_long_batch`, which holds back
its next items, lets those under way finish and continues as new) or one at a
time (`bench_long_one`, which continues as new between two steps of an item).
"Longest run" counts the events of the longest run's history, "events" those
of all its runs. "Largest input" is the biggest start payload of any run: the process, the
inputs and what was carried (the names, and the items still to do).

| campaign | leads | touched | seconds | touches/s | runs | longest run | events | largest input |
|---|---:|---:|---:|---:|---:|---:|---:|---:|
{rows}
"""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench long")
    parser.add_argument("--leads", type=int, default=10_000)
    parser.add_argument("--one-at-a-time", type=int, default=3_000)
    args = parser.parse_args(argv)
    figures = asyncio.run(_main(args.leads, args.one_at_a_time))
    command = f"python -m bench long --leads {args.leads} --one-at-a-time {args.one_at_a_time}"
    write_section("Long campaigns", render(figures, command))
