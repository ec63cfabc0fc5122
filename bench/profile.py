"""Where a worker's time goes: py-spy samples of the overhead benchmark's worker.

    python -m bench profile [--campaigns 200] [--rate 100]

Runs one round of the overhead benchmark per side with ``py-spy record``
attached to the worker process, then sums the samples: by the innermost frame
(self time) and by layer (our interpreter, the SDK's sandbox, the rest of the
SDK, pydantic, asyncio). The raw stacks stay in a temporary folder (printed)
for a flame graph. py-spy is in the ``bench`` extra.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import re
import shutil
import signal
import tempfile
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from bench import overhead
from bench._harness import embedded_server, order, worker_process
from bench._report import machine, write_section
from bench._workload import compile_text, sequential_text

_FRAME = re.compile(r"^(?P<function>.*) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")

LAYERS = (
    ("our interpreter (engine/)", ("/engine/",)),
    ("hand-written workflow (bench/)", ("/bench/",)),
    ("our worker and actions (workers/)", ("/workers/",)),
    ("SDK sandbox (workflow_sandbox)", ("workflow_sandbox",)),
    ("SDK workflow instance", ("_workflow_instance.py",)),
    ("rest of the SDK (temporalio)", ("temporalio/",)),
    ("pydantic", ("pydantic",)),
    ("protobuf / gRPC", ("google/", "protobuf")),
    ("event loop and thread pool (mostly waiting)", ("asyncio/", "selectors.py", "concurrent/")),
    ("module imports (module code running)", ("importlib", "<frozen")),
)
INCLUSIVE = (
    ("the sandbox importing modules for a campaign", ("workflow_sandbox/_importer.py",)),
    (
        "our interpreter's code (engine/interpreter.py, engine/_interpret_people.py)",
        ("engine/interpreter.py", "engine/_interpret_people.py"),
    ),
    ("the hand-written workflow's code (bench/handwritten.py)", ("bench/handwritten.py",)),
    ("payload conversion (pydantic data converter)", ("from_payload", "to_payload")),
    ("pydantic type adapters built at run time", ("TypeAdapter.__init__",)),
)
"""Shares of samples with such a frame anywhere on the stack (they overlap)."""


@dataclass
class Profile:
    side: str
    samples: int
    by_layer: Counter[str]
    by_function: Counter[str]
    inclusive: Counter[str]
    raw: Path


def layer(file: str) -> str:
    if not file:
        return "native code, no Python frame (the SDK's Rust core)"
    for name, needles in LAYERS:
        if any(n in file for n in needles):
            return name
    return "other"


def summarize(side: str, raw: Path) -> Profile:
    """Self time by innermost frame and by the layer of that frame."""
    by_layer, by_function, inclusive = Counter[str](), Counter[str](), Counter[str]()
    samples = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        frames = stack.split(";")
        for name, needles in INCLUSIVE:
            if any(n in f for f in frames for n in needles):
                inclusive[name] += int(count)
        leaf = frames[-1]
        match = _FRAME.match(leaf)
        function, file = (match["function"], match["file"]) if match else (leaf, "")
        n = int(count)
        samples += n
        by_layer[layer(file)] += n
        short = file.split("site-packages/")[-1].split("/wt/bench/")[-1]
        by_function[f"{function} ({short}:{match['line'] if match else ''})"] += n
    return Profile(side, samples, by_layer, by_function, inclusive, raw)


@contextlib.asynccontextmanager
async def py_spy(pid: int, out: Path, rate: int) -> AsyncIterator[None]:
    """``py-spy record`` attached to ``pid`` while the block runs."""
    exe = shutil.which("py-spy") or str(Path(__import__("sys").executable).parent / "py-spy")
    spy = await asyncio.create_subprocess_exec(
        exe, "record", "--pid", str(pid), "--rate", str(rate), "--format", "raw",
        "--output", str(out), "--nonblocking",
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    await asyncio.sleep(1)  # let it attach
    try:
        yield
    finally:
        spy.send_signal(signal.SIGINT)  # py-spy writes its output on Ctrl-C
        await spy.wait()


async def measure(campaigns: int, rate: int) -> list[Profile]:
    folder = Path(tempfile.mkdtemp(prefix="mops-profile-"))
    process = compile_text(sequential_text(), overhead.FILE)
    profiles = []
    async with embedded_server() as server:
        for side in order(0):
            raw = folder / f"{side}.txt"
            async with worker_process(server, side) as worker:
                await overhead.drive(server, worker, side, process, 10)  # warm up
                async with py_spy(worker.pid, raw, rate):
                    await overhead.drive(server, worker, side, process, campaigns)
            profiles.append(summarize(side, raw))
    print(f"raw stacks in {folder}", flush=True)
    return profiles


def render(profiles: list[Profile], command: str, top: int = 15) -> str:
    sections = []
    for p in profiles:
        layers = "\n".join(
            f"| {name} | {n / p.samples:.0%} |" for name, n in p.by_layer.most_common()
        )
        spans = "\n".join(
            f"| {name} | {p.inclusive[name] / p.samples:.0%} |"
            for name, _ in INCLUSIVE
            if p.inclusive[name]
        )
        functions = "\n".join(
            f"| `{name}` | {n / p.samples:.1%} |" for name, n in p.by_function.most_common(top)
        )
        sections.append(
            f"**{p.side}** ({p.samples:,} samples)\n\n| with this on the stack | share |\n"
            f"|---|---:|\n{spans}\n\n| layer (innermost frame) | share |\n"
            f"|---|---:|\n{layers}\n\n| function (self time) | share |\n|---|---:|\n{functions}"
        )
    joined = "\n\n".join(sections)
    return f"""\
Command: `{command}`. Machine: {machine()}.

py-spy samples of the worker process during one round of the overhead benchmark
per side (after a warm-up of ten campaigns), idle threads excluded. Each sample
counts for the layer and the function of its innermost Python frame (native
code of the SDK's Rust core shows as the Python call that entered it). The
sample counts follow how long each round took on the shared machine: compare
shares, not counts.

{joined}
"""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench profile")
    parser.add_argument("--campaigns", type=int, default=200)
    parser.add_argument("--rate", type=int, default=100)
    parser.add_argument(
        "--from", dest="folder", type=Path, help="summarize the raw stacks of an earlier run"
    )
    args = parser.parse_args(argv)
    if args.folder:
        profiles = [summarize(side, args.folder / f"{side}.txt") for side in order(0)]
    else:
        profiles = asyncio.run(measure(args.campaigns, args.rate))
    command = f"python -m bench profile --campaigns {args.campaigns} --rate {args.rate}"
    write_section("Profile of the worker", render(profiles, command))
