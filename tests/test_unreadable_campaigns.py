"""A workflow the readers cannot read does not stop them (issue 16): one malformed
workflow on the task queue (started by a script with an input that is not a
campaign's) made every date-range ``mops audit export`` fail and ``mops status``
print an internal-error traceback. Now it is skipped, named, and the rest goes on.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from mops_cli import Mops
from temporalio.client import Client
from waiting import wait_until

pytestmark = pytest.mark.e2e

GOOD = """\
process hello "Hello"
  task say = log.info(message: "hello")
  output done = "yes"
"""


async def _start_malformed(address: str, task_queue: str) -> None:
    client = await Client.connect(address)
    await client.start_workflow(
        "hello", args=[{"not": "a campaign"}, 5], id="malformed-1", task_queue=task_queue
    )


def test_readers_skip_a_workflow_they_cannot_read_and_carry_on(mops: Mops, tmp_path: Path) -> None:
    process_file = tmp_path / "hello.mops"
    process_file.write_text(GOOD)
    done = mops("run", str(process_file), "--id", "good-1")
    assert done.returncode == 0, done.stderr
    asyncio.run(_start_malformed(mops.address(), mops.env["MOPS_TASK_QUEUE"]))
    worker = mops.worker()
    try:
        wait_until(lambda: _state_listed(mops, "malformed-1") == "failed")
        status = mops("status", "malformed-1")
        listed = mops("list", "--json")
        history = mops("history", "malformed-1")
        out = tmp_path / "export.jsonl"
        exported = mops("audit", "export", "--since", "2000-01-01", "-o", str(out))
    finally:
        worker.terminate()
        worker.communicate(timeout=60)
    for shown in (status, history):
        assert "Traceback" not in shown.stderr
        assert "internal error" not in shown.stderr
    assert status.returncode == 1, status.stderr
    assert status.stderr.splitlines()[0].startswith(
        "mops: 'malformed-1' cannot be read as a campaign (failed): the start event is not "
        "a campaign's"
    )
    assert history.returncode == 1
    assert history.stderr.splitlines()[0].startswith("mops: 'malformed-1' is not a campaign")
    assert listed.returncode == 0
    assert {c["id"] for c in json.loads(listed.stdout)} >= {"good-1", "malformed-1"}
    assert exported.returncode == 0, exported.stderr
    campaigns = {json.loads(line)["campaign"] for line in out.read_text().splitlines()}
    assert "good-1" in campaigns
    assert "skipped 1 campaign that cannot be read: malformed-1" in exported.stderr


def _state_listed(mops: Mops, campaign: str) -> str | None:
    listed = mops.json("list")
    return next((c["state"] for c in listed if c["id"] == campaign), None)
