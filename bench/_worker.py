"""One benchmark worker, in its own process so that its CPU time and memory are its own.

    python -m bench._worker ADDRESS TASK_QUEUE {interpreter|handwritten} [--max-cached N]
        [--trust FILE]

Both sides get the same registry, the same limits and the same sandbox
settings (workers._sandbox.workflow_runner); only the workflow classes differ.
``--trust`` adds the keys of a trust file (the people's app's, for bench.app) to
the benchmarks' own. Prints ``ready`` once it polls, and stops on SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import WorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from bench import handwritten
from bench._harness import BENCH_TRUST
from bench._workload import registry
from engine.client import load_trust
from workers import PASSED_THROUGH, WORKFLOWS, build_worker, run_worker, workflow_runner

SIDES: dict[str, tuple[type, ...]] = {
    "interpreter": WORKFLOWS,
    "handwritten": handwritten.WORKFLOWS,
    # An experiment, not a setting we ship: the interpreter with its own two
    # modules passed through the sandbox as well (see docs/benchmarks.md).
    "interpreter_passthrough": WORKFLOWS,
}
INTERPRETER_MODULES = ("engine.workflow._interpreter", "engine.workflow._people_steps")


def runner(side: str) -> WorkflowRunner:
    if side != "interpreter_passthrough":
        return workflow_runner()
    restrictions = SandboxRestrictions.default.with_passthrough_modules(
        *PASSED_THROUGH, *INTERPRETER_MODULES
    )
    return SandboxedWorkflowRunner(restrictions=restrictions)


MAX_TASKS = 100
"""``mops worker``'s default --max-tasks."""
MAX_CACHED = 1000
"""``mops worker``'s default --max-cached."""


async def serve(
    address: str, task_queue: str, side: str, max_cached: int, trust_file: Path | None = None
) -> None:
    trust = BENCH_TRUST
    if trust_file is not None:
        keys = {**BENCH_TRUST.keys, **load_trust(trust_file).keys}
        trust = BENCH_TRUST.model_copy(update={"keys": keys})
    client = await Client.connect(address, data_converter=pydantic_data_converter)
    worker = build_worker(
        client,
        task_queue=task_queue,
        registry=registry(),
        workflows=SIDES[side],
        workflow_runner=runner(side),
        max_concurrent_activities=MAX_TASKS,
        max_cached_workflows=max_cached,
        trust=trust,
    )
    print("ready", flush=True)
    await run_worker(worker)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench._worker")
    parser.add_argument("address")
    parser.add_argument("task_queue")
    parser.add_argument("side", choices=sorted(SIDES))
    parser.add_argument("--max-cached", type=int, default=MAX_CACHED)
    parser.add_argument("--trust", type=Path, default=None)
    args = parser.parse_args()
    try:
        asyncio.run(serve(args.address, args.task_queue, args.side, args.max_cached, args.trust))
    except KeyboardInterrupt:
        sys.exit(130)
    # The SDK's core threads can still call into Python while the interpreter
    # finalizes, which aborts the process (PyGILState_Release) about one exit in
    # three; the measurement is over by now, so leave without finalizing.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
