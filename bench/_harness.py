"""What every engine benchmark needs: a private embedded server, worker processes, figures.

The server is started from a fresh state directory under a temporary folder
(never the user's ``MOPS_HOME``) and stopped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import hashlib
import os
import shutil
import signal
import socket
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from temporalio.client import Client, WorkflowHandle
from temporalio.contrib.pydantic import pydantic_data_converter

from bench._report import spread
from engine.client import EmbeddedServer, Settings, Signer, find_temporal_cli, operator
from engine.workflow.attributes import ALL as ATTRIBUTES
from engine.workflow.provenance import Trust, TrustedKey

T = TypeVar("T")
ROOT = Path(__file__).resolve().parent.parent
_TICKS = os.sysconf("SC_CLK_TCK")
_PAGE = os.sysconf("SC_PAGE_SIZE")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of every thread of process ``pid`` so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS


def rss_bytes(pid: int) -> int:
    """Resident memory of process ``pid``."""
    return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * _PAGE


@dataclass(frozen=True)
class Server:
    client: Client
    address: str
    pid: int
    """The ``temporal server start-dev`` process."""

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.pid)

    def rss_bytes(self) -> int:
        return rss_bytes(self.pid)


@contextlib.asynccontextmanager
async def embedded_server(home: Path | None = None) -> AsyncIterator[Server]:
    """An embedded server (temporal server start-dev on SQLite), stopped afterwards: a
    fresh one, or the one of the state folder ``home`` (kept afterwards)."""
    folder = home or Path(tempfile.mkdtemp(prefix="mops-bench-"))
    server = EmbeddedServer(Settings(state_dir=folder, server_port=0))
    try:
        info = await server.ensure_running_async(timeout=120)
        client = await Client.connect(info.address, data_converter=pydantic_data_converter)
        yield Server(client=client, address=info.address, pid=info.pid)
    finally:
        server.stop()
        if home is None:
            shutil.rmtree(folder, ignore_errors=True)


@contextlib.asynccontextmanager
async def unsynced_server(home: Path) -> AsyncIterator[Server]:
    """The embedded server's database in ``home`` served with SQLite's ``synchronous=OFF``
    (no fsync per commit), for filling it fast; stopped afterwards. What a benchmark
    measures runs on :func:`embedded_server` of the same ``home`` afterwards, with the
    embedded server's own settings."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    args = [
        str(find_temporal_cli()), "server", "start-dev",
        "--db-filename", str(home / "temporal.db"),
        "--ip", "127.0.0.1", "--port", str(port), "--headless",
        "--http-port", "0", "--metrics-port", "0", "--log-level", "error",
        "--sqlite-pragma", "synchronous=OFF",
    ]  # fmt: skip
    for name, kind in ATTRIBUTES.items():
        args += ["--search-attribute", f"{name}={kind}"]
    log = os.open(home / "unsynced-server.log", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    process = await asyncio.create_subprocess_exec(*args, stdout=log, stderr=log)
    try:
        address = f"127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while True:
            try:
                client = await Client.connect(address, data_converter=pydantic_data_converter)
                await client.count_workflows("")
                break
            except RuntimeError:
                if time.monotonic() > deadline or process.returncode is not None:
                    raise
                await asyncio.sleep(0.5)
        yield Server(client=client, address=address, pid=process.pid)
    finally:
        await stopped(process)
        os.close(log)


async def stopped(process: asyncio.subprocess.Process) -> None:
    """Stop ``process`` (SIGTERM; SIGKILL if it is still there after a minute)."""
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), timeout=60)
        except TimeoutError:
            process.kill()
            await process.wait()


class WorkerProcess:
    """A ``bench._worker`` process: its CPU seconds and resident memory, read from /proc."""

    def __init__(self, process: asyncio.subprocess.Process, task_queue: str) -> None:
        self.process = process
        self.task_queue = task_queue

    @property
    def pid(self) -> int:
        return self.process.pid

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.pid)

    def rss_bytes(self) -> int:
        return rss_bytes(self.pid)


@contextlib.asynccontextmanager
async def worker_process(
    server: Server,
    side: str,
    *,
    max_cached: int | None = None,
    trust: Path | None = None,
    task_queue: str | None = None,
) -> AsyncIterator[WorkerProcess]:
    """A worker for ``side`` on a task queue of its own (or ``task_queue``), stopped
    (SIGTERM) afterwards."""
    task_queue = task_queue or f"bench-{side}-{uuid.uuid4().hex[:8]}"
    args = [sys.executable, "-m", "bench._worker", server.address, task_queue, side]
    if max_cached is not None:
        args += ["--max-cached", str(max_cached)]
    if trust is not None:
        args += ["--trust", str(trust)]
    process = await asyncio.create_subprocess_exec(*args, cwd=ROOT, stdout=asyncio.subprocess.PIPE)
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), timeout=120)
        if line.strip() != b"ready":
            raise RuntimeError(f"the {side} worker did not start (exit {await process.wait()})")
        yield WorkerProcess(process, task_queue)
    finally:
        await stopped(process)


async def bounded(limit: int, calls: Iterable[Callable[[], Awaitable[T]]]) -> list[T]:
    """Run the calls with at most ``limit`` at once; results in order."""
    gate = asyncio.Semaphore(limit)

    async def one(call: Callable[[], Awaitable[T]]) -> T:
        async with gate:
            return await call()

    return list(await asyncio.gather(*(one(c) for c in calls)))


