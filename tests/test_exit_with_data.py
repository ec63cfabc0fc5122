"""``exit when event ... as e`` with the steps that run when it fires (issue 18, item 3):
what the checker accepts and refuses, how the formatter and the plan see it, and what a
campaign does, in each kind of block, on the time-skipping server."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict
from support import (
    compile_text,
    new_task_queue,
    registry_with,
    signal,
    signed,
    time_skipping_server_path,
    worker_for,
)
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from dsl import Catalogue, SourceFile, check_source, render_all
from dsl._format import format_source
from engine.compiler import compile_process
from engine.ir import ExitStep, ProcessIR, iter_steps
from engine.workflow.campaign import (
    EVENT_SIGNAL,
    STATUS_QUERY,
    CampaignStart,
    CampaignStatus,
    ExternalEvent,
)
from mops.scenarios import ScenarioResult, run_files
from workers import ActionContext, action, builtin_registry

CATALOGUE = Catalogue(builtin_registry().signatures())

DRIP = """\
process drip "Drip"
  input lead_email: email

  exit when event "contact.converted" key lead_email as conversion
    notify role sales "{lead_email} converted: deal {conversion.deal_id}"
    set outcome = "converted"

  set outcome = "nurtured"
  task first "First mail" = log.info(message: "Hello {lead_email}")
  wait 3 days
  task second "Second mail" = log.info(message: "Tips")

  output result = outcome
"""


def _problems(text: str) -> list[tuple[str, int, str]]:
    checked = check_source(SourceFile.from_text(text, "example.mops"), CATALOGUE)
    return [(d.code, d.span.line, d.message) for d in checked.diagnostics]


def test_the_event_data_is_there_for_the_steps_under_the_exit_and_nowhere_else() -> None:
    assert _problems(DRIP) == []
    after = DRIP.replace('log.info(message: "Tips")', "log.info(message: conversion.deal_id)")

    assert _problems(after) == [
        ("N001", 11, "'conversion' is not defined here"),
    ] or [code for code, *_ in _problems(after)] == ["N007"]


def test_steps_under_an_exit_define_nothing_after_its_block() -> None:
    text = DRIP.replace("  output result = outcome", "  output deal = noted.logged_at").replace(
        '    set outcome = "converted"',
        '    set outcome = "converted"\n    task noted = log.info(message: "noted")',
    )

    codes = [code for code, *_ in _problems(text)]

    assert codes and set(codes) <= {"N001", "N007"}


def test_the_name_of_the_event_data_is_one_of_the_process_names() -> None:
    text = DRIP.replace("as conversion", "as first").replace("conversion.deal_id", "first.x")

    assert ("N002", 4, "'first' is already defined at line 9") in _problems(text)


def test_a_jump_cannot_enter_the_steps_under_an_exit() -> None:
    text = DRIP.replace(
        '    set outcome = "converted"',
        '    task thank = log.info(message: "thanks")',
    ).replace(
        '  task second "Second mail" = log.info(message: "Tips")',
        '  task second "Second mail" = log.info(message: "Tips")\n    on error -> thank',
    )

    assert (
        "G006",
        12,
        "the jump to 'thank' enters the steps of the 'exit when' on line 4 from outside them",
    ) in _problems(text)


def test_the_formatter_keeps_the_binding_and_the_steps() -> None:
    messy = DRIP.replace("as conversion\n", "as   conversion   # the deal\n")

    formatted = format_source(messy)

    assert 'exit when event "contact.converted" key lead_email as conversion  # the deal\n' in (
        formatted
    )
    assert format_source(formatted) == formatted
    assert format_source(DRIP) == DRIP


def test_the_ir_carries_the_binding_and_the_steps_and_an_old_exit_is_unchanged() -> None:
    checked = check_source(SourceFile.from_text(DRIP, "drip.mops"), CATALOGUE)
    process = compile_process(checked, CATALOGUE)
    exit_step = process.body[0]

    assert isinstance(exit_step, ExitStep)
    assert exit_step.bind == "conversion"
    assert [s.kind for s in exit_step.then or ()] == ["notify", "set"]
    assert ProcessIR.model_validate_json(process.model_dump_json()) == process
    # Steps under an exit are steps of the process (the scenario checker finds them).
    assert "set_line_6" in {s.id for s in iter_steps(process.body)}
    plain = check_source(
        SourceFile.from_text(
            'process p\n  exit when event "x"\n  task t = log.info(message: "x")\n', "p.mops"
        ),
        CATALOGUE,
    )
    dumped = compile_process(plain, CATALOGUE).body[0].model_dump(mode="json")
    assert set(dumped) == {"kind", "id", "event", "key", "span"}, "old IR must not change"


def test_the_plan_counts_the_steps_under_an_exit() -> None:
    from dsl._graph import build_graph
    from dsl._plan import plan

    text = DRIP.replace(
        '    set outcome = "converted"',
        '    wait 2 business days\n    set outcome = "converted"',
    )
    checked = check_source(SourceFile.from_text(text, "drip.mops"), CATALOGUE)
    assert checked.process is not None, render_all(checked.diagnostics, checked.source)

    worst = plan(checked.process, build_graph(checked.process), None, catalogue=CATALOGUE)

    assert str(worst.total).startswith("2 business days + 3 days")
    assert any(step.why == "wait 2 business days" for step in worst.steps)


SCOPES = """\
process scopes "Where an exit ends"
  input items: list of text = ["a", "b", "c"]
  input hold: bool = true

  for each item in items
    exit when event "item.skipped" key item as skip
      task skipped "Note the skip" = log.info(message: "{item} skipped: {skip.why}")
    task start_item "Start the item" = log.info(message: "start {item}")
    wait 1 day
    task finish_item "Finish the item" = log.info(message: "finish {item}")

  if hold
    exit when event "hold.released" key "hold"
    task held "Wait on hold" = log.info(message: "held")
    wait 10 days
    task never "Never reached when released" = log.info(message: "late")

  parallel all
    branch quick
      exit when event "quick.done" key "q"
      wait 5 days
      task slow "Slow path" = log.info(message: "slow")
    task other "Other branch" = log.info(message: "other")

  task after_all "After every block" = log.info(message: "done")
