"""Two workers on one task queue share the campaigns; killing one loses nothing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from httpserver import Answer, RecordingServer
from mops_cli import MOPS, ROOT, Mops, free_port

pytestmark = pytest.mark.e2e

CAMPAIGNS = 8
PROCESS = """\
process lead_sync "Sync new leads to the CRM"
  input crm: url
  input batch: number
  task push_1 "Push leads" = http.post(url: "{crm}/leads", json: {batch: batch})
    timeout 4 seconds
    retry 20 times
  task push_2 "Push scores" = http.post(url: "{crm}/scores", json: {batch: batch})
    timeout 4 seconds
    retry 20 times
  task push_3 "Close the batch" = http.post(url: "{crm}/done", json: {batch: batch})
    timeout 4 seconds
    retry 20 times
"""


def start_worker(mops: Mops, log: Path, *extra: str) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [str(MOPS), "worker", "--log-format", "json", *extra],
            env=mops.env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def json_lines(log: Path) -> list[dict[str, Any]]:
    lines = []
    for line in log.read_text().splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))
    return lines


def test_two_workers_share_the_load_and_one_can_die(mops: Mops, tmp_path: Path) -> None:
    process = tmp_path / "lead_sync.mops"
    process.write_text(PROCESS)
    metrics_port = free_port()
    with RecordingServer.running() as crm:
        crm.answer(Answer(delay=0.3))
        first = start_worker(mops, tmp_path / "first.log", "--metrics-port", str(metrics_port))
        second = start_worker(mops, tmp_path / "second.log")
        try:
            campaigns = []
            for batch in range(CAMPAIGNS):
                done = mops(
                    "run", str(process), "--detach", "-i", f"crm={crm.url}", "-i", f"batch={batch}"
                )
                assert done.returncode == 0, done.stderr
                campaigns.append(done.stdout.strip())
            deadline = time.monotonic() + 60
            while len(crm.requests) < CAMPAIGNS and time.monotonic() < deadline:
                time.sleep(0.05)
            os.killpg(second.pid, signal.SIGKILL)
            second.wait(timeout=10)
            states = [
                mops.wait_for_state(c, {"completed", "failed"}, timeout=180)["state"]
                for c in campaigns
            ]
            with urllib.request.urlopen(
                f"http://127.0.0.1:{metrics_port}/metrics", timeout=10
            ) as page:
                metrics = page.read().decode()
        finally:
            first.send_signal(signal.SIGTERM)
            first.wait(timeout=60)
            if second.poll() is None:
                os.killpg(second.pid, signal.SIGKILL)
    assert states == ["completed"] * CAMPAIGNS
    # Every step of every campaign acted exactly once, whoever ran it.
    expected = {f"{c}/push_{n}.1" for c in campaigns for n in (1, 2, 3)}
    assert set(crm.by_idempotency_key) == expected
    assert len(crm.applied) == len(expected)
    # Both workers did real work before one of them died ...
    logs = {name: json_lines(tmp_path / f"{name}.log") for name in ("first", "second")}
    for name, lines in logs.items():
        worked = [entry for entry in lines if entry.get("logger") == "mops.actions.http.post"]
        assert worked, f"the {name} worker ran no task"
        # ... and their logs are structured: each line names campaign, step and key.
        assert {"campaign_id", "step", "idempotency_key", "attempt"} <= set(worked[0])
    # The surviving worker exports the SDK's Prometheus metrics.
    assert "temporal_activity_execution_latency" in metrics or "temporal_worker" in metrics
    assert first.returncode == 0
