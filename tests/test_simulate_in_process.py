"""A cohort run in this process (the server's part played here) does what the same
cohort does on the time-skipping test server: campaign by campaign, the same
outcomes, reasons, escalations and durations. The webinar process exercises
what the in-process server plays: timers in business time, activities with
retries that run out, a loop of parallel speakers, events, people's answers
through the real update and its validator, a quorum of two roles, a rework loop.

Failures are scripted on a task that runs alone: which of two tasks of one step
running side by side gets a scripted failure depends, on the test server, on
which of them the worker runs first.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from mops_cli import MOPS, clean_env

from mops.cli._simulate import simulate
from mops.scenarios import Summary
from mops.scenarios._fast import can_fork

ROOT = Path(__file__).resolve().parent.parent
WEBINAR = ROOT / "processes" / "webinar.mops"
RESPONSES = """\
[roles.events_manager]
answer = "lognormal(median=4 business hours, p90=2 business days)"

[steps.speakers_ready.outputs]
go_ahead = {one_of = [true, true, true, false]}

[steps.copy_check]
approve = 0.6
changes = 0.4

[steps.registrants]
fail = 0.8

[events."speaker.confirmed"]
arrives = 0.8
after = "lognormal(median=1 business day, p90=4 business days)"

[events."webinar.ended"]
arrives = 0.9
after = "lognormal(median=2 business hours, p90=6 business hours)"
"""
RUNS = 16


async def _both(tmp_path: Path) -> tuple[Summary, Summary]:
    responses = tmp_path / "webinar.toml"
    responses.write_text(RESPONSES)
    here = await simulate(WEBINAR, runs=RUNS, seed=7, responses=responses)
    there = await simulate(WEBINAR, runs=RUNS, seed=7, responses=responses, on_server=True)
    return here, there


async def test_a_cohort_in_process_does_what_it_does_on_the_test_server(tmp_path: Path) -> None:
    here, there = await _both(tmp_path)
    assert here.outcomes == there.outcomes
    assert here.reasons == there.reasons
    assert here.escalation_rate == there.escalation_rate
    assert here.work_items == there.work_items
    assert here.refusals == there.refusals
    # The test server's clock runs on a little while answers are given: durations
    # agree to within a few seconds of business time.
    for mine, theirs in zip(here.durations, there.durations, strict=True):
        assert mine == pytest.approx(theirs, abs=1e-3)
    # Something happened worth comparing: failures (some of a task whose retries ran
    # out, at a moment set by its backoff), a rework loop, escalations.
    assert set(here.outcomes) == {"completed", "failed"}
    assert any("Fetch the registrants" in reason for reason in here.reasons)
    assert here.escalation_rate["copy_check"] > 0


def test_a_cohort_spread_over_processes_gives_the_same_result(tmp_path: Path) -> None:
    # In a process of its own: this one talked to a test server above, and a process
    # with the SDK's threads does not fork (mops.scenarios._fast.can_fork).
    responses = tmp_path / "webinar.toml"
    responses.write_text(RESPONSES)

    def simulated(processes: int) -> dict[str, Any]:
        done = subprocess.run(
            [
                *(str(MOPS), "simulate", str(WEBINAR), "--runs", str(RUNS), "--seed", "3"),
                *("--responses", str(responses), "--processes", str(processes), "--json"),
            ],
            env=clean_env(),
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        shown: dict[str, Any] = json.loads(done.stdout)
        return shown

    assert simulated(2) == simulated(1)


def test_a_process_that_talked_to_temporal_does_not_fork() -> None:
    fresh = subprocess.run(
        [sys.executable, "-c", "from mops.scenarios._fast import can_fork; print(can_fork())"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert fresh.stdout.strip() == "True"
    assert not can_fork()  # this one ran a test server above: the SDK's threads are here
