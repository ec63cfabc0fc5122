"""The Temporal worker that runs a registry's actions and the engine's workflows.

The composition root passes the workflow classes in: workers never import the
engine's interpreter.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Sequence
from datetime import timedelta

from temporalio.client import Client
from temporalio.worker import Worker, WorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

from engine.contracts import Trust, register_trust
from workers._config import WorkerConfig
from workers._registry import Registry
from workers._secrets import SecretStore

__all__ = ["build_worker", "run_worker"]

_log = logging.getLogger("mops.worker")


def build_worker(
    client: Client,
    *,
    task_queue: str,
    registry: Registry,
    workflows: Sequence[type],
    max_concurrent_activities: int = 100,
    max_cached_workflows: int = 1000,
    workflow_runner: WorkflowRunner | None = None,
    graceful_shutdown_timeout: timedelta = timedelta(seconds=30),
    config: WorkerConfig | None = None,
    secrets: SecretStore | None = None,
    trust: Trust | None = None,
    patient: bool = False,
) -> Worker:
    """A worker that runs ``registry``'s actions and ``workflows`` on ``task_queue``.

    Args:
        client: Connected Temporal client; its data converter must handle the
            pydantic ``TaskRequest`` (``temporalio.contrib.pydantic``).
        task_queue: The task queue to poll.
        registry: The actions to offer, one activity each.
        workflows: Workflow classes to run, usually the engine's interpreter.
        max_concurrent_activities: Actions running at once on this worker.
        max_cached_workflows: Workflows kept in memory between tasks; 0 makes
            every task replay from the start, which tests use to catch
            non-determinism.
        workflow_runner: How workflow code is isolated; the SDK's sandbox by default.
        graceful_shutdown_timeout: On shutdown, how long running actions may
            take to finish before they are cancelled.
        config: What built-in actions need to reach the world (default: from
            the ``MOPS_*`` environment variables).
        secrets: Where secret references are resolved (default: environment
            and the configured secrets file).
        trust: The public keys whose seals the campaigns on ``task_queue`` accept
            (starts, decisions, signals); without it they accept none.
        patient: No deadlock detection. The SDK fails a workflow activation
            that takes over 2 s as a potential deadlock; on a loaded machine the
            interpreter rebuilding a campaign can take that long, and when it
            happens to a query the SDK drops the query's answer and the worker
            then never shuts down (a scenario run once waited for it for ten
            minutes). For the scenario runner and the simulator, which run only
            the engine's own interpreter, often on a busy laptop or CI machine.
            (The SDK's switch for this is its debug mode, which also lets
            ``breakpoint()`` through the sandbox.)
    """
    trust = trust or Trust()
    register_trust(task_queue, trust)
    return Worker(
        client,
        task_queue=task_queue,
        activities=registry.activities(config=config, secrets=secrets),
        workflows=workflows,
        workflow_runner=workflow_runner or SandboxedWorkflowRunner(),
        max_concurrent_activities=max_concurrent_activities,
        max_cached_workflows=max_cached_workflows,
        graceful_shutdown_timeout=graceful_shutdown_timeout,
        debug_mode=patient,
    )


async def run_worker(
    worker: Worker,
    *,
    stop: asyncio.Event | None = None,
    install_signal_handlers: bool = True,
) -> None:
    """Run ``worker`` until SIGINT or SIGTERM arrives or ``stop`` is set, then shut it down.

    Shutdown stops polling for new tasks and lets running actions finish within
    the graceful timeout given to :func:`build_worker`.

    Args:
        worker: The worker, e.g. from :func:`build_worker`.
        stop: Set it to stop the worker from code (tests, an embedding service).
        install_signal_handlers: Stop on SIGINT and SIGTERM. Ignored where the
            loop cannot handle signals (Windows, or not the main thread).

    Raises:
        Exception: whatever fatal error stopped the worker on its own.
    """
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    handled: list[signal.Signals] = []
    if install_signal_handlers:
        for signum in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(signum, _on_signal, signum, stop)
            except (NotImplementedError, RuntimeError):
                continue
            handled.append(signum)

    running = asyncio.create_task(worker.run())
    stopping = asyncio.create_task(stop.wait())
    _log.info(
        "worker started on task queue %s",
        worker.task_queue,
        extra={"task_queue": worker.task_queue},
    )
    try:
        await asyncio.wait({running, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if not running.done():
            _log.info("worker stopping: waiting for running actions to finish")
            await worker.shutdown()
        await running
    finally:
        stopping.cancel()
        if not running.done():  # we were cancelled: the SDK shuts down on cancel
            running.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await running
        for signum in handled:
            loop.remove_signal_handler(signum)
    _log.info(
        "worker stopped on task queue %s",
        worker.task_queue,
        extra={"task_queue": worker.task_queue},
    )


def _on_signal(signum: signal.Signals, stop: asyncio.Event) -> None:
    _log.info("received %s", signum.name, extra={"signal": signum.name})
    stop.set()
