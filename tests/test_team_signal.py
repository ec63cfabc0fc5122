"""A team directory pushed to a running campaign is used for decisions from then on,
and who pushed it is in the history. Runs on the time-skipping server."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from support import (
    act,
    compile_text,
    new_task_queue,
    operator,
    recorded_notify,
    registry_replacing,
    signal,
    start,
    team,
    worker_for,
)
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from engine.audit import read_timeline, status_from_history
from engine.client import push_team, said
from engine.errors import UserError
from engine.workflow.campaign import (
    REFUSED_SIGNAL,
    STATUS_QUERY,
    TEAM_SIGNAL,
    CampaignStatus,
    TeamPush,
)
from engine.workflow.team import Member, TeamSnapshot
from engine.workflow.work_items import Act

REGISTRY = registry_replacing(recorded_notify)
PROCESS = """\
process article "An article, approved"
  approval review "Review the article"
    by 2 of role editor
    allow G101
  output approved_by = review.approvers
"""
V1 = team("v1", ana="editor", ben="editor")
V2 = TeamSnapshot(version="v2", people={**V1.people, "bea": Member(roles=("editor",))})
V3 = TeamSnapshot(version="v3", people={"ana": Member(roles=("editor",)), **V2.people})


async def status(handle: WorkflowHandle[Any, Any]) -> CampaignStatus:
    found: CampaignStatus = await handle.query(STATUS_QUERY, result_type=CampaignStatus)
    return found


async def settled(handle: WorkflowHandle[Any, Any], version: str) -> CampaignStatus:
    for _ in range(500):
        found = await status(handle)
        if found.team_version == version and found.open_items:
            return found
        await asyncio.sleep(0.02)
    raise AssertionError(f"never at team version {version}")


async def test_a_pushed_team_decides_from_then_on(time_env: WorkflowEnvironment) -> None:
    client = time_env.client
    process = compile_text(PROCESS, REGISTRY)
    queue = new_task_queue()
    async with worker_for(client, REGISTRY, queue):
        handle = await start(client, process, {}, queue, team=V1)
        await settled(handle, "v1")
        await act(client, handle.id, Act(step="review", actor="ana", action="approve"))
        with pytest.raises(UserError) as unknown:
            await act(client, handle.id, Act(step="review", actor="bea", action="approve"))
        # A push signed by an operator is taken (an unsigned one would be ignored).
        await signal(client, handle.id, TEAM_SIGNAL, TeamPush(by="test", team=V2))
        await handle.signal(REFUSED_SIGNAL, {"who": "mallory"})  # malformed: ignored
        await settled(handle, "v2")
        assert await push_team(client, [handle.id], V3, credentials=operator("olga")) == [handle.id]
        before = await settled(handle, "v3")
        answer = await act(client, handle.id, Act(step="review", actor="bea", action="approve"))
        result = await handle.result()
        history = await handle.fetch_history()
    assert str(unknown.value) == "refused: 'bea' is not in the team directory (version v1)"
    assert said(answer) == "'Review the article' is approved"
    assert result["outputs"] == {"approved_by": ["ana", "bea"]}
    # Each decision records the version it was checked against.
    assert [(d.actor, d.team_version) for d in before.open_items[0].decisions] == [("ana", "v1")]
    pushes = [
        json.loads(e.workflow_execution_signaled_event_attributes.input.payloads[0].data)
        for e in history.events
        if e.HasField("workflow_execution_signaled_event_attributes")
        and e.workflow_execution_signaled_event_attributes.signal_name == TEAM_SIGNAL
    ]
    assert [p.get("by") for p in pushes] == ["test", "olga"]
    assert pushes[1]["team"]["version"] == "v3"
    # The auditors' timeline shows who pushed which version, and the malformed
    # signal as ignored, not as a refused attempt.
    timeline = read_timeline([history])
    teams = [(e.actor, e.text) for e in timeline.entries if e.what == "team_updated"]
    assert teams == [
        ("test", "team directory now version v2"),
        ("olga", "team directory now version v3"),
    ]
    [ignored] = [e for e in timeline.entries if e.what == "signal_ignored"]
    assert ignored.text.startswith("signal 'refused' ignored by the campaign")
    assert [e.actor for e in timeline.entries if e.what == "refused"] == ["bea"]
    finished = status_from_history(history, state="completed")
    assert [r.actor for r in finished.refused] == ["bea"]
