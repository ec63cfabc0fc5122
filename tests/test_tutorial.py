"""docs/tutorial.md, run as a reader would: every file it shows is written, every
``$ command`` in its console blocks is run in order on the real embedded server, and
what the page shows is what the command printed.

Conventions of the page: in a console block, ``$ `` starts a command and the lines
after it are (part of) its output, in order; ``...`` stands for anything (a whole
line, or part of one). ``$ echo $?`` checks the exit code of the command before;
otherwise a command must succeed. ``$ NAME=$(command)`` keeps the output in a
variable; ``$ command &`` runs in the background. A command whose output depends on
a worker that runs beside it is tried again (for up to a minute) until it prints
what the page shows, as a reader would look again.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from mops_cli import SCRIPTS, Mops

pytestmark = pytest.mark.e2e

DOC = Path(__file__).resolve().parent.parent / "docs" / "tutorial.md"
FENCE = re.compile(r'^```(\w+)(?: title="([^"]+)")?\n(.*?)^```\n', re.S | re.M)


@dataclass
class Command:
    line: str
    shown: list[str] = field(default_factory=list)


@dataclass
class File:
    name: str
    text: str


def steps() -> list[Command | File]:
    """The files and commands of the page, in reading order."""
    found: list[Command | File] = []
    for lang, title, body in FENCE.findall(DOC.read_text()):
        if title:
            found.append(File(title, body))
        elif lang == "console":
            for line in body.splitlines():
                if line.startswith("$ "):
                    found.append(Command(line[2:]))
                else:
                    command = found[-1]
                    assert isinstance(command, Command), f"output before a command: {line}"
                    command.shown.append(line)
    return found


def pattern(shown: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in shown.rstrip().split("...")))


def printed_as_shown(output: str, shown: list[str]) -> bool:
    """The lines the page shows appear in the output, in order."""
    lines = [line.rstrip() for line in output.splitlines()]
    at = 0
    for want in (pattern(s) for s in shown if s.strip() not in ("", "...")):
        while at < len(lines) and not want.fullmatch(lines[at]):
            at += 1
        if at == len(lines):
            return False
        at += 1
    return True


def test_the_page_has_files_and_commands() -> None:
    found = steps()
    assert sum(isinstance(s, File) for s in found) == 3
    assert sum(isinstance(s, Command) for s in found) >= 15


def test_the_tutorial_runs_as_written(mops: Mops, tmp_path: Path) -> None:
    folder = tmp_path / "newsletter"
    folder.mkdir()
    env = {**mops.env, "PATH": f"{SCRIPTS}{os.pathsep}{os.environ['PATH']}"}
    background: list[subprocess.Popen[str]] = []
    last_code = 0
    found = steps()
    try:
        for index, step in enumerate(found):
            if isinstance(step, File):
                (folder / step.name).write_text(step.text)
                continue
            line = step.line
            if line == "echo $?":
                assert [str(last_code)] == step.shown, f"exit code {last_code}"
                continue
            if line.endswith("&"):
                background.append(
                    subprocess.Popen(
                        ["bash", "-c", line.rstrip("& ")],
                        cwd=folder,
                        env=env,
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL,
                        text=True,
                        start_new_session=True,
                    )
                )
                continue
            assigned = re.fullmatch(r"(\w+)=\$\((.*)\)", line)
            command = assigned.group(2) if assigned else line
            after = found[index + 1] if index + 1 < len(found) else None
            # A command whose exit code the page checks with `echo $?` is meant to fail.
            expect_failure = isinstance(after, Command) and after.line == "echo $?"
            deadline = time.monotonic() + 60
            while True:
                done = subprocess.run(
                    ["bash", "-c", command],
                    cwd=folder,
                    env=env,
                    capture_output=True,
                    text=True,
                    timeout=120,
                    check=False,
                )
                output = done.stdout + done.stderr
                ok = (done.returncode != 0) == expect_failure
                if ok and printed_as_shown(output, step.shown):
                    break
                if time.monotonic() > deadline:
                    pytest.fail(
                        f"$ {line}\nexit {done.returncode}\n{output}\n"
                        f"--- the page shows:\n" + "\n".join(step.shown)
                    )
                time.sleep(0.5)
            last_code = done.returncode
            if assigned:
                env[assigned.group(1)] = done.stdout.strip()
    finally:
        for process in background:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)
