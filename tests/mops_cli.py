"""Running the installed ``mops`` command the way users do, in its own state directory."""

from __future__ import annotations

import getpass
import json
import os
import random
import socket
import subprocess
import sysconfig
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from waiting import DEADLINE, wait_until

from engine.client import Credentials, Settings, local_operator, operator

SCRIPTS = Path(sysconfig.get_path("scripts"))
MOPS = SCRIPTS / "mops"
ROOT = Path(__file__).resolve().parent.parent


def _ports() -> range:
    """The ports this test process picks from: its own slice of 20000-32000, so that
    no other process of the run picks one this process's server may come back to
    (with the UI's port, 1,000 above, in the same slice)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    count = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    width = 12000 // max(count, 1)
    if not worker.isdigit() or width < 1100:
        return range(20000, 31000)
    start = 20000 + int(worker) * width
    return range(start, start + width - 1000)


def free_port() -> int:
    """A free port below the kernel's ephemeral range (32768 up), for a server a test
    starts later. An ephemeral one may be handed meanwhile to another test process's
    time-skipping server or outgoing connection: the embedded server then took
    another port, and a ready check could even be answered by that other server.
    Each test process has ports of its own (:func:`_ports`): a server killed by a
    test comes back on its port, which no other test took meanwhile."""
    rng = random.SystemRandom()
    ports = _ports()
    while True:
        port = rng.choice(ports)
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        with socket.socket() as sock:  # the UI takes the port 1,000 above, if free
            try:
                sock.bind(("127.0.0.1", port + 1000))
            except OSError:
                continue
        return port


def clean_env(**extra: str) -> dict[str, str]:
    """Our environment without any Temporal client settings (so: embedded server)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TEMPORAL_")}
    env.update(extra)
    return env


class Mops:
    """The ``mops`` command with one private state directory and task queue."""

    def __init__(self, home: Path) -> None:
        self.env = clean_env(
            MOPS_HOME=str(home),
            MOPS_SERVER_PORT=str(free_port()),
            MOPS_TASK_QUEUE=f"e2e-{uuid.uuid4().hex[:8]}",
            XDG_CONFIG_HOME=str(home / "config"),
            # The tests' HTTP and SMTP servers listen on loopback, which a worker
            # reaches only when its settings allow it: an allow-list, not an off switch.
            MOPS_EGRESS_ALLOW="127.0.0.1",
        )

    def __call__(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(MOPS), *args],
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def json(self, *args: str) -> Any:
        done = self(*args, "--json")
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    def use_team(self, folder: Path, toml: str) -> Path:
        """Write ``team.toml`` into ``folder`` (beside the process files) and use it."""
        path = folder / "team.toml"
        path.write_text(toml)
        self.env["MOPS_DIRECTORY"] = str(path)
        return path

    def worker(self) -> subprocess.Popen[str]:
        """Start ``mops worker`` in its own process group (so it can be killed whole)."""
        return subprocess.Popen(
            [str(MOPS), "worker"],
            env=self.env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )

    def operator(self) -> Credentials:
        """The local operator of this state directory, signing as ``mops`` itself does
        (the key is made on first use, as the first command would make it)."""
        user = getpass.getuser()
        return operator(local_operator(Settings.from_env(self.env).state_dir, user), user)

    def address(self) -> str:
        info = self.json("server", "status")
        address: str = info["address"]
        return address

    def wait_for_state(self, campaign: str, states: set[str], timeout: float = DEADLINE) -> Any:
        found: list[Any] = [None]

        def there() -> bool:
            found[0] = self.json("status", campaign)
            return bool(found[0]["state"] in states)

        wait_until(there, within=timeout, what=f"campaign {campaign} to be {' or '.join(states)}")
        return found[0]


@pytest.fixture
def mops(tmp_path: Path) -> Iterator[Mops]:
    """``mops`` with a fresh embedded server of its own, stopped afterwards."""
    runner = Mops(tmp_path / "state")
    try:
        yield runner
    finally:
        runner("server", "stop", timeout=60)
