"""An approval's rounds, and a ``go back``'s times, count per pass of the loops around
them: the second month of a monthly report has its own review rounds."""

from __future__ import annotations

from typing import Any

from support import (
    LOGGED,
    act,
    compile_text,
    messages,
    new_task_queue,
    recorded_log,
    registry_replacing,
    start,
    worker_for,
)
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from waiting import wait_for

from engine.workflow.team import Member, TeamSnapshot
from engine.workflow.work_items import Act

MONTHLY = """\
process monthly "Monthly report"
  input months: number = 2
  set month = 1
  task draft "Draft the report" = log.info(message: "draft {month}")
  approval review "Review the report"
    by role editor
    deadline 3 days
    on changes -> draft
    at most 2 rounds, then continue
  task send "Send" = log.info(message: "sent {month} after {review.rounds} rounds")
  set month = month + 1
  if month <= months
    go back to draft, at most 11 times
  output last_rounds = review.rounds
"""
TEAM = TeamSnapshot(version="v1", people={"ana": Member(roles=("editor",))})


async def open_round(handle: WorkflowHandle[Any, Any], wanted: int) -> int:
    """Wait until the review is open (after ``wanted`` lines were logged); its round."""
    found = await wait_for(
        handle,
        lambda s: len(messages()) >= wanted and any(i.step == "review" for i in s.open_items),
    )
    return next(i.round for i in found.open_items if i.step == "review")


async def test_each_month_has_its_own_review_rounds(time_env: WorkflowEnvironment) -> None:
    client = time_env.client
    registry = registry_replacing(recorded_log)
    process = compile_text(MONTHLY, registry)
    queue = new_task_queue()
    LOGGED.clear()
    rounds = []
    async with worker_for(client, registry, queue):
        handle = await start(client, process, {}, queue, team=TEAM)
        # Every month: changes requested in round 1, approved in round 2.
        for logged_before in (1, 4):
            rounds.append(await open_round(handle, logged_before))
            await act(client, handle.id, Act(step="review", actor="ana", action="request_changes"))
            rounds.append(await open_round(handle, logged_before + 1))
            await act(client, handle.id, Act(step="review", actor="ana", action="approve"))
        result = await handle.result()
    assert rounds == [1, 2, 1, 2]
    assert messages() == [
        "draft 1",
        "draft 1",
        "sent 1 after 2 rounds",
        "draft 2",
        "draft 2",
        "sent 2 after 2 rounds",
    ]
    assert result["outputs"] == {"last_rounds": 2}
