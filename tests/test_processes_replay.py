"""Every process in ``processes/`` runs to its end, and its finished history replays
cleanly, in the sandbox that re-imports the interpreter too (``support.worker_for``).
Processes added later are picked up by the glob; see process_runs.py for the stand-ins
and the auto-responder."""

from __future__ import annotations

from pathlib import Path

import pytest
from process_runs import PROCESSES, replayer, run_to_the_end
from temporalio.testing import WorkflowEnvironment

PROCESS_FILES = sorted(PROCESSES.glob("*.mops"))


def test_there_are_processes_to_run() -> None:
    assert PROCESS_FILES, f"no process files in {PROCESSES}"


FAIL_ON_SAMPLES = {
    # Sample values cannot satisfy these; their scenarios drive them to the end.
    "data_quality": "the value has no field 'count'",  # the CRM scan's JSON answer
    "monthly_reporting": "Give at least two dates",  # the list of months
}


@pytest.mark.parametrize("path", PROCESS_FILES, ids=lambda p: p.stem)
async def test_every_process_runs_and_replays(time_env: WorkflowEnvironment, path: Path) -> None:
    result, history = await run_to_the_end(time_env, path)
    replayed = await replayer().replay_workflow(history, raise_on_replay_failure=True)
    kinds = [e.WhichOneof("attributes") for e in history.events]
    failed_tasks = kinds.count("workflow_task_failed_event_attributes")
    assert replayed.replay_failure is None
    assert failed_tasks == 0
    if path.stem in FAIL_ON_SAMPLES:
        assert kinds[-1] == "workflow_execution_failed_event_attributes"
        assert FAIL_ON_SAMPLES[path.stem] in result["failed"]
        return
    assert kinds[-1] == "workflow_execution_completed_event_attributes", result
    assert result["steps_done"] >= 1
    assert isinstance(result["outputs"], dict)


HUMAN = """\
process launch "Launch with people"
  input title: text
  input budget: money
  work draft "Write the copy"
    assign role writer
    deadline 2 days
    escalate to role lead
    returns doc_url: url, words: number, tone: one of "warm", "bold"
  approval review "Review the copy"
    by 2 of role editor
    not by draft.assignee
    deadline 1 day
    escalate to role lead
  task publish "Publish" = http.post(url: draft.doc_url, json: {title: title})
  output approvers = review.approvers
  output tone = draft.tone
"""


async def test_the_auto_responder_answers_work_items_and_approvals(
    time_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    # The harness itself, on a process with people and no team.toml beside it.
    path = tmp_path / "launch.mops"
    path.write_text(HUMAN)
    result, history = await run_to_the_end(time_env, path, root=tmp_path)
    replayed = await replayer().replay_workflow(history, raise_on_replay_failure=True)
    assert replayed.replay_failure is None
    assert result["outputs"]["tone"] == "warm"
    assert sorted(result["outputs"]["approvers"]) == ["editor_1", "editor_2"]
