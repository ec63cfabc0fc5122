"""Separation of duties without gaps: one person, one entry and one vote; ``not by`` bars
everyone who held a step in any round, and can bar the person who started the campaign.

Each test is one of the gaps the provenance issue found, tried as someone would try
to slip through it; on the time-skipping server, with the real ``act`` update.
"""

from __future__ import annotations

import datetime as dt

import pytest
from support import (
    act,
    compile_text,
    new_task_queue,
    recorded_notify,
    registry_replacing,
    start,
    worker_for,
)
from temporalio.testing import WorkflowEnvironment
from waiting import wait_for, wait_open

from dsl import DirectoryError, parse_directory
from engine.errors import UserError
from engine.workflow.team import Away, Member, TeamSnapshot
from engine.workflow.work_items import Act

REGISTRY = registry_replacing(recorded_notify)


def test_the_same_person_twice_in_the_directory_is_an_error() -> None:
    twice = b"""\
[roles]
editor = "Reviews"

[people.ana]
name = "Ana"
email = "ana@acme.example"
roles = ["editor"]

[people.ana_again]
name = "Ana"
email = "ANA@acme.example"
roles = ["editor"]
"""
    with pytest.raises(DirectoryError) as caught:
        parse_directory(twice, "team.toml")
    assert str(caught.value) == (
        "team.toml: people.ana_again: the e-mail ANA@acme.example is already people.ana's"
    )


TWO_EDITORS = """\
process brief "A brief two editors approve"
  allow G101
  approval review "Review the brief"
    by 2 of role editor
  output approvers = review.approvers
"""


async def test_a_delegate_carries_the_delegators_one_vote(time_env: WorkflowEnvironment) -> None:
    team = TeamSnapshot(
        version="v1",
        people={
            "ana": Member(roles=("editor",)),
            "ben": Member(roles=("editor",)),
            "eve": Member(roles=()),
        },
    )
    client = time_env.client
    queue = new_task_queue()
    async with worker_for(client, REGISTRY, queue):
        handle = await start(client, compile_text(TWO_EDITORS, REGISTRY), {}, queue, team=team)
        await wait_open(handle, "review")
        await act(client, handle.id, Act(step="review", actor="ana", action="delegate", to="eve"))
        await act(client, handle.id, Act(step="review", actor="eve", action="approve"))
        # Ana handed her vote to Eve: she cannot add a second one.
        with pytest.raises(UserError) as twice:
            await act(client, handle.id, Act(step="review", actor="ana", action="approve"))
        still = await wait_for(handle, lambda s: bool(s.open_items))
        await act(client, handle.id, Act(step="review", actor="ben", action="approve"))
        result = await handle.result()
    assert "ana handed 'Review the brief' to a delegate" in str(twice.value)
    assert [d.for_whom for d in still.open_items[0].decisions] == ["", "ana"]
    assert result["outputs"] == {"approvers": ["eve", "ben"]}


async def test_an_absent_persons_delegate_and_the_person_have_one_vote_between_them(
    time_env: WorkflowEnvironment,
) -> None:
    # Away for as long as the shared time-skipping server's clock may run ahead.
    away = Away(start=dt.date(2000, 1, 1), until=dt.date(9999, 1, 1), delegate="eve")
    team = TeamSnapshot(
        version="v1",
        people={
            "ana": Member(roles=("editor",)),
            "ben": Member(roles=("editor",), away=(away,)),
            "eve": Member(roles=()),
        },
    )
    client = time_env.client
    queue = new_task_queue()
    async with worker_for(client, REGISTRY, queue):
        handle = await start(client, compile_text(TWO_EDITORS, REGISTRY), {}, queue, team=team)
        await wait_open(handle, "review")
        await act(client, handle.id, Act(step="review", actor="eve", action="approve"))
        # Ben, though away, approves too: his vote was cast by his delegate.
        with pytest.raises(UserError) as again:
            await act(client, handle.id, Act(step="review", actor="ben", action="approve"))
        waiting = await wait_for(handle, lambda s: bool(s.open_items))
        await act(client, handle.id, Act(step="review", actor="ana", action="approve"))
        result = await handle.result()
    assert "ben's vote on 'Review the brief' was already cast by eve" in str(again.value)
    assert len(waiting.open_items[0].decisions) == 1
    assert result["outputs"] == {"approvers": ["eve", "ana"]}


DONE = "complete"
REWORK = """\
process article "An article"
  allow G101
  work draft "Write the draft"
    assign role writer
    returns doc_url: url
  approval review "Review the draft"
    by role editor
    not by draft.assignee
    on reject -> draft
    at most 3 rounds
  output approvers = review.approvers
"""


async def test_not_by_bars_everyone_who_held_the_step_in_any_round(
    time_env: WorkflowEnvironment,
) -> None:
    team = TeamSnapshot(
        version="v1",
        people={
            "cleo": Member(roles=("writer", "editor")),
            "dora": Member(roles=("writer",)),
            "ana": Member(roles=("editor",)),
        },
    )
    draft = {"doc_url": "https://cms.acme.example/a"}
    client = time_env.client
    queue = new_task_queue()
    async with worker_for(client, REGISTRY, queue):
        handle = await start(client, compile_text(REWORK, REGISTRY), {}, queue, team=team)
        await wait_open(handle, "draft")
        await act(
            client, handle.id, Act(step="draft", actor="cleo", action="complete", outputs=draft)
        )
        await wait_open(handle, "review")
        await act(client, handle.id, Act(step="review", actor="ana", action="reject"))
        await wait_open(handle, "draft")
        await act(
            client, handle.id, Act(step="draft", actor="dora", action="complete", outputs=draft)
        )
        await wait_open(handle, "review")
        # Cleo wrote the first round's draft: she reviews none of it.
        with pytest.raises(UserError) as barred:
            await act(client, handle.id, Act(step="review", actor="cleo", action="approve"))
        await act(client, handle.id, Act(step="review", actor="ana", action="approve"))
        result = await handle.result()
    assert "cleo may not act on 'Review the draft': separation of duties" in str(barred.value)
    assert result["outputs"] == {"approvers": ["ana"]}


SELF_APPROVAL = """\
process budget "A budget"
  allow G101
  approval sign "Sign the budget off"
    by role finance
    not by started_by
  output signed_by = sign.approvers
"""


async def test_a_process_can_bar_the_person_who_started_the_campaign(
    time_env: WorkflowEnvironment,
) -> None:
    team = TeamSnapshot(
        version="v1",
        people={"olga": Member(roles=("finance",)), "fred": Member(roles=("finance",))},
    )
    client = time_env.client
    queue = new_task_queue()
    process = compile_text(SELF_APPROVAL, REGISTRY)
    async with worker_for(client, REGISTRY, queue):
        handle = await start(client, process, {}, queue, team=team, started_by="olga")
        await wait_open(handle, "sign")
        with pytest.raises(UserError) as barred:
            await act(
                client, handle.id, Act(step="sign", actor="olga", action="approve"), by="olga"
            )
        await act(client, handle.id, Act(step="sign", actor="fred", action="approve"))
        result = await handle.result()
    assert "olga may not act on 'Sign the budget off': separation of duties" in str(barred.value)
    assert result["outputs"] == {"signed_by": ["fred"]}
