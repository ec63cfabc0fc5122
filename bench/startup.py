"""Start-up of the designer's commands: whole-process CPU, as ratios to bare Python and Lark.

    python -m bench startup [--runs N] [--before DIR] [--no-bytecode]

Each command runs as a fresh process, as a designer runs it, interleaved
with two references in the same run: ``python -c pass`` (the interpreter
alone) and ``python -c 'import lark'``; and with two floors, what the
packages the command cannot do without cost to import: ``lark``,
``networkx`` and ``pydantic`` for the file commands, ``temporalio.client``
for what ``mops status`` paid before it asked the embedded server's HTTP API
(and still pays where it goes through the SDK). The CPU time of each child
process is read from the operating system (``os.wait4``). ``mops status``
asks an embedded server, started for the run, about a campaign that does not
exist (a whole round trip: find the server, ask, answer "no campaign").

The targets of issue 17 are absolute CPU seconds on the project's 2-core
machine: check ≤ 0.15 s, --help ≤ 0.05 s, status ≤ 0.25 s, fmt and graph
≤ 0.2 s.

The children write and read their bytecode (in a folder of the run's own,
``PYTHONPYCACHEPREFIX``), as an installed package has it: a designer's
``mops`` does not compile its modules on every start. ``--no-bytecode``
measures with none, as a shell with ``PYTHONDONTWRITEBYTECODE=1`` would run
an editable install (the conditions of the figures before 2026-12-07's).

``--before DIR`` also runs each ``mops`` command from another checkout of
the code (a ``git worktree`` of the commit to compare with), interleaved
with the rest: the same interpreter and dependencies, that checkout's
``bounds``, ``dsl``, ``engine``, ``workers`` and ``mops`` first on
``PYTHONPATH``.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from bench._report import machine, write_section

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
MOPS = str(Path(PYTHON).with_name("mops"))
LIBRARY_FILE = "processes/blog_post.mops"

REFERENCES: dict[str, list[str]] = {
    "python -c pass": [PYTHON, "-c", "pass"],
    "python -c 'import lark'": [PYTHON, "-c", "import lark"],
}
FLOORS: dict[str, list[str]] = {
    "floor: import lark, networkx, pydantic": [
        PYTHON,
        "-c",
        "import lark, networkx; from pydantic import BaseModel",
    ],
    "floor: import temporalio.client": [PYTHON, "-c", "import temporalio.client"],
}
COMMANDS: dict[str, tuple[list[str], float]] = {
    "mops --help": ([MOPS, "--help"], 0.05),
    f"mops check {LIBRARY_FILE}": ([MOPS, "check", LIBRARY_FILE], 0.15),
    f"mops fmt --check {LIBRARY_FILE}": ([MOPS, "fmt", "--check", LIBRARY_FILE], 0.2),
    f"mops graph {LIBRARY_FILE}": ([MOPS, "graph", LIBRARY_FILE], 0.2),
    f"mops graph --format svg {LIBRARY_FILE}": (
        [MOPS, "graph", "--format", "svg", LIBRARY_FILE],
        0.2,
    ),
    "mops status RUN": ([MOPS, "status", "no-such-campaign"], 0.25),
}


def cpu_of(command: Sequence[str], env: dict[str, str]) -> float:
    """User + system CPU seconds of one run of ``command`` (and its children)."""
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _pid, _status, usage = os.wait4(process.pid, 0)
    process.returncode = 0
    return usage.ru_utime + usage.ru_stime


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench startup")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument(
        "--before", type=Path, metavar="DIR", help="also run the commands from this checkout"
    )
    parser.add_argument(
        "--no-bytecode", action="store_true", help="children neither write nor read bytecode"
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as home:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("TEMPORAL_") and k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPATH")
        }
        env.update(MOPS_HOME=home, MOPS_SERVER_PORT=str(_free_port()))
        if args.no_bytecode:
            env["PYTHONDONTWRITEBYTECODE"] = "1"
        else:
            env["PYTHONPYCACHEPREFIX"] = str(Path(home) / "bytecode")
        subprocess.run([MOPS, "server", "start"], env=env, check=True, capture_output=True)
        try:
            rows = measure(args.runs, env, args.before)
        finally:
            subprocess.run([MOPS, "server", "stop"], env=env, check=False, capture_output=True)
    report(rows, args.runs, bytecode=not args.no_bytecode, before=args.before)


def _commands(before: Path | None) -> dict[str, tuple[list[str], dict[str, str]]]:
    """Each command to time, and what to add to its environment."""
    found: dict[str, tuple[list[str], dict[str, str]]] = {
        name: (command, {}) for name, command in {**REFERENCES, **FLOORS}.items()
    }
    for name, (command, _target) in COMMANDS.items():
        if before is not None:
            found[f"before: {name}"] = (command, {"PYTHONPATH": str(before.resolve())})
        found[name] = (command, {})
    return found


def measure(runs: int, env: dict[str, str], before: Path | None) -> dict[str, list[float]]:
    everything = _commands(before)
    for command, extra in everything.values():
        cpu_of(command, {**env, **extra})  # warm the file cache and the bytecode
    times: dict[str, list[float]] = {name: [] for name in everything}
    for _ in range(runs):
        for name, (command, extra) in everything.items():
            times[name].append(cpu_of(command, {**env, **extra}))
    return times


def report(
    times: dict[str, list[float]], runs: int, *, bytecode: bool, before: Path | None
) -> None:
    bare = statistics.median(times["python -c pass"])
    lark = statistics.median(times["python -c 'import lark'"])
    words = f"--runs {runs}" + ("" if bytecode else " --no-bytecode")
    words += "" if before is None else " --before DIR"
    lines = [
        f"Command: `python -m bench startup {words}`. Machine: {machine()}.",
        "",
        "CPU seconds (user + system) of whole processes, medians of the runs, each command "
        "interleaved with the references in one run; "
        + ("bytecode written and read, as installed" if bytecode else "no bytecode")
        + ("" if before is None else "; `before:` rows run the code of DIR (the commit before)")
        + ".",
        "",
        "| command | CPU (s) | min-max | x `python -c pass` | x `import lark` | target (s) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    targets = {name: target for name, (_, target) in COMMANDS.items()}
    targets |= {f"before: {name}": target for name, target in targets.items()}
    for name, values in times.items():
        median = statistics.median(values)
        target = targets.get(name)
        lines.append(
            f"| `{name}` | {median:.3f} | {min(values):.3f}-{max(values):.3f} | "
            f"{median / bare:.1f} | {median / lark:.2f} | "
            f"{'' if target is None else f'{target:.2f}'} |"
        )
    body = "\n".join(lines)
    print(body)
    write_section("Start-up of the designer's commands", body)


if __name__ == "__main__":
    main(sys.argv[1:])
