"""kill -9 of workers and of the embedded server, as users meet it: every campaign
resumes, no step is lost, and every side effect is applied once per idempotency key.

The concurrent test kills the worker at random moments; its seed is printed (shown
when the test fails) and ``MOPS_RELIABILITY_SEED=<seed>`` replays the same moments.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from httpserver import Answer, RecordingServer
from mops_cli import MOPS, ROOT, Mops
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from waiting import wait_until

from dsl import load_directory
from engine.client import act, inbox
from engine.errors import UserError
from engine.workflow.team import snapshot
from engine.workflow.work_items import Act

pytestmark = pytest.mark.e2e

TEAM = """\
[roles]
editor = "Signs off launches"

[people.ana]
name = "Ana"
email = "ana@acme.example"
roles = ["editor"]
"""


def post(step: str, title: str, indent: str = "  ") -> str:
    return f"""\
{indent}task {step} "{title}" = http.post(
{indent}  url: "{{hook}}/{step}",
{indent}  json: {{step: "{step}"}},
{indent})
{indent}  timeout 4 seconds
{indent}  retry 20 times
"""


PROCESS = f"""\
process launch "Launch, sign-off last"
  input hook: url
{post("announce", "Announce the launch")}\
  parallel
{post("web", "Publish to the web", "    ")}\
{post("crm", "Update the CRM", "    ")}\
  wait 2 seconds
  approval signoff "Sign off the launch"
    by role editor
    allow G101
  output announced = announce.status
  output approved_by = signoff.approvers
"""
HTTP_STEPS = ("announce", "web", "crm")
DONE = {"outputs": {"announced": 200, "approved_by": ["ana"]}, "steps_done": 5}


def prepare(mops: Mops, tmp_path: Path) -> Path:
    """The team directory and the process file; the server started up front."""
    mops.use_team(tmp_path, TEAM)
    (tmp_path / "launch.mops").write_text(PROCESS)
    started = mops("server", "start")
    assert started.returncode == 0, started.stderr
    return tmp_path / "launch.mops"


def expected_keys(campaigns: list[str]) -> set[str]:
    return {f"{c}/{step}.1" for c in campaigns for step in HTTP_STEPS}


class Worker:
    """``mops worker`` in its own process group, its output collected as it comes."""

    def __init__(self, mops: Mops, log: list[str]) -> None:
        self.process = mops.worker()
        self.started = threading.Event()
        self._reader = threading.Thread(target=self._read, args=(log,), daemon=True)
        self._reader.start()

    def _read(self, log: list[str]) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            log.append(line.rstrip())
            if "worker started" in line:
                self.started.set()

    def kill(self) -> None:
        """kill -9 of the whole worker, as a crash or the OOM killer would."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        self._reader.join(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=60)
        self._reader.join(timeout=10)


@contextmanager
def workers(mops: Mops) -> Iterator[tuple[Callable[[], Worker], list[str]]]:
    """Start workers with ``start()``; whatever still runs is stopped at the end."""
    log: list[str] = []
    started: list[Worker] = []

    def start() -> Worker:
        worker = Worker(mops, log)
        started.append(worker)
        return worker

    try:
        yield start, log
    finally:
        for worker in started:
            worker.stop()


class Approver(threading.Thread):
    """Ana, approving every sign-off as it reaches her inbox, through the same client
    code as ``mops tasks`` and ``mops approve``, while workers come and go."""

    def __init__(self, mops: Mops, campaigns: list[str]) -> None:
        super().__init__(daemon=True)
        self.address = mops.address()
        self.task_queue = mops.env["MOPS_TASK_QUEUE"]
        self.team = snapshot(load_directory(Path(mops.env["MOPS_DIRECTORY"])))
        self.waiting = set(campaigns)
        # As `mops approve --as ana` signs: asserted by this machine's operator.
        self.credentials = mops.operator().asserting("ana")
        self.approved: list[str] = []
        self.refused: list[str] = []
        self.errors: list[BaseException] = []
        self.done = threading.Event()

    def run(self) -> None:
        try:
            asyncio.run(self._approve_all())
        except BaseException as error:  # reported by the test, not lost in a thread
            self.errors.append(error)

    async def _approve_all(self) -> None:
        client = await Client.connect(self.address, data_converter=pydantic_data_converter)
        while self.waiting and not self.done.is_set():
            tasks = await inbox(client, self.team, "ana", task_queue=self.task_queue)
            for task in tasks:
                if task.campaign not in self.waiting:
                    continue
                try:
                    await act(
                        client,
                        task.campaign,
                        Act(step=task.step, actor="ana", action="approve"),
                        credentials=self.credentials,
                    )
                except UserError as refused:
                    self.refused.append(f"{task.campaign}: {refused}")
                    continue
                self.waiting.discard(task.campaign)
                self.approved.append(task.campaign)
            await asyncio.sleep(0.3)


