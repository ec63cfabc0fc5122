"""The interpreter on Temporal's time-skipping test server, with stand-in actions."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict
from support import activity_events, compile_text, new_task_queue, registry_with, start, worker_for
from temporalio.client import WorkflowFailureError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from waiting import wait_for

from engine.workflow.campaign import CampaignResult
from workers import ActionContext, ActionFailed, action

CALLS: list[tuple[str, dict[str, Any], str]] = []


class DraftParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str
    words: int = 800


class DraftResult(BaseModel):
    doc_url: str
    words: int


@action("cms.create_draft", description="Create a draft in the CMS")
async def create_draft(params: DraftParams, ctx: ActionContext) -> DraftResult:
    CALLS.append(("cms.create_draft", params.model_dump(), ctx.idempotency_key))
    slug = params.title.lower().replace(" ", "-")
    return DraftResult(doc_url=f"https://cms.example.com/{slug}", words=params.words)


class PublishParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str


class PublishResult(BaseModel):
    page_id: str


@action("cms.publish", description="Publish a draft")
async def publish(params: PublishParams, ctx: ActionContext) -> PublishResult:
    CALLS.append(("cms.publish", params.model_dump(), ctx.idempotency_key))
    if "broken" in params.url:
        raise ActionFailed("the CMS refused the draft: 422 Unprocessable", retryable=False)
    return PublishResult(page_id="page-" + params.url.rsplit("/", 1)[1])


RELEASE = asyncio.Event()


class WaitParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str


class WaitResult(BaseModel):
    released: bool


@action("test.hold", description="Wait until the test releases it")
async def hold(params: WaitParams, ctx: ActionContext) -> WaitResult:
    await RELEASE.wait()
    return WaitResult(released=True)


REGISTRY = registry_with(create_draft, publish, hold)

BLOG = """\
process blog "Blog post"
  input title: text
  input budget: money = 0 EUR
  task draft "Write the draft" = cms.create_draft(title: title)
  if budget >= 1000 EUR
    task boost "Paid boost" = log.info(message: "boost {title} with {budget}")
  else if draft.words > 500
    task long_read "Long read" = log.info(message: "long read: {draft.words} words")
  else
    task short "Short" = log.info(message: "short")
  task publish "Publish the post" = cms.publish(url: draft.doc_url)
  output page = publish.page_id
  output doc = draft.doc_url
  output budget_left = budget - 10 EUR
