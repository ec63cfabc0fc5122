#!/usr/bin/env python3
"""Set-up and everyday tasks for MOps Flow, with nothing but Python >= 3.11.

    python3 dev.py demo          set up, then run the example process on the embedded server
    python3 dev.py app           set up, then start the people's app with a worker (the web
                                 inbox, tasks and campaigns for processes/ and its team)
    python3 dev.py test          set up, then run ruff, mypy --strict, import-linter and every test
    python3 dev.py test --quick  the same, but only the tests that need no embedded server
                                 (no end-to-end or reliability tests): a few minutes

The tests run in two processes per core and one more (at most 6; pytest-xdist, each
process starting on its share of the end-to-end tests and taking work from the others
when it runs out): about half of a test's time is spent waiting on servers and timers;
`python3 dev.py test -n 0` runs them in one, and any pytest arguments may follow.

Set-up makes a virtual environment in .venv and installs the project into it
(editable) from the package registry; it is skipped when nothing changed.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / "python"

DEMO = [
    "run",
    "processes/blog_post.mops",
    "--input",
    "title=Spring launch: meet the new dashboard",
    "--input",
    "budget=2500 EUR",
]


def say(message: str) -> None:
    print(f"==> {message}", flush=True)


def run(*command: object) -> int:
    return subprocess.call([str(c) for c in command], cwd=ROOT)


def set_up(extras: str) -> None:
    """Create .venv and install the project with ``extras``, unless already done."""
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py may be run by an older python3
        sys.exit(f"MOps Flow needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    if not PYTHON.exists():
        say(f"creating a virtual environment in {VENV.name}/")
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    wanted = (ROOT / "pyproject.toml").read_bytes() + extras.encode()
    stamp = VENV / ".mops-installed"
    digest = hashlib.sha256(wanted).hexdigest()
    if stamp.exists() and digest in stamp.read_text().split():
        return
    say(f"installing MOps Flow{f' with [{extras}]' if extras else ''} into {VENV.name}/")
    target = f".[{extras}]" if extras else "."
    pip = [PYTHON, "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    if run(*pip, "-e", target) != 0:
        sys.exit("set-up failed: pip could not install the project (see above)")
    previous = stamp.read_text() if stamp.exists() else ""
    stamp.write_text(previous + digest + "\n")


def demo() -> int:
    set_up("")
    say("running processes/blog_post.mops on the embedded Temporal server")
    code = run(BIN / "mops", *DEMO)
    if code == 0:
        say("done. 'mops list' shows the campaign; 'mops server status' shows the web UI")
        say(f"the mops command is {BIN / 'mops'} (or: source .venv/bin/activate)")
    return code


def app() -> int:
    """The people's app for processes/ and its team.toml, with a worker, until Ctrl-C."""
    set_up("")
    team = ROOT / "processes" / "team.toml"
    env = {
        **os.environ,
        "MOPS_DIRECTORY": os.environ.get("MOPS_DIRECTORY", str(team)),
        # The example team's marketing ops may start and operate campaigns.
        "MOPS_APP_OPERATOR_ROLES": os.environ.get("MOPS_APP_OPERATOR_ROLES", "marketing_ops"),
    }
    listed = subprocess.run(
        [BIN / "mops", "user", "list", "--json"], env=env, capture_output=True, text=True
    )
    if listed.returncode == 0 and listed.stdout.strip() in ("", "[]"):
        say("nobody has an account yet: make one for a person of processes/team.toml, e.g.")
        say(f"  MOPS_DIRECTORY={team} {BIN / 'mops'} user add mara --operator")
    say("starting the people's app with a worker (Ctrl-C stops it)")
    command = [BIN / "mops", "serve", "--with-worker", "--processes", ROOT / "processes"]
    try:
        return subprocess.call([str(c) for c in command], cwd=ROOT, env=env)
    except KeyboardInterrupt:
        return 130


CHROMIUM = Path("/usr/bin/chromium")


def ensure_chromium() -> None:
    """Install Debian's chromium for the HTML report and people's app browser tests, when missing
    and running as root.

    The tests open reports and the app in it headless; it is never downloaded by a test tool.
    """
    if CHROMIUM.exists() or not Path("/usr/bin/apt-get").exists():
        return
    if getattr(os, "geteuid", lambda: -1)() != 0:
        say(
            "chromium is missing: the HTML report and browser tests are skipped "
            "(as root: apt-get install chromium)"
        )
        return
    say("installing chromium (Debian package) for the HTML report and browser tests")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "chromium"]):
        done = subprocess.run(command, env=env, capture_output=True, check=False)
        if done.returncode != 0:
            say(
                f"could not install chromium ({' '.join(command)} failed): "
                "the HTML report and browser tests are skipped"
            )
            return


_TEST_PROCESSES = min(6, 2 * (os.cpu_count() or 1) + 1)


def test() -> int:
    set_up("test")
    ensure_chromium()
    arguments = sys.argv[2:]
    if "--quick" in arguments:
        arguments = [a for a in arguments if a != "--quick"] + ["-m", "not e2e"]
    chosen = any(a.startswith(("-n", "--numprocesses")) or a == "no:xdist" for a in arguments)
    if not chosen:
        # Tests spend about half their time waiting on servers and timers (the suite's
        # CPU is about half the sum of its tests' durations), so two processes per core
        # keep the cores busy, also when other work shares them; each process has its
        # own time-skipping server.
        arguments = ["-n", str(_TEST_PROCESSES), "--dist", "worksteal", *arguments]
    steps: list[tuple[str, list[str | Path]]] = [
        ("ruff check", [BIN / "ruff", "check", "."]),
        ("ruff format --check", [BIN / "ruff", "format", "--check", "."]),
        ("mypy --strict", [BIN / "mypy"]),
        ("import-linter", [BIN / "lint-imports"]),
        ("pytest", [PYTHON, "-m", "pytest", *arguments]),
    ]
    failed: list[str] = []
    for name, command in steps:
        say(name)
        code = run(*command)
        if name == "pytest" and code == 5:
            print("pytest collected no tests: that is a failure, not a pass", file=sys.stderr)
        if code != 0:
            failed.append(f"{name} (exit {code})")
    if failed:
        say("FAILED: " + ", ".join(failed))
        return 1
    say("all checks passed")
    return 0


def main() -> int:
    tasks = {"demo": demo, "app": app, "test": test}
    if len(sys.argv) < 2 or sys.argv[1] not in tasks:
        print(__doc__, file=sys.stderr)
        return 2
    return tasks[sys.argv[1]]()


if __name__ == "__main__":
    sys.exit(main())
