"""A seal made with a trusted key but for something else — another campaign — does not
verify. The Ed25519 check raises inside the workflow sandbox, which once crashed the
whole worker process (the error's module was imported inside the sandbox); now the
start fails its campaign, the decision is refused and the signal ignored, and the same
worker goes on running campaigns."""

from __future__ import annotations

from typing import Any

import pytest
from support import (
    compile_text,
    new_task_queue,
    operator,
    registry_replacing,
    signed,
    start,
    worker_for,
)
from temporalio.client import WorkflowFailureError, WorkflowUpdateFailedError
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from waiting import wait_for, wait_open

from engine.client import seal_start
from engine.workflow.campaign import ACT_UPDATE, CampaignResult, CampaignStart, OperatorAction
from engine.workflow.team import Member, TeamSnapshot

REGISTRY = registry_replacing()
SIMPLE = 'process simple\n  task say = log.info(message: "hello")\n'
REVIEW = "process review_it\n  allow G101\n  approval check\n    by role editor\n"
TEAM = TeamSnapshot(version="v1", people={"ben": Member(roles=("editor",))})


async def test_seals_for_another_campaign_are_refused_and_the_worker_lives_on(
    time_env: WorkflowEnvironment,
) -> None:
    client = time_env.client
    queue = new_task_queue()
    simple = compile_text(SIMPLE, REGISTRY)
    review = compile_text(REVIEW, REGISTRY)
    begun = CampaignStart(process=simple, inputs={}, started_by="test")
    elsewhere = seal_start(begun, "simple-elsewhere", operator())
    async with worker_for(client, REGISTRY, queue):
        forged = await client.start_workflow(
            "simple", args=[begun, elsewhere], id="simple-forged", task_queue=queue
        )
        with pytest.raises(WorkflowFailureError) as refused_start:
            await forged.result()
        handle = await start(client, review, {}, queue, team=TEAM)
        await wait_open(handle, "check")
        credentials = operator().asserting("ben")
        decision: dict[str, Any] = {"step": "check", "actor": "ben", "action": "approve"}
        sent = pydantic_data_converter.payload_converter.to_payload(decision).data
        other = credentials.signer.sign("act", "another-campaign", sent, credentials, nonce="u1")
        with pytest.raises(WorkflowUpdateFailedError) as refused_act:
            await handle.execute_update(ACT_UPDATE, args=[decision, other], id="u1")
        pause = OperatorAction(by="test", reason="forged")
        paused = pydantic_data_converter.payload_converter.to_payload(pause).data
        seal = operator().signer.sign("pause", "another-campaign", paused, operator())
        await handle.signal("pause", args=[pause, seal])
        ignored = await wait_for(handle, lambda s: bool(s.ignored_signals))
        # The same worker still runs a genuine campaign to its end.
        genuine = await client.start_workflow(
            "simple",
            args=signed(begun, "simple-genuine"),
            id="simple-genuine",
            task_queue=queue,
            result_type=CampaignResult,
        )
        result = await genuine.result()

    assert "the signature does not match what was sent" in str(refused_start.value.cause)
    assert "the signature does not match what was sent" in str(refused_act.value.cause)
    assert ignored.state == "running"
    assert [s.name for s in ignored.ignored_signals] == ["pause"]
    assert result.steps_done == 1