"""


def cause_message(error: WorkflowFailureError) -> str:
    cause = error.cause
    assert isinstance(cause, ApplicationError), cause
    return cause.message


async def run(env: WorkflowEnvironment, text: str, inputs: dict[str, Any]) -> tuple[Any, list[Any]]:
    process = compile_text(text, REGISTRY)
    queue = new_task_queue()
    async with worker_for(env.client, REGISTRY, queue):
        handle = await start(env.client, process, inputs, queue)
        result = await handle.result()
        history = await handle.fetch_history()
    return result, list(history.events)


async def test_steps_run_in_order_with_results_bound_to_names(
    time_env: WorkflowEnvironment,
) -> None:
    CALLS.clear()
    result, events = await run(time_env, BLOG, {"title": "Spring launch"})
    outcome = CampaignResult.model_validate(result)
    assert outcome.outputs == {
        "page": "page-spring-launch",
        "doc": "https://cms.example.com/spring-launch",
        "budget_left": {"amount": "-10", "currency": "EUR"},
    }
    assert [c[0] for c in CALLS] == ["cms.create_draft", "cms.publish"]
    assert CALLS[1][1] == {"url": "https://cms.example.com/spring-launch"}
    # Activity type = action name, summary = step title: what Temporal's UI shows.
    assert activity_events(events) == [
        ("cms.create_draft", "Write the draft"),
        ("log.info", "Long read"),
        ("cms.publish", "Publish the post"),
    ]


@pytest.mark.parametrize(
    ("budget", "branch"),
    [
        ({"amount": "5000", "currency": "EUR"}, "Paid boost"),
        ({"amount": "0", "currency": "EUR"}, "Long read"),
    ],
)
async def test_if_else_takes_the_branch_the_condition_selects(
    time_env: WorkflowEnvironment, budget: dict[str, str], branch: str
) -> None:
    _, events = await run(time_env, BLOG, {"title": "Q3 webinar", "budget": budget})
    titles = [summary for _, summary in activity_events(events)]
    assert titles == ["Write the draft", branch, "Publish the post"]


async def test_workflow_type_is_the_process_name(time_env: WorkflowEnvironment) -> None:
    process = compile_text(BLOG, REGISTRY)
    queue = new_task_queue()
    async with worker_for(time_env.client, REGISTRY, queue):
        handle = await start(time_env.client, process, {"title": "x"}, queue)
        await handle.result()
        description = await handle.describe()
    assert description.workflow_type == "blog"


async def test_idempotency_keys_come_from_campaign_and_step(time_env: WorkflowEnvironment) -> None:
    CALLS.clear()
    process = compile_text(BLOG, REGISTRY)
    queue = new_task_queue()
    async with worker_for(time_env.client, REGISTRY, queue):
        handle = await start(
            time_env.client, process, {"title": "x"}, queue, campaign_id="blog-keys"
        )
        await handle.result()
    assert [key for _, _, key in CALLS] == ["blog-keys/draft.1", "blog-keys/publish.1"]


async def test_a_failing_task_fails_the_campaign_naming_step_and_line(
    time_env: WorkflowEnvironment,
) -> None:
    text = BLOG.replace("cms.publish(url: draft.doc_url)", 'cms.publish(url: "https://cms/broken")')
    with pytest.raises(WorkflowFailureError) as caught:
        await run(time_env, text, {"title": "x"})
    assert cause_message(caught.value) == (
        'step "Publish the post" (test.mops:11:3) failed: '
        "the CMS refused the draft: 422 Unprocessable"
    )


async def test_an_expression_error_names_the_line(time_env: WorkflowEnvironment) -> None:
    text = BLOG.replace("output budget_left = budget - 10 EUR", "output ratio = draft.words / 0")
    with pytest.raises(WorkflowFailureError) as caught:
        await run(time_env, text, {"title": "x"})
    assert cause_message(caught.value) == "test.mops:14:18: output 'ratio': division by zero"


async def test_bad_inputs_fail_the_campaign_cleanly(time_env: WorkflowEnvironment) -> None:
    with pytest.raises(WorkflowFailureError) as caught:
        await run(time_env, BLOG, {"title": "x", "budget": "lots"})
    assert cause_message(caught.value) == (
        "input 'budget': 'lots' is not an amount with a currency, such as '5000 EUR'"
    )
    with pytest.raises(WorkflowFailureError) as unknown:
        await run(time_env, BLOG, {"title": "x", "colour": "red"})
    assert cause_message(unknown.value) == "unknown input: colour"


async def test_status_query_and_current_details_name_the_current_step(
    time_env: WorkflowEnvironment,
) -> None:
    text = """\
process held "Held"
  task first "Prepare" = log.info(message: "go")
  task wait "Wait for the test" = test.hold(note: "x")
"""
    process = compile_text(text, REGISTRY)
    queue = new_task_queue()
    RELEASE.clear()
    async with worker_for(time_env.client, REGISTRY, queue):
        handle = await start(time_env.client, process, {}, queue)
        status = await wait_for(handle, lambda found: found.current_step == "wait")
        metadata = await handle.query("__temporal_workflow_metadata")
        RELEASE.set()
        await handle.result()
    assert status is not None
    assert status.current_step == "wait"
    assert [(s.id, s.state) for s in status.steps] == [("first", "done"), ("wait", "running")]
    assert "Wait for the test" in metadata.current_details
    assert "test.mops:3:3" in metadata.current_details
