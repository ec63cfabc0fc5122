"""Pausing, resuming and cancelling campaigns, and who did it."""

from __future__ import annotations

import pytest
from mops_cli import Mops
from support import compile_text, new_task_queue, signal, start, worker_for
from temporalio.client import WorkflowFailureError
from temporalio.exceptions import CancelledError
from temporalio.testing import WorkflowEnvironment
from waiting import wait_for

from engine.workflow.campaign import (
    CANCEL_SIGNAL,
    PAUSE_SIGNAL,
    RESUME_SIGNAL,
    STATUS_QUERY,
    CampaignStatus,
    OperatorAction,
)
from workers import builtin_registry

PROCESS = """\
process drip "Three touches"
  task first "First touch" = log.info(message: "one")
  wait 1 day
  task second "Second touch" = log.info(message: "two")
  wait 1 day
  task third "Third touch" = log.info(message: "three")
"""


async def test_a_paused_campaign_holds_before_its_next_step(time_env: WorkflowEnvironment) -> None:
    registry = builtin_registry()
    process = compile_text(PROCESS, registry)
    queue = new_task_queue()
    async with worker_for(time_env.client, registry, queue):
        handle = await start(time_env.client, process, {}, queue, started_by="t")
        await signal(
            time_env.client,
            handle.id,
            PAUSE_SIGNAL,
            OperatorAction(by="olga", reason="budget review"),
            by="olga",
        )
        await time_env.sleep(3 * 86400)
        held = await handle.query(STATUS_QUERY, result_type=CampaignStatus)
        await signal(
            time_env.client, handle.id, RESUME_SIGNAL, OperatorAction(by="olga"), by="olga"
        )
        result = await handle.result()
    assert held.state == "paused"
    # Paused right after it started: at most the step already under way finished.
    assert [s.id for s in held.steps if s.state == "done"] in ([], ["first"])
    assert result["steps_done"] == 5


async def test_cancelling_records_who_and_why(time_env: WorkflowEnvironment) -> None:
    registry = builtin_registry()
    process = compile_text(PROCESS, registry)
    queue = new_task_queue()
    async with worker_for(time_env.client, registry, queue):
        handle = await start(time_env.client, process, {}, queue, started_by="t")
        await wait_for(handle, lambda found: bool(found.steps))
        await signal(
            time_env.client,
            handle.id,
            CANCEL_SIGNAL,
            OperatorAction(by="olga", reason="campaign pulled"),
            by="olga",
        )
        await handle.cancel()
        with pytest.raises(WorkflowFailureError) as stopped:
            await handle.result()
        history = await handle.fetch_history()
    assert isinstance(stopped.value.cause, CancelledError)
    signals = [
        e.workflow_execution_signaled_event_attributes.signal_name
        for e in history.events
        if e.HasField("workflow_execution_signaled_event_attributes")
    ]
    assert signals == ["cancelling"]


@pytest.mark.e2e
def test_acting_on_a_whole_process_shows_a_preview_first(mops: Mops, tmp_path: object) -> None:
    from pathlib import Path

    folder = Path(str(tmp_path))
    (folder / "drip.mops").write_text(PROCESS)
    started = [mops("run", str(folder / "drip.mops"), "--detach").stdout.strip() for _ in range(2)]
    preview = mops("pause", "--process", "drip", "--json")
    assert preview.returncode == 0, preview.stderr
    import json

    shown = json.loads(preview.stdout)
    assert shown["would"] == "pause"
    assert sorted(shown["campaigns"]) == sorted(started)
    done = mops("pause", "--process", "drip", "--yes", "--reason", "budget review")
    assert done.returncode == 0, done.stderr
    assert sorted(line.split(": ")[1] for line in done.stdout.splitlines()) == sorted(started)
    neither = mops("pause")
    assert neither.returncode == 2
