"""``mops insights`` over many finished campaigns: the first build, and every run after it.

    python -m bench insights [--campaigns N] [--runs N] [--reuse DIR --queue TASK_QUEUE]

``--campaigns`` small campaigns (two tasks, a rule, an approval decided by a
person) run to the end on the embedded server with one worker. Then, side by
side in one run:

- A, **fetch alone**: list the campaigns and fetch every history, 16 at a time
  (the least any reader of the system of record does);
- B, **first build**: ``refresh`` into an empty store (list, fetch, read each
  timeline's facts, store them);
- C, **insights after**: the whole ``mops insights`` command, as a user runs
  it (a new process: start-up, connect, refresh — nothing new to read —, load
  the store, the figures, the text);
- D, **insights again**: the same command once more (nothing closed since: the
  figures kept with the store).

B/A says how far the first build is from being bounded by the fetch; C is
timed against the target of 2 s. Making 10,000 campaigns takes about half an
hour: ``--reuse`` measures over the campaigns of an earlier run instead (its
state directory, which the benchmark leaves behind, and its task queue).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import subprocess
import sysconfig
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import UnsandboxedWorkflowRunner

from bench._harness import BENCH, BENCH_TRUST, options
from bench._report import machine, spread, write_section
from bench.audit import SMALL, TEAM, approve_review, compiled, fetch_all, free_port
from engine.audit import selected_campaigns, selection_query
from engine.client import EmbeddedServer, Settings, seal_start
from engine.insights import FILE_NAME, Store, refresh
from engine.workflow.campaign import CampaignStart
from workers import WORKFLOWS, build_worker, builtin_registry

MOPS = Path(sysconfig.get_path("scripts")) / "mops"


async def _campaigns(client: Client, queue: str, count: int) -> None:
    """``count`` finished campaigns, an approval decided in each."""
    process = compiled(SMALL, "promo.mops")
    # Making them is not what is measured: the interpreter runs unsandboxed here.
    async with build_worker(
        client,
        task_queue=queue,
        registry=builtin_registry(),
        workflows=WORKFLOWS,
        workflow_runner=UnsandboxedWorkflowRunner(),
        max_cached_workflows=2000,
        trust=BENCH_TRUST,
    ):
        limit = asyncio.Semaphore(64)

        async def one(number: int) -> None:
            async with limit:
                campaign = f"promo-{number:05d}"
                start = CampaignStart(process=process, inputs={}, started_by="bench", team=TEAM)
                handle = await client.start_workflow(
                    process.name,
                    args=[start, seal_start(start, campaign, BENCH)],
                    id=campaign,
                    task_queue=queue,
                )
                await approve_review(client, handle.id, tries=400, pause=0.05)
                await handle.result()

        await asyncio.gather(*(one(n) for n in range(count)))


async def _measure(
    campaigns: int, runs: int, reuse: tuple[Path, str] | None = None
) -> tuple[str, dict[str, Any]]:
    if reuse is None:
        home = Path(tempfile.mkdtemp(prefix="mops-bench-insights-"))
        queue = f"bench-{uuid.uuid4().hex[:6]}"
    else:
        home, queue = reuse
    settings = Settings(state_dir=home, server_port=free_port(), task_queue=queue)
    server = EmbeddedServer(settings)
    info = await server.ensure_running_async()
    try:
        client = await Client.connect(info.address, data_converter=pydantic_data_converter)
        made: float | None = None
        if reuse is None:
            started = time.perf_counter()
            await _campaigns(client, queue, campaigns)
            made = time.perf_counter() - started
        clauses = selection_query(task_queue=queue)
        for _ in range(600):
            if len(await selected_campaigns(client, clauses)) >= campaigns:
                break
            await asyncio.sleep(0.5)
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("TEMPORAL_")},
            "MOPS_HOME": str(home),
            "MOPS_SERVER_PORT": str(settings.server_port),
            "MOPS_TASK_QUEUE": queue,
        }
        fetch: list[float] = []
        build: list[float] = []
        after: list[float] = []
        again: list[float] = []
        after_cpu: list[float] = []
        again_cpu: list[float] = []
        store_file = home / FILE_NAME
        for _ in range(runs):
            started = time.perf_counter()
            await fetch_all(client, await selected_campaigns(client, clauses))
            fetch.append(time.perf_counter() - started)
            store = Store(store_file)
            store.clear()
            started = time.perf_counter()
            taken = await refresh(client, store, clauses)
            build.append(time.perf_counter() - started)
            store.close()
            assert taken.taken_in == campaigns, taken
            started, cpu = time.perf_counter(), _children_cpu()
            shown = await asyncio.to_thread(
                subprocess.run,
                [str(MOPS), "insights"],
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            after.append(time.perf_counter() - started)
            after_cpu.append(_children_cpu() - cpu)
            assert f"{campaigns} campaigns: {campaigns} completed" in shown.stdout, shown.stdout
            started, cpu = time.perf_counter(), _children_cpu()
            await asyncio.to_thread(
                subprocess.run, [str(MOPS), "insights"], env=env, capture_output=True, check=True
            )
            again.append(time.perf_counter() - started)
            again_cpu.append(_children_cpu() - cpu)
        ratio = [b / a for a, b in zip(fetch, build, strict=True)]
        row = (
            f"| {campaigns:,} | {spread(fetch)} | {spread(build)} | {spread(ratio)} | "
            f"{spread(after)} | {spread(after_cpu)} | {spread(again)} | {spread(again_cpu)} |"
        )
        print(row, flush=True)
        return row, {"made": made, "store_bytes": store_file.stat().st_size}
    finally:
        server.stop()


def _children_cpu() -> float:
    """CPU seconds of the child processes waited for so far (the commands timed)."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def main(argv: list[str] | None = None) -> None:
    reusing = argparse.ArgumentParser(add_help=False)
    reusing.add_argument("--reuse", type=Path, metavar="DIR")
    reusing.add_argument("--queue", metavar="TASK_QUEUE")
    given, rest = reusing.parse_known_args(argv)
    args, command = options("insights", rest, campaigns=10_000, runs=3)
    reuse = None
    if given.reuse is not None:
        if not given.queue:
            raise SystemExit("--reuse DIR needs --queue (the task queue its campaigns ran on)")
        reuse = (given.reuse, given.queue)
        command += f" --reuse {given.reuse} --queue {given.queue}"
    os.environ.pop("TEMPORAL_ADDRESS", None)
    row, extra = asyncio.run(_measure(args.campaigns, args.runs, reuse))
    made = (
        f"made in {extra['made']:.0f} s"
        if extra["made"] is not None
        else "made by an earlier run of this benchmark and reused (`--reuse`: its state directory, "
        "server database included)"
    )
    body = f"""\
Command: `{command}`.
Machine: {machine()}; load average {os.getloadavg()[0]:.1f} at the end.

{args.campaigns:,} finished campaigns of two tasks, a rule and an approval decided
by a person, on the embedded server (SQLite), {made}. Seconds,
median (min-max) of {args.runs} runs, the three measured one after another in each
run. "Fetch" is A: the visibility query and every history fetched, 16 at a time;
"first build" is B: `refresh` into an empty analytics store (query, fetch, each
timeline's facts, stored); the ratio is B/A (1.0 = the build costs no more than
the fetch). "Insights" is the whole `mops insights` command run as a new process
over the built store ({extra["store_bytes"] / 1e6:.1f} MB): start-up, connect,
refresh (nothing new), load, figures, text; "again" is the same command once more
(the figures kept with the store, nothing having closed since); "CPU" is the
command's own CPU time (user and system). Target: 2 s.

| campaigns | fetch (s) | first build (s) | build/fetch | `mops insights` after (s) | CPU (s) \
| again (s) | CPU (s) |
|---:|---:|---:|---:|---:|---:|---:|---:|
{row}
"""
    write_section("Insights", body)
    print(body)
