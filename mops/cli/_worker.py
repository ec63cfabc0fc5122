"""``mops worker``: a long-lived worker; SIGINT/SIGTERM let running tasks finish."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

from pydantic import ValidationError
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

from engine.client import ServerInfo, Settings, connect, keep_embedded_server
from engine.errors import UserError
from mops.cli._commands import summary
from mops.cli._connect import trust
from mops.cli._logging import configure
from mops.cli._prepare import registry
from workers import (
    WORKFLOWS,
    WorkerConfig,
    build_worker,
    notice_problems,
    run_worker,
    settings_problem,
    workflow_runner,
)


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("worker", help=summary("worker"))
    parser.add_argument(
        "--task-queue", help="the task queue to poll (default: MOPS_TASK_QUEUE or 'mops')"
    )
    parser.add_argument(
        "--max-tasks", type=_positive, default=100, help="actions running at once (default 100)"
    )
    parser.add_argument(
        "--max-cached",
        type=_not_negative,
        default=1000,
        help="campaigns kept in memory between steps (default 1000)",
    )
    parser.add_argument(
        "--metrics-port",
        type=_port,
        default=None,
        help="serve Prometheus metrics on 127.0.0.1:PORT/metrics (default: MOPS_METRICS_PORT, off)",
    )
    parser.add_argument(
        "--metrics-host", default="127.0.0.1", help="address for the metrics endpoint"
    )
    parser.add_argument(
        "--log-format",
        choices=["text", "json"],
        default="text",
        help="how the worker logs: lines for people (text) or JSON lines for log shippers",
    )
    parser.set_defaults(handler=run)


def _say(message: str) -> None:
    print(f"mops worker: {message}", file=sys.stderr, flush=True)


def _number(text: str, low: int, what: str) -> int:
    if not text.isdigit() or int(text) < low:
        raise argparse.ArgumentTypeError(f"'{text}' is not {what}")
    return int(text)


def _positive(text: str) -> int:
    return _number(text, 1, "a whole number of at least 1")


def _not_negative(text: str) -> int:
    return _number(text, 0, "a whole number of at least 0")


def _port(text: str) -> int:
    port = _number(text, 0, "a port number")
    if port > 65535:
        raise argparse.ArgumentTypeError(f"'{text}' is not a port number")
    return port


async def run(args: argparse.Namespace) -> int:
    configure(args.log_format)
    if args.metrics_port is None:
        try:
            args.metrics_port = _port(os.environ.get("MOPS_METRICS_PORT", "0") or "0")
        except argparse.ArgumentTypeError as error:
            raise UserError(f"MOPS_METRICS_PORT: {error}") from None
    settings = Settings.from_env()
    if args.task_queue:
        settings = settings.model_copy(update={"task_queue": args.task_queue})
    try:
        config = WorkerConfig.from_env()
    except ValidationError as error:
        raise UserError(f"worker setting: {settings_problem(error)}") from None
    actions = registry()
    runtime = None
    if args.metrics_port:
        address = f"{args.metrics_host}:{args.metrics_port}"
        try:
            runtime = Runtime(
                telemetry=TelemetryConfig(metrics=PrometheusConfig(bind_address=address))
            )
        except Exception as error:  # the SDK's core reports a busy port as a plain error
            raise UserError(f"cannot serve metrics on {address}: {error}") from None
    client, info = await connect(settings, runtime=runtime)
    worker = build_worker(
        client,
        task_queue=settings.task_queue,
        registry=actions,
        workflows=WORKFLOWS,
        workflow_runner=workflow_runner(),
        max_concurrent_activities=args.max_tasks,
        max_cached_workflows=args.max_cached,
        config=config,
        trust=trust(settings),
    )
    where = "embedded server" if info.embedded else "cluster"
    metrics = (
        f"; metrics at http://{args.metrics_host}:{args.metrics_port}/metrics"
        if args.metrics_port
        else ""
    )
    print(
        f"mops worker: {len(actions.names)} actions on task queue '{settings.task_queue}' "
        f"at {info.address} ({where}, namespace {info.namespace}){metrics}; Ctrl-C to stop",
        file=sys.stderr,
        flush=True,
    )
    for problem in notice_problems(config):
        _say(f"warning: notices will reach nobody: {problem}")
    watching = None
    if info.embedded:
        # A server killed under the worker comes back on the same port, by itself.
        async def moved(_: ServerInfo) -> None:
            # Polls in flight finish on the old connection; new ones use this one.
            worker.client, _info = await connect(settings, start_embedded=False, runtime=runtime)

        watching = asyncio.create_task(
            keep_embedded_server(settings, say=_say, address=info.address, moved=moved)
        )
    try:
        await run_worker(worker)
    finally:
        if watching is not None:
            watching.cancel()
    print("mops worker: stopped", file=sys.stderr)
    return 0