async def history_lengths(handles: Sequence[WorkflowHandle[Any, Any]]) -> list[int]:
    """How many events each campaign's history holds now."""

    async def length(handle: WorkflowHandle[Any, Any]) -> int:
        return (await handle.describe()).history_length

    return await bounded(50, [functools.partial(length, h) for h in handles])


async def until_started(
    handles: Sequence[WorkflowHandle[Any, Any]], *, events: int = 4, limit: float = 900
) -> None:
    """Wait until every campaign has run its first workflow task (and is waiting).

    Raises:
        RuntimeError: some have not after ``limit`` seconds (a stalled run).
    """
    pending = list(handles)
    deadline = time.monotonic() + limit
    while pending:
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"{len(pending)} campaigns have not run their first step after {limit:.0f} s "
                f"(e.g. {pending[0].id}); see the server's log"
            )
        lengths = await history_lengths(pending)
        pending = [h for h, n in zip(pending, lengths, strict=True) if n < events]
        if pending:
            await asyncio.sleep(0.5)


def percentile(values: Sequence[float], fraction: float) -> float:
    """The value below which ``fraction`` of ``values`` lie (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def order(run: int) -> tuple[str, str]:
    """Which side goes first in run ``run``: A B, then B A, then A B..."""
    return ("interpreter", "handwritten") if run % 2 == 0 else ("handwritten", "interpreter")


EXPERIMENT = "interpreter_passthrough"
"""The interpreter with its own modules passed through the sandbox (bench._worker)."""


def sides(run: int, *, experiment: bool) -> tuple[str, ...]:
    """:func:`order`, with the experiment between the two sides when asked for."""
    if not experiment:
        return order(run)
    first, second = order(run)
    return (first, EXPERIMENT, second)


def experiment_row(label: str, runs: dict[str, list[Any]], value: Callable[[Any], float]) -> str:
    """A table row for the experiment, its ratio taken against the hand-written side."""
    ours, theirs = runs[EXPERIMENT], runs["handwritten"]
    if not ours:
        return ""
    return f"| {label} | {spread([value(r) for r in ours])} | | {_ratios(ours, theirs, value)} |"


def comparison_row(label: str, runs: dict[str, list[Any]], value: Callable[[Any], float]) -> str:
    """A table row: the interpreter, the hand-written side, and their ratio run by run."""
    ours, theirs = runs["interpreter"], runs["handwritten"]
    return (
        f"| {label} | {spread([value(r) for r in ours])} | "
        f"{spread([value(r) for r in theirs])} | {_ratios(ours, theirs, value)} |"
    )


def _ratios(ours: list[Any], theirs: list[Any], value: Callable[[Any], float]) -> str:
    """The ratios run by run; a run whose hand-written figure is zero (a CPU time too
    small to read from /proc) has none."""
    pairs = zip(ours, theirs, strict=True)
    ratio = [value(x) / value(y) for x, y in pairs if value(y) != 0]
    return spread(ratio) if ratio else "n/a"


async def alternating(
    runs: int,
    one_run: Callable[[str], Awaitable[T]],
    into: dict[str, list[T]],
    describe: Callable[[T], str],
    *,
    experiment: bool = False,
) -> None:
    """Measure each side ``runs`` times, the sides taking turns (see :func:`sides`);
    each run goes into ``into[side]`` and is printed as it ends."""
    for n in range(runs):
        for side in sides(n, experiment=experiment):
            run = await one_run(side)
            into[side].append(run)
            print(f"run {n + 1} {side}: {describe(run)}", flush=True)


def options(
    name: str, argv: Sequence[str] | None, *, experiment: bool = False, **sizes: int
) -> tuple[argparse.Namespace, str]:
    """A benchmark's options (whole numbers with defaults, and ``--experiment`` where it
    has that side) and the command that runs it again with the same options."""
    parser = argparse.ArgumentParser(prog=f"python -m bench {name}")
    for option, default in sizes.items():
        parser.add_argument(f"--{option}", type=int, default=default)
    if experiment:
        parser.add_argument(
            "--experiment", action="store_true", help=f"also measure the {EXPERIMENT} side"
        )
    args = parser.parse_args(argv)
    command = f"python -m bench {name}" + "".join(f" --{o} {getattr(args, o)}" for o in sizes)
    if experiment and args.experiment:
        command += " --experiment"
    return args, command


# ---- who signs in benchmarks ------------------------------------------------------------

BENCH_OPERATOR = "bench"
_BENCH_KEY = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"mops-bench-key").digest())
"""A throwaway key for local benchmark servers, the same in every benchmark process."""
BENCH_SIGNER = Signer(_BENCH_KEY, f"operator:{BENCH_OPERATOR}")
BENCH_TRUST = Trust(
    keys={
        BENCH_SIGNER.key_id: TrustedKey(
            holder=BENCH_SIGNER.holder,
            public=BENCH_SIGNER.public_b64,
            may=("start", "assert", "operate", "team", "events"),
        )
    }
)
BENCH = operator(BENCH_SIGNER, BENCH_OPERATOR)
"""The benchmarks' operator: starts campaigns and asserts people's decisions."""
