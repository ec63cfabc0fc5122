"""Deadlines and waits worked out from the campaign's values, on the time-skipping server:
the duration comes from an input when the step opens, and is laid on the calendar pinned
in the IR (Monday to Friday, 9 to 5, UTC)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from support import NOTICES, act, compile_text, new_task_queue, start, worker_for
from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from test_people import REGISTRY, TEAM, doing
from waiting import status, wait_open

from dsl import Catalogue, CheckedProcess, SourceFile, check_source
from dsl._graph import build_graph
from dsl._plan import plan
from engine import ir
from engine.client import resolve_inputs
from engine.compiler import compile_process
from engine.ir import ProcessIR
from engine.workflow.time_values import add_months
from workers import builtin_registry

CATALOGUE = Catalogue(builtin_registry().signatures())

OFFICE = """\
calendar office
  time zone "UTC"
  working days mon to fri
  office hours 09:00 to 17:00

"""


async def next_monday(time_env: WorkflowEnvironment, at: dt.time) -> dt.datetime:
    """Skip the test server's clock to the next Monday at ``at`` (UTC)."""
    now = await time_env.get_current_time()
    monday = dt.datetime.combine(
        now.date() + dt.timedelta(days=7 - now.weekday()), at, tzinfo=dt.UTC
    )
    await time_env.sleep(monday - now)
    return monday


async def begin(
    client: Client, process: ProcessIR, queue: str, inputs: dict[str, Any]
) -> WorkflowHandle[Any, Any]:
    return await start(client, process, inputs, queue, team=TEAM)


async def reminders(handle: WorkflowHandle[Any, Any], expected: int) -> int:
    """How many reminders were sent, once ``expected`` were (or the workflow settled)."""
    sent = 0
    for _ in range(100):
        await status(handle)  # lets the workflow finish what it was doing
        sent = sum(n["kind"] == "reminder" for n in NOTICES)
        if sent >= expected:
            break
    return sent


async def escalations(handle: WorkflowHandle[Any, Any], step: str) -> int:
    item = next(i for i in (await status(handle)).open_items if i.step == step)
    return item.escalated


async def test_a_deadline_from_an_input_escalates_at_its_business_time(
    time_env: WorkflowEnvironment,
) -> None:
    NOTICES.clear()
    client = time_env.client
    process = compile_text(
        OFFICE
        + """\
process signoff "Sign-off"
  calendar office
  input review_time: duration
  approval finance "Finance sign-off"
    by role editor
    deadline review_time
    remind every review_time / 4
    escalate to role lead
  output decided_on = today()
""",
        REGISTRY,
    )
    inputs = resolve_inputs(process, texts={"review_time": "2 business days"})
    queue = new_task_queue()
    async with worker_for(client, REGISTRY, queue):
        monday = await next_monday(time_env, dt.time(10))
        handle = await begin(client, process, queue, inputs)
        await wait_open(handle, "finance")
        item = next(i for i in (await status(handle)).open_items if i.step == "finance")
        # Opened on Monday at 10:00 (and a few milliseconds): due on Wednesday at the same time.
        assert item.opened_at - monday < dt.timedelta(seconds=1)
        wednesday = item.opened_at + dt.timedelta(days=2)
        assert item.deadline == wednesday

        await time_env.sleep(wednesday - dt.timedelta(minutes=5) - monday)
        # Every half business day (4 hours): Monday 14:00, Tuesday 10:00 and 14:00.
        assert await reminders(handle, 3) == 3
        assert await escalations(handle, "finance") == 0
        await time_env.sleep(dt.timedelta(minutes=10))
        assert await escalations(handle, "finance") == 1
        # Escalated to the lead, who may now decide.
        await act(client, handle.id, doing("finance", "dan", "approve"))
        result = await handle.result()
    assert result["outputs"] == {"decided_on": wednesday.date().isoformat()}


async def test_a_wait_from_an_input_and_a_default_from_the_campaigns_clock(
    time_env: WorkflowEnvironment,
) -> None:
    client = time_env.client
    process = compile_text(
        OFFICE
        + """\
process pause "Pause"
  calendar office
  input pause: duration = 3 business hours
  input follow_up: date = add_months(today(), 1)
  wait pause * 2
  output woke = now()
  output follow_up_on = follow_up
""",
        REGISTRY,
    )
    inputs = resolve_inputs(process)
    assert "follow_up" not in inputs  # the campaign works it out from its own clock
    queue = new_task_queue()
    async with worker_for(client, REGISTRY, queue):
        monday = await next_monday(time_env, dt.time(15))
        handle = await begin(client, process, queue, inputs)
        result = await handle.result()
    # 6 business hours from Monday 15:00 (and the milliseconds the start took): two on
    # Monday, four on Tuesday from 9, so Tuesday at 13:00.
    woke = dt.datetime.fromisoformat(result["outputs"]["woke"])
    tuesday = monday + dt.timedelta(days=1, hours=-2)
    assert dt.timedelta(0) <= woke - tuesday < dt.timedelta(seconds=1)
    # The default read the campaign's clock when it started: Monday, a month on.
    assert result["outputs"]["follow_up_on"] == add_months(monday.date(), 1, None).isoformat()


# ---- checked before the campaign runs, and kept out of older processes' IR ---------------

FLEXIBLE = """\
process flexible
  input review_time: duration = 2 business days
  input days: number = 3
  approval review
    by role editor
    deadline {deadline}
    escalate to role lead after {after}
  wait {wait}
"""


def checked(deadline: str, after: str, wait: str) -> CheckedProcess:
    text = FLEXIBLE.format(deadline=deadline, after=after, wait=wait)
    return check_source(SourceFile.from_text(text, "flexible.mops"), CATALOGUE)


def test_a_duration_expression_of_another_type_is_a_type_error() -> None:
    found = checked("days", '"soon"', "2026-12-01")

    assert [(d.code, d.span.line, d.span.col, d.message) for d in found.diagnostics] == [
        ("T002", 6, 14, "the deadline should be duration, but this is number"),
        ("T002", 7, 33, "the escalation's 'after' should be duration, but this is text"),
        ("T002", 8, 8, "the wait should be duration, but this is date"),
    ]


def test_the_plan_lists_a_step_whose_deadline_depends_on_an_input() -> None:
    found = checked("review_time", "4 business days", "days * 1 business day")
    assert found.process is not None

    worst = plan(found.process, build_graph(found.process), None, catalogue=CATALOGUE)

    assert [(n.id, n.reason) for n in worst.not_counted] == [
        ("review", "the deadline depends on input review_time"),
        ("wait_line_8", "the wait depends on input days"),
    ]


def test_written_durations_compile_to_the_ir_they_always_did() -> None:
    literal = compile_process(checked("2 business days", "4 business days", "1 day"), CATALOGUE)
    computed = compile_process(checked("review_time", "review_time * 2", "days * 1 day"), CATALOGUE)

    review, wait = literal.body
    assert "deadline_expr" not in review.model_dump(mode="json")
    assert "remind_every_expr" not in review.model_dump(mode="json")
    assert "after_expr" not in review.model_dump(mode="json")["escalations"][0]
    assert "duration_expr" not in wait.model_dump(mode="json")
    # A computed one travels in the IR and comes back from its JSON unchanged.
    assert ProcessIR.model_validate_json(computed.model_dump_json()) == computed
    review, wait = computed.body
    assert isinstance(review, ir.HumanStep) and isinstance(wait, ir.WaitStep)
    assert review.deadline is None and review.deadline_expr is not None
    assert review.escalations[0].after is None and review.escalations[0].after_expr is not None
    assert wait.duration is None and wait.duration_expr is not None
