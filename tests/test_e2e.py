"""End to end, as users get it: the installed ``mops`` command and the embedded server."""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from httpserver import Answer, RecordingServer
from mops_cli import SCRIPTS, Mops

pytestmark = pytest.mark.e2e

STEPS = 5
WEBHOOKS = "\n".join(
    f"""\
  task post_{n} "Notify the CMS ({n} of {STEPS})" = http.post(
    url: "{{hook}}/step/{n}",
    json: {{step: {n}}},
  )
    timeout 4 seconds
    retry 20 times"""
    for n in range(1, STEPS + 1)
)
PROCESS = f"""\
process cms_sync "Send the launch plan to the CMS"
  input hook: url
{WEBHOOKS}
  output last = post_{STEPS}.status
"""


def temporal_json(mops: Mops, *args: str) -> object:
    done = subprocess.run(
        [str(SCRIPTS / "temporal"), *args, "--address", mops.address(), "--output", "json"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return json.loads(done.stdout)


def test_run_completes_and_temporal_shows_process_and_step_titles(mops: Mops) -> None:
    done = mops("run", "processes/blog_post.mops", "--input", "title=Spring launch")
    assert done.returncode == 0, done.stderr
    assert "completed: 4 steps" in done.stdout
    assert "Record the brief" in done.stdout
    campaign = mops.json("list")[0]["id"]
    # The official Temporal CLI shows the process name as the workflow type ...
    described = temporal_json(mops, "workflow", "describe", "--workflow-id", campaign)
    assert isinstance(described, dict)
    assert described["workflowExecutionInfo"]["type"]["name"] == "blog_post"
    # ... and each task as an activity named after its action, summarised by its title.
    history = temporal_json(mops, "workflow", "show", "--workflow-id", campaign)
    assert isinstance(history, dict)
    scheduled = [e for e in history["events"] if "activityTaskScheduledEventAttributes" in e]
    names = [e["activityTaskScheduledEventAttributes"]["activityType"]["name"] for e in scheduled]
    titles = [json.loads(base64.b64decode(e["userMetadata"]["summary"]["data"])) for e in scheduled]
    assert names == ["log.info"] * 4
    assert titles == [
        "Record the brief",
        "Dry run: log the CMS request",
        "Plan organic reach",
        "Announce to the team",
    ]


def test_detached_campaign_waits_for_a_worker_and_sigterm_stops_it_cleanly(
    mops: Mops, tmp_path: Path
) -> None:
    started = mops("run", "processes/blog_post.mops", "--detach", "--input", "title=Later")
    assert started.returncode == 0, started.stderr
    campaign = started.stdout.strip()
    assert "no worker is running" in started.stderr
    waiting = mops.json("status", campaign)
    assert (waiting["state"], waiting["steps"]) == ("running", [])
    worker = mops.worker()
    try:
        status = mops.wait_for_state(campaign, {"completed", "failed"})
    finally:
        worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=60)
    assert status["state"] == "completed"
    assert [s["state"] for s in status["steps"]] == ["done"] * 4
    assert worker.returncode == 0, output
    assert "stopped" in output


def test_sigkill_of_the_worker_loses_nothing_and_acts_once(mops: Mops, tmp_path: Path) -> None:
    process_file = tmp_path / "cms_sync.mops"
    process_file.write_text(PROCESS)
    with RecordingServer.running() as cms:
        cms.answer(Answer(delay=0.6))
        started = mops("run", str(process_file), "--detach", "--input", f"hook={cms.url}")
        assert started.returncode == 0, started.stderr
        campaign = started.stdout.strip()
        kills = 0
        for wanted in (2, 4):  # kill mid-run twice, each time while a request is in flight
            worker = mops.worker()
            deadline = time.monotonic() + 60
            while len(cms.requests) < wanted and time.monotonic() < deadline:
                time.sleep(0.05)
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=10)
            kills += 1
        worker = mops.worker()
        try:
            status = mops.wait_for_state(campaign, {"completed", "failed"})
        finally:
            worker.send_signal(signal.SIGTERM)
            worker.communicate(timeout=60)
    assert kills == 2
    assert status["state"] == "completed", status
    assert status["outputs"] == {"last": 200}
    # Every step acted exactly once: one key per step, derived from campaign and step ...
    expected = [f"{campaign}/post_{n}.1" for n in range(1, STEPS + 1)]
    assert sorted(cms.by_idempotency_key) == sorted(expected)
    assert [r.path for r in cms.applied] == [f"/step/{n}" for n in range(1, STEPS + 1)]
    # ... even though the kills made the worker send some of them again.
    assert sum(cms.by_idempotency_key.values()) > STEPS
