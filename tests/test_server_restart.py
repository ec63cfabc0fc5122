"""A worker of the embedded default survives a kill -9 of the server under it (issue 16).

The worker notices the server's process is gone and starts it again on the same
port, where its connection (retrying with back-off) finds it: the campaigns
complete with no command typed. And ``mops run --id`` refuses the id of a campaign
that exists, open or closed, unless told ``--reuse-id``.
"""

from __future__ import annotations

import json
import os
import signal
import socket
from pathlib import Path
from typing import Any

import pytest
from mops_cli import Mops
from waiting import wait_until

pytestmark = pytest.mark.e2e

PROCESS = """\
process pause_and_go "Pause, then go"
  task first = log.info(message: "before")
  wait 3 seconds
  task second = log.info(message: "after")
  output done = "yes"
"""


def _record(mops: Mops) -> Any:
    """The embedded server's record, read as a file (no `mops` command restarts it)."""
    path = Path(mops.env["MOPS_HOME"]) / "server.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _dead(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    stat = Path(f"/proc/{pid}/stat").read_text()  # a zombie is dead too
    return stat.split(") ")[1].startswith("Z")


def test_a_killed_embedded_server_comes_back_on_its_port_and_campaigns_complete(
    mops: Mops, tmp_path: Path
) -> None:
    process_file = tmp_path / "pause.mops"
    process_file.write_text(PROCESS)
    worker = mops.worker()
    try:
        wait_until(lambda: _record(mops) is not None, what="the worker to start the server")
        campaigns = [f"restart-{n}" for n in range(3)]
        for campaign in campaigns:
            started = mops("run", str(process_file), "--detach", "--id", campaign)
            assert started.returncode == 0, started.stderr
        first = _record(mops)
        os.kill(first["pid"], signal.SIGKILL)
        wait_until(lambda: _dead(first["pid"]), what="the server to die")
        wait_until(
            lambda: (_record(mops) or first)["pid"] != first["pid"],
            what="the worker to start the server again",
        )
        second = _record(mops)
        finals = [mops.wait_for_state(c, {"completed", "failed"}) for c in campaigns]
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        output, _ = worker.communicate(timeout=60)
    assert second["address"] == first["address"]
    assert [f["state"] for f in finals] == ["completed"] * 3, output
    assert "the embedded Temporal server runs again at " + first["address"] in output


def test_a_server_back_on_another_port_gets_the_worker_and_campaigns_complete(
    mops: Mops, tmp_path: Path
) -> None:
    """The old port was taken while the server was down (another program, or an
    outgoing connection the kernel gave that port): the server comes back on
    another port and the worker follows it there, with no command typed."""
    process_file = tmp_path / "pause.mops"
    process_file.write_text(PROCESS)
    worker = mops.worker()
    squatter = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        wait_until(lambda: _record(mops) is not None, what="the worker to start the server")
        campaigns = [f"moved-{n}" for n in range(2)]
        for campaign in campaigns:
            started = mops("run", str(process_file), "--detach", "--id", campaign)
            assert started.returncode == 0, started.stderr
        first = _record(mops)
        host, port = first["address"].rsplit(":", 1)
        os.kill(first["pid"], signal.SIGKILL)
        wait_until(lambda: _dead(first["pid"]), what="the server to die")
        wait_until(lambda: _bound(squatter, host, int(port)), what="the old port to be taken")
        squatter.listen()
        wait_until(
            lambda: (_record(mops) or first)["pid"] != first["pid"],
            what="the worker to start the server again",
        )
        second = _record(mops)
        finals = [mops.wait_for_state(c, {"completed", "failed"}) for c in campaigns]
    finally:
        squatter.close()
        os.killpg(worker.pid, signal.SIGTERM)
        output, _ = worker.communicate(timeout=60)
    assert second["address"] != first["address"]
    assert [f["state"] for f in finals] == ["completed"] * 2, output
    assert f"at its new address {second['address']}" in output


def _bound(sock: socket.socket, host: str, port: int) -> bool:
    try:
        sock.bind((host, port))
    except OSError:
        return False
    return True


def test_run_refuses_the_id_of_an_existing_campaign_unless_told_to_reuse_it(
    mops: Mops, tmp_path: Path
) -> None:
    process_file = tmp_path / "pause.mops"
    process_file.write_text(PROCESS)
    first = mops("run", str(process_file), "--id", "r1-01")  # runs to its end here
    assert first.returncode == 0, first.stderr
    again = mops("run", str(process_file), "--detach", "--id", "r1-01")
    reused = mops("run", str(process_file), "--detach", "--id", "r1-01", "--reuse-id")
    while_open = mops("run", str(process_file), "--detach", "--id", "r1-01", "--reuse-id")
    assert again.returncode == 1
    assert again.stderr.splitlines()[0] == "mops: a campaign with the id 'r1-01' already exists"
    assert "--reuse-id" in again.stderr
    assert reused.returncode == 0, reused.stderr
    assert while_open.returncode == 1
    assert while_open.stderr.strip() == "mops: a campaign with the id 'r1-01' is running"


def test_the_state_folder_is_made_private_and_the_database_is_0600(
    mops: Mops, tmp_path: Path
) -> None:
    home = Path(mops.env["MOPS_HOME"])
    home.mkdir(parents=True)
    home.chmod(0o777)
    started = mops("server", "start")
    assert started.returncode == 0, started.stderr
    assert home.stat().st_mode & 0o777 == 0o700
    for name in ("temporal.db", "server.log", "server.json"):
        assert (home / name).stat().st_mode & 0o777 == 0o600, name


def test_a_state_folder_of_someone_else_is_refused(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root to give the folder to another user")
    home = tmp_path / "theirs"
    home.mkdir()
    os.chown(home, 12345, 12345)
    done = Mops(home)("server", "start")
    assert done.returncode == 1
    assert done.stderr.splitlines()[0] == (
        f"mops: the state folder {home} belongs to another user (uid 12345)"
    )