"""

SCOPE_SCENARIOS = """\
scenario "Each block ends on its own exit, and the campaign goes on after it"
  event item.skipped key "b" after 1 hour with why = "out of stock"
  event hold.released key "hold" after 4 days
  event quick.done key "q" after 5 days
  expect exit item.skipped
  expect exit hold.released
  expect exit quick.done
  expect path start_item, finish_item, skipped, start_item, finish_item, held, other, \\
    after_all
  expect outcome completed
"""


@pytest.fixture(scope="module")
async def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, ScenarioResult]:
    folder: Path = tmp_path_factory.mktemp("exits")
    (folder / "drip.mops").write_text(DRIP)
    (folder / "team.toml").write_text(
        '[roles]\nsales = "Sales"\n\n[people.sam]\nname = "Sam"\nemail = "sam@example.com"\n'
        'roles = ["sales"]\n'
    )
    (folder / "drip.scenarios").write_text(
        'scenario "Converted after a day"\n'
        '  input lead_email = "jo@example.com"\n'
        '  event contact.converted key "jo@example.com" after 1 day with deal_id = "D-7"\n'
        "  expect exit contact.converted\n"
        "  expect outcome exited\n"
        "  expect notified sam\n"
        "  expect path first\n"
        '  expect output result = "converted"\n\n'
        'scenario "Never converted"\n'
        '  input lead_email = "jo@example.com"\n'
        "  expect no exit\n"
        "  expect not notified sam\n"
        "  expect path first, second\n"
        '  expect output result = "nurtured"\n'
    )
    (folder / "scopes.mops").write_text(SCOPES)
    (folder / "scopes.scenarios").write_text(SCOPE_SCENARIOS)
    found = await run_files([folder / "drip.scenarios", folder / "scopes.scenarios"])
    return {r.name: r for r in found}


def test_an_exit_at_the_top_runs_its_steps_with_the_event_data_then_completes(
    runs: dict[str, ScenarioResult],
) -> None:
    converted = runs["Converted after a day"]
    never = runs["Never converted"]

    assert converted.passed, converted.failures
    assert converted.outcome == "completed"
    assert converted.outputs == {"result": "converted"}
    assert never.passed, never.failures


def test_an_exit_ends_its_item_its_branch_or_its_if_and_the_campaign_goes_on(
    runs: dict[str, ScenarioResult],
) -> None:
    scoped = runs["Each block ends on its own exit, and the campaign goes on after it"]

    # The skip of item b arrived before its exit was reached: kept, it fires at once.
    assert scoped.passed, (scoped.failures, scoped.path)
    assert scoped.exits == ("item.skipped", "hold.released", "quick.done")


# ---- an exit stops a task that is running -------------------------------------------------

HELD = asyncio.Event()
STARTED = asyncio.Event()


class _Slow(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str


class _Done(BaseModel):
    done: str


@action("slow.run", description="Stand-in: runs until the test lets it go", heartbeat=None)
async def slow_run(params: _Slow, ctx: ActionContext) -> _Done:
    STARTED.set()
    while not HELD.is_set():
        ctx.heartbeat()
        await asyncio.sleep(0.05)
    return _Done(done=params.name)


@pytest.fixture
async def own_env() -> AsyncIterator[WorkflowEnvironment]:
    """A time-skipping server of this test's own: an activity cancelled while it runs
    left the shared one unable to skip time for the tests after it ('h2 protocol
    error' on the next sleep)."""
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter,
        test_server_existing_path=time_skipping_server_path(),
    )
    try:
        yield env
    finally:
        await env.shutdown()


async def test_an_exit_stops_a_running_task_and_the_campaign_completes(
    own_env: WorkflowEnvironment,
) -> None:
    time_env = own_env
    HELD.clear()
    STARTED.clear()
    registry = registry_with(slow_run)
    process = compile_text(
        'process stop "Stop a long task"\n'
        "  input lead: email\n"
        '  exit when event "lead.gone" key lead as gone\n'
        '    task noted = log.info(message: "gone: {gone.why}")\n'
        '  task long_one "A long task" = slow.run(name: "x")\n'
        '  task never = log.info(message: "never")\n',
        registry,
    )
    begin = CampaignStart(process=process, inputs={"lead": "jo@acme.example"}, started_by="t")
    queue = new_task_queue()
    async with worker_for(time_env.client, registry, queue):
        campaign = f"stop-{uuid.uuid4().hex[:6]}"
        handle = await time_env.client.start_workflow(
            process.name, args=signed(begin, campaign), id=campaign, task_queue=queue
        )
        await asyncio.wait_for(STARTED.wait(), 60)
        await signal(
            time_env.client,
            handle.id,
            EVENT_SIGNAL,
            ExternalEvent(name="lead.gone", key="jo@acme.example", data={"why": "moved"}),
        )
        result = await handle.result()
        HELD.set()
        status = await handle.query(STATUS_QUERY, result_type=CampaignStatus)

    assert result["steps_done"] >= 2
    states = {s.id: (s.state, s.error) for s in status.steps}
    assert states["long_one"] == ("failed", "cancelled: the block it ran in was left")
    assert states["noted"] == ("done", None)
    assert "never" not in states
