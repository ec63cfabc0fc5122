"""A sub-process's work items and approvals, at any depth, on the time-skipping server:
the caller's status names the child campaign, and people act on the child's steps."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from support import (
    act,
    new_task_queue,
    recorded_notify,
    registry_replacing,
    start,
    team,
    worker_for,
)
from temporalio.testing import WorkflowEnvironment
from waiting import eventually, status

from dsl import Catalogue
from engine import ir
from engine.client import SubProcessItem, said, sub_process_items
from engine.compiler import compile_file
from engine.errors import UserError
from engine.workflow import attributes as sa
from engine.workflow.campaign import CampaignStatus
from engine.workflow.work_items import Act

TEAM = team("v1-test", ana="editor")
REGISTRY = registry_replacing(recorded_notify)


def write_processes(folder: Path) -> None:
    (folder / "check.mops").write_text(
        'process copy_check "Copy check"\n'
        "  input copy: text\n"
        '  exit when event "copy.withdrawn" key copy\n'
        '  approval check "Check the copy"\n'
        "    by role editor\n"
        "  output checked = check.approvers\n"
    )
    (folder / "review.mops").write_text(
        'use "check.mops"\n'
        'process content_review "Content review"\n'
        "  input copy: text\n"
        '  call proof "Proofread" = copy_check(copy: copy)\n'
        "  output checked = proof.checked\n"
    )
    (folder / "launch.mops").write_text(
        'use "review.mops"\n'
        'process launch "Launch"\n'
        '  call review "Review the copy" = content_review(copy: "Spring sale")\n'
        "  output reviewed_by = review.checked\n"
    )


async def test_an_approval_two_sub_processes_deep_is_found_and_decided(
    time_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    write_processes(tmp_path)
    process, _ = compile_file(tmp_path / "launch.mops", Catalogue(REGISTRY.signatures()))
    client = time_env.client
    queue = new_task_queue()
    campaign = f"launch-{uuid.uuid4().hex[:8]}"
    grandchild = f"{campaign}.review.1.proof.1"
    async with worker_for(client, REGISTRY, queue):
        handle = await start(client, process, {}, queue, campaign, team=TEAM)

        async def grandchild_open() -> tuple[CampaignStatus, list[SubProcessItem]]:
            top = await status(handle)
            found = await sub_process_items(client, top)
            assert found, "not open yet"
            return top, found

        top, found = await eventually(grandchild_open)
        # The caller's running step names its child campaign; the approval is the grandchild's.
        assert [(s.id, s.state, s.campaign) for s in top.steps] == [
            ("review", "running", f"{campaign}.review.1")
        ]
        assert [(f.campaign, f.item.step, f.item.parties) for f in found] == [
            (grandchild, "check", ("role:editor",))
        ]
        with pytest.raises(UserError) as wrong_run:
            await act(client, campaign, Act(step="check", actor="ana", action="approve"))
        assert wrong_run.value.hint == (
            f"'Check the copy' is open in the sub-process campaign {grandchild}: "
            f"mops approve {grandchild} check --as ana"
        )
        answer = await act(client, grandchild, Act(step="check", actor="ana", action="approve"))
        assert said(answer) == "'Check the copy' is approved"
        result = await handle.result()
    assert result["outputs"] == {"reviewed_by": ["ana"]}


def test_a_campaign_listens_for_the_events_it_waits_for_and_exits_on(tmp_path: Path) -> None:
    write_processes(tmp_path)
    (tmp_path / "drip.mops").write_text(
        'process drip "Drip"\n'
        "  input lead: email\n"
        '  exit when event "lead.unsubscribed" key lead\n'
        '  wait for event "lead.engaged" key lead\n'
    )
    catalogue = Catalogue(REGISTRY.signatures())
    drip, _ = compile_file(tmp_path / "drip.mops", catalogue)
    launch, _ = compile_file(tmp_path / "launch.mops", catalogue)
    assert sa.events_of(drip) == ["lead.engaged", "lead.unsubscribed"]
    # Not those of its sub-processes: they are campaigns of their own and listen themselves.
    assert sa.events_of(launch) == []


def test_lead_nurture_called_from_lead_routing_listens_for_unsubscribes() -> None:
    root = Path(__file__).resolve().parent.parent / "processes"
    routing, _ = compile_file(root / "lead_routing.mops", Catalogue(REGISTRY.signatures()))
    [nurture] = [
        step
        for step in ir.iter_steps(routing.body)
        if isinstance(step, ir.CallStep) and step.process.name == "lead_nurture"
    ]
    # The child campaign is started with these in MopsEvents: 'mops send-event' finds it.
    assert "lead.unsubscribed" in sa.events_of(nurture.process)
