"""Every jump the checker accepts runs: a jump may leave an ``if`` branch or a
``for each`` body, never enter a block, never leave a ``parallel`` branch.

The interpreter looks for a jump's target in the block of the step that
jumps, then in each block around it (engine/jumps.py); the checker's G003,
G006 and G007 refuse the other targets. These campaigns take the accepted
kinds of jump on Temporal's time-skipping server.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict
from support import activity_events, compile_text, new_task_queue, registry_with, start, worker_for
from temporalio.testing import WorkflowEnvironment

from dsl import Catalogue, SourceFile, check_source
from engine.workflow.campaign import CampaignResult
from workers import ActionContext, ActionFailed, action


class PostParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channel: str


class Posted(BaseModel):
    channel: str


@action("social.post", description="Post on a channel (fails on 'broken')")
async def post(params: PostParams, ctx: ActionContext) -> Posted:
    if params.channel == "broken":
        raise ActionFailed("the channel refused the post", retryable=False)
    return Posted(channel=params.channel)


REGISTRY = registry_with(post)


async def titles(env: WorkflowEnvironment, text: str) -> list[str]:
    """The titles of the tasks a campaign ran, in order, once it has completed."""
    process = compile_text(text, REGISTRY)
    queue = new_task_queue()
    async with worker_for(env.client, REGISTRY, queue):
        handle = await start(env.client, process, {}, queue)
        # A failed campaign raises here; one that hangs fails the test in a minute.
        result: Any = await asyncio.wait_for(handle.result(), 60)
        history = await handle.fetch_history()
    CampaignResult.model_validate(result)
    return [title for _, title in activity_events(history.events)]


@pytest.mark.parametrize(
    "block",
    [["if true", '  task web "Web" = social.post(channel: "broken")', "    on error -> fix"]],
    ids=["out of an if branch"],
)
async def test_a_jump_out_of_a_block_goes_on_at_its_target(
    time_env: WorkflowEnvironment, block: list[str]
) -> None:
    text = "\n".join(
        [
            "process jumps",
            *(f"  {line}" for line in block),
            '  task skipped "Skipped" = social.post(channel: "web")',
            '  task fix "Fix" = social.post(channel: "fallback")',
            "",
        ]
    )
    ran = await titles(time_env, text)
    assert "Skipped" not in ran
    assert ran[-1] == "Fix"


async def test_a_jump_out_of_a_for_each_stops_the_other_items(
    time_env: WorkflowEnvironment,
) -> None:
    text = (
        "process jumps\n"
        '  for each channel in ["web", "broken", "mail"], 3 at a time\n'
        '    if channel == "broken"\n'
        '      task post "Post" = social.post(channel: channel)\n'
        "        on error -> fix\n"
        "    wait 1 day\n"
        '    task again "Post again" = social.post(channel: channel)\n'
        '  task skipped "Skipped" = social.post(channel: "web")\n'
        '  task fix "Fix" = social.post(channel: "fallback")\n'
        "  wait 2 days\n"
        '  task done "Done" = social.post(channel: "report")\n'
    )
    ran = await titles(time_env, text)
    # The broken post jumps to 'fix' at once; the other items, waiting out their
    # day while the campaign goes on, never post again. (They wait rather than post
    # first: the test server cannot cancel a task that is scheduled but not started.)
    assert "Post again" not in ran and "Skipped" not in ran
    assert ran[-2:] == ["Fix", "Done"]


def test_a_jump_into_an_if_branch_is_refused_before_it_runs() -> None:
    text = (
        "process jumps\n"
        '  task web "Web" = social.post(channel: "broken")\n'
        "    on error -> fix\n"
        "  if true\n"
        '    task fix "Fix" = social.post(channel: "fallback")\n'
    )
    catalogue = Catalogue(REGISTRY.signatures())
    checked = check_source(SourceFile.from_text(text, "jumps.mops"), catalogue)
    assert [(d.code, d.span.line) for d in checked.diagnostics] == [("G006", 3)]


def test_a_jump_out_of_a_parallel_branch_is_refused_before_it_runs() -> None:
    text = (
        "process jumps\n"
        "  parallel\n"
        '    task web "Web" = social.post(channel: "broken")\n'
        "      on error -> fix\n"
        '    task mail "Mail" = social.post(channel: "mail")\n'
        '  task fix "Fix" = social.post(channel: "fallback")\n'
    )
    catalogue = Catalogue(REGISTRY.signatures())
    checked = check_source(SourceFile.from_text(text, "jumps.mops"), catalogue)
    assert [(d.code, d.span.line) for d in checked.diagnostics] == [("G007", 4)]