def dead(pid: int) -> bool:
    """Whether ``pid`` has exited (a zombie counts: someone else's child, not yet reaped)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return stat.rsplit(") ", 1)[1][0] in "ZX"


async def results(address: str, campaigns: list[str], within: float) -> dict[str, Any]:
    client = await Client.connect(address, data_converter=pydantic_data_converter)

    async def one(campaign: str) -> Any:
        return await client.get_workflow_handle(campaign).result()

    found = await asyncio.wait_for(asyncio.gather(*(one(c) for c in campaigns)), within)
    return dict(zip(campaigns, found, strict=True))


def start_campaigns(mops: Mops, process_file: Path, hook: str, count: int) -> list[str]:
    """``mops run --detach``, all at once, as a script starting a batch would."""
    runs = [
        subprocess.Popen(
            [str(MOPS), "run", str(process_file), "--detach", "--input", f"hook={hook}"],
            env=mops.env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(count)
    ]
    campaigns = []
    for run in runs:
        out, err = run.communicate(timeout=120)
        assert run.returncode == 0, err
        campaigns.append(out.strip())
    assert len(set(campaigns)) == count
    return campaigns


def test_many_campaigns_survive_random_worker_kills_and_act_once(
    mops: Mops, tmp_path: Path
) -> None:
    seed = int(os.environ.get("MOPS_RELIABILITY_SEED") or random.randrange(2**32))
    print(f"MOPS_RELIABILITY_SEED={seed}")
    rng = random.Random(seed)
    process_file = prepare(mops, tmp_path)
    with RecordingServer.running() as hooks, workers(mops) as (start_worker, log):
        hooks.answer(Answer(delay=0.4))
        campaigns = start_campaigns(mops, process_file, hooks.url, 12)
        approver = Approver(mops, campaigns)
        approver.start()
        kills: list[str] = []
        # Kill when the campaigns have come a random way: a number of posts applied
        # plus approvals given, so kills land in replays, posts, timers and sign-offs.
        total = len(campaigns) * (len(HTTP_STEPS) + 1)

        def progress() -> int:
            return len(hooks.applied) + len(approver.approved)

        try:
            for threshold in sorted(rng.sample(range(1, total - 2), 3)):
                worker = start_worker()
                assert worker.started.wait(60), "\n".join(log)
                wait_until(lambda: progress() >= threshold)  # noqa: B023
                time.sleep(rng.uniform(0, 0.5))
                assert worker.process.poll() is None, "\n".join(log)
                kills.append(
                    f"at {threshold}: {len(hooks.applied)} posts applied "
                    f"({len(hooks.requests)} sent), {len(approver.approved)} approved"
                )
                worker.kill()
            start_worker()
            done = asyncio.run(results(mops.address(), campaigns, within=120))
        finally:
            approver.done.set()
            approver.join(timeout=30)
        print("kills:", *kills, sep="\n  ")
        print(f"requests sent: {len(hooks.requests)}, applied: {len(hooks.applied)}")
    assert approver.errors == []
    assert done == dict.fromkeys(campaigns, DONE)
    assert sorted(approver.approved) == sorted(campaigns)
    # Every refused approval would be a decision lost to a restart.
    assert approver.refused == []
    # Every side effect applied exactly once: one key per campaign and step ...
    assert set(hooks.by_idempotency_key) == expected_keys(campaigns)
    # ... whatever the kills made the workers send again (printed above).
    assert len(hooks.applied) == len(campaigns) * len(HTTP_STEPS)


def test_sigkill_of_the_embedded_server_resumes_the_campaign_without_repeating_steps(
    mops: Mops, tmp_path: Path
) -> None:
    process_file = prepare(mops, tmp_path)
    with RecordingServer.running() as hooks, workers(mops) as (start_worker, log):
        hooks.answer(Answer(delay=1.5))
        started = mops("run", str(process_file), "--detach", "--input", f"hook={hooks.url}")
        assert started.returncode == 0, started.stderr
        campaign = started.stdout.strip()
        first = mops.json("server", "status")
        worker = start_worker()
        # The announcement is done and both parallel posts are in flight.
        wait_until(lambda: len(hooks.requests) >= 3)
        os.kill(first["pid"], signal.SIGKILL)
        wait_until(lambda: dead(first["pid"]))
        # The worker may have started it again already (test_server_restart.py).
        restarted = mops("server", "start")
        assert restarted.returncode == 0, restarted.stderr
        second = mops.json("server", "status")
        # The worker that outlived the server carries on with the new one.
        status = wait_for_signoff(mops, campaign, log=log)
        posts_before = dict(hooks.by_idempotency_key)
        # Then the whole machine goes down: server and worker at once.
        os.kill(second["pid"], signal.SIGKILL)
        worker.kill()
        assert mops("server", "start").returncode == 0
        start_worker()
        approved = mops("approve", campaign, "signoff", "--as", "ana")
        assert approved.returncode == 0, approved.stderr + "\n".join(log)
        final = mops.wait_for_state(campaign, {"completed", "failed"})
    assert second["db_file"] == first["db_file"]
    assert second["pid"] != first["pid"]
    assert [i["step"] for i in status["open_items"]] == ["signoff"]
    assert final["state"] == "completed", final
    assert final["outputs"] == DONE["outputs"]
    # No step ran twice: one record of each task (the status of a finished campaign
    # is rebuilt from its history, which holds its tasks), the announcement sent once.
    tasks = [(s["id"], s["state"]) for s in final["steps"] if s["action"]]
    assert sorted(tasks) == sorted((step, "done") for step in HTTP_STEPS)
    # The approval and who gave it are there too.
    assert [s["title"] for s in final["steps"] if s["id"] == "signoff"][1:] == [
        "ana (role editor) approved"
    ]
    assert hooks.by_idempotency_key[f"{campaign}/announce.1"] == 1
    assert set(hooks.by_idempotency_key) == expected_keys([campaign])
    assert len(hooks.applied) == len(HTTP_STEPS)
    # Nothing was sent again after the second crash: every post had been recorded done.
    assert dict(hooks.by_idempotency_key) == posts_before


def test_sigkill_of_the_embedded_server_during_many_campaigns_resumes_every_one(
    mops: Mops, tmp_path: Path
) -> None:
    process_file = prepare(mops, tmp_path)
    with RecordingServer.running() as hooks, workers(mops) as (start_worker, log):
        hooks.answer(Answer(delay=0.5))
        campaigns = start_campaigns(mops, process_file, hooks.url, 4)
        first = mops.json("server", "status")
        start_worker()
        # Some posts applied, others in flight, none of the sign-offs open yet.
        wait_until(lambda: len(hooks.requests) >= 4)
        os.kill(first["pid"], signal.SIGKILL)
        wait_until(lambda: dead(first["pid"]))
        restarted = mops("server", "start")
        assert restarted.returncode == 0, restarted.stderr
        approver = Approver(mops, campaigns)
        approver.start()
        try:
            done = asyncio.run(results(mops.address(), campaigns, within=120))
        finally:
            approver.done.set()
            approver.join(timeout=30)
    assert approver.errors == [], "\n".join(log)
    assert done == dict.fromkeys(campaigns, DONE)
    assert sorted(approver.approved) == sorted(campaigns)
    assert set(hooks.by_idempotency_key) == expected_keys(campaigns)
    assert len(hooks.applied) == len(campaigns) * len(HTTP_STEPS)


def wait_for_signoff(
    mops: Mops, campaign: str, timeout: float = 90, log: list[str] | None = None
) -> Any:
    deadline = time.monotonic() + timeout
    status: Any = None
    while time.monotonic() < deadline:
        shown = mops("status", campaign, "--json")
        if shown.returncode == 0:  # a sub-process's campaign may not be started yet
            status = json.loads(shown.stdout)
            if status["open_items"]:
                return status
        time.sleep(0.5)
    said = "\n".join(log or [])
    raise AssertionError(f"the sign-off of {campaign} never opened: {status}\n{said}")


CHILD = """\
process sign_off "Sign-off, as a sub-process"
  approval signoff "Sign off the launch"
    by role editor
    allow G101
  output ok = signoff.approved
"""
PARENT = """\
use "sign_off.mops"
process launch_with_sign_off "Launch, signed off in a sub-process"
  call approval "Get it signed off" = sign_off()
  output ok = approval.ok
"""


def test_a_decision_right_after_a_worker_restart_is_not_refused(mops: Mops, tmp_path: Path) -> None:
    prepare(mops, tmp_path)
    (tmp_path / "sign_off.mops").write_text(CHILD)
    (tmp_path / "parent.mops").write_text(PARENT)
    started = mops("run", str(tmp_path / "parent.mops"), "--detach")
    assert started.returncode == 0, started.stderr
    child = f"{started.stdout.strip()}.approval.1"
    with workers(mops) as (start_worker, _log):
        worker = start_worker()
        wait_for_signoff(mops, child)
        worker.kill()
        start_worker()
        approved = mops("approve", child, "signoff", "--as", "ana")
        refused = mops.json("status", child)["refused"]
    assert approved.returncode == 0, approved.stderr
    assert refused == []
