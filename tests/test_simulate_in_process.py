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

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from mops_cli import MOPS, clean_env
from support import compile_text, new_task_queue, team
from temporalio.contrib.pydantic import pydantic_data_converter

from engine.client import Credentials, seal_decision, seal_start
from engine.workflow.campaign import ACT_UPDATE, CampaignStart
from engine.workflow.facts import Decided
from engine.workflow.provenance import trusting
from engine.workflow.work_items import Act
from mops.cli._simulate import simulate
from mops.scenarios import Summary
from mops.scenarios._cohort import SIMULATION_OPERATOR
from mops.scenarios._drive import _scenario_keys
from mops.scenarios._fast import can_fork
from mops.scenarios._inproc import InProcessServer, Refused, Unplayed
from mops.scenarios._stand_ins import AnySecret, ScriptBook, stand_in_registry
from workers import WORKFLOWS, builtin_registry

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


SEALED = """\
process sealed "An approval the simulation's people answer"
  approval ok "Approve it"
    by role editor
"""


async def test_the_campaigns_played_here_check_every_seal() -> None:
    """The server played here hands a campaign its start and seal, and a decision with
    its seal under the update id the seal names, as a client does: the campaign's own
    checks judge them as on a server, so a simulation proves nothing a real one would
    refuse."""
    process = compile_text(SEALED, name="sealed.mops")
    queue = new_task_queue()
    server = InProcessServer(
        workflows=WORKFLOWS,
        activities=stand_in_registry(builtin_registry(), ScriptBook()).activities(
            secrets=AnySecret(env={})
        ),
        converter=pydantic_data_converter,
        observe=lambda *_: None,
        start=dt.datetime(2030, 1, 7, 9, tzinfo=dt.UTC),
        task_queue=queue,
    )
    ours, trust = _scenario_keys(SIMULATION_OPERATOR)
    stranger, _ = _scenario_keys(SIMULATION_OPERATOR)  # the same name, a key nobody trusts
    start = CampaignStart(
        process=process, inputs={}, started_by=SIMULATION_OPERATOR, team=team("v1", ana="editor")
    )
    decision = Act(step="ok", actor="ana", action="approve")

    def decide(sealed_by: Credentials | None, *, update_id: str, sealed_for: str = "") -> Any:
        args: list[Any] = [decision]
        if sealed_by is not None:
            for_update = sealed_for or update_id
            args.append(seal_decision("signed", decision, for_update, sealed_by.asserting("ana")))
        return server.update("signed", ACT_UPDATE, args, Decided, update_id=update_id)

    with trusting(queue, trust):
        server.start(process.name, "signed", [start, seal_start(start, "signed", ours)])
        server.start(process.name, "forged", [start, seal_start(start, "forged", stranger)])
        server.start(process.name, "unsigned", [start])
        while await server.run_due():
            pass
        assert server.runs["signed"].state == "running"
        for refused, why in (("forged", "does not trust"), ("unsigned", "not signed")):
            run = server.runs[refused]
            assert run.state == "failed"
            assert run.failure is not None
            assert "start is refused" in run.failure.message
            assert why in run.failure.message

        with pytest.raises(Refused, match="not signed"):
            decide(None, update_id="u-1")
        with pytest.raises(Refused, match="does not trust"):
            decide(stranger, update_id="u-2")
        with pytest.raises(Refused, match="another request"):
            decide(ours, update_id="u-3", sealed_for="u-4")
        decided = decide(ours, update_id="u-5")
        assert decided.outcome == "approved"
        with pytest.raises(Unplayed):  # it completed: nothing more to decide
            decide(ours, update_id="u-6")
    assert server.runs["signed"].state == "completed"
