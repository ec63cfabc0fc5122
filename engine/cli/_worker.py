"""``mops worker``: a long-lived worker; SIGINT/SIGTERM let running tasks finish."""

from __future__ import annotations

import argparse
import logging
import sys

from engine.cli._common import connected, registry
from engine.runtime import WORKFLOWS, workflow_runner
from workers import build_worker, run_worker


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("worker", help="run a worker until SIGINT/SIGTERM")
    parser.add_argument("--max-tasks", type=int, default=100, help="actions running at once")
    parser.add_argument(
        "--max-cached", type=int, default=1000, help="campaigns kept in memory between steps"
    )
    parser.set_defaults(handler=run)


def configure_logging() -> None:
    """Worker logs go to stderr, one line each; httpx is quietened because it logs full
    URLs, which may carry tokens."""
    logging.basicConfig(
        level=logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("temporalio").setLevel(logging.WARNING)


async def run(args: argparse.Namespace) -> int:
    configure_logging()
    actions = registry()
    client, info, settings = await connected()
    worker = build_worker(
        client,
        task_queue=settings.task_queue,
        registry=actions,
        workflows=WORKFLOWS,
        workflow_runner=workflow_runner(),
        max_concurrent_activities=args.max_tasks,
        max_cached_workflows=args.max_cached,
    )
    where = "embedded server" if info.embedded else "cluster"
    print(
        f"mops worker: {len(actions.names)} actions on task queue '{settings.task_queue}' "
        f"at {info.address} ({where}, namespace {info.namespace}); Ctrl-C to stop",
        file=sys.stderr,
        flush=True,
    )
    await run_worker(worker)
    print("mops worker: stopped", file=sys.stderr)
    return 0
