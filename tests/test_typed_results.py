"""A step's typed results are typed values in the process, not the text JSON made of them.

An action returns its result as JSON: a datetime arrives as ISO text, a
duration as ``PT1H``, an exact number as text. Reading ``plan.send_at`` must
still give a datetime (date arithmetic, comparisons, ``wait until``).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict
from support import compile_text, new_task_queue, registry_with, start, worker_for
from temporalio.testing import WorkflowEnvironment

from engine import ir
from engine.workflow.campaign import CampaignResult
from engine.workflow.values import ValueProblem, from_result
from workers import ActionContext, action


class PlanParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str


class Plan(BaseModel):
    send_at: dt.datetime
    launch_day: dt.date
    lead_time: dt.timedelta
    budget: Decimal
    review_days: list[dt.date]
    follow_up: dt.datetime | None = None


@action("crm.plan_send", description="Plan when a campaign mail goes out")
async def plan_send(params: PlanParams, ctx: ActionContext) -> Plan:
    return Plan(
        send_at=dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC),
        launch_day=dt.date(2026, 3, 6),
        lead_time=dt.timedelta(hours=1, minutes=30),
        budget=Decimal("1250.50"),
        review_days=[dt.date(2026, 2, 27), dt.date(2026, 3, 3)],
    )


REGISTRY = registry_with(plan_send)

TYPED = """\
process typed "Typed results"
  task plan = crm.plan_send(name: "spring")
  if plan.send_at < plan.send_at + plan.lead_time
    task early = log.info(message: "before launch")
  output reminder = plan.send_at + 2 days
  output warm_up = plan.send_at - plan.lead_time
  output day_after = plan.launch_day + 1 day
  output double = plan.budget * 2
  output last_review = plan.review_days[1] + 1 day
  output follow_up_set = plan.follow_up == plan.send_at
"""


async def test_a_tasks_datetime_date_duration_and_number_results_are_typed_at_run_time(
    time_env: WorkflowEnvironment,
) -> None:
    process = compile_text(TYPED, REGISTRY)
    queue = new_task_queue()
    async with worker_for(time_env.client, REGISTRY, queue):
        handle = await start(time_env.client, process, {}, queue)
        outcome = CampaignResult.model_validate(await handle.result())
    assert outcome.outputs == {
        "reminder": "2026-03-04T09:30:00+00:00",
        "warm_up": "2026-03-02T08:00:00+00:00",
        "day_after": "2026-03-07",
        "double": 2501,
        "last_review": "2026-03-04",
        "follow_up_set": False,
    }


def test_the_compiled_process_says_which_result_fields_need_their_type() -> None:
    process = compile_text(TYPED, REGISTRY)
    reminder = next(o for o in process.outputs if o.name == "reminder").value
    assert isinstance(reminder, ir.Binary) and isinstance(reminder.left, ir.Attr)
    assert reminder.left.type == ir.ScalarType(name="datetime")


@pytest.mark.parametrize(
    ("sent", "type_", "read"),
    [
        ("2026-03-02T09:30:00Z", "datetime", dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)),
        ("2026-03-02", "date", dt.date(2026, 3, 2)),
        ("PT1H30M", "duration", dt.timedelta(minutes=90)),
        ("P2DT0.5S", "duration", dt.timedelta(days=2, seconds=0.5)),
        ("-PT1H", "duration", dt.timedelta(hours=-1)),
        (Decimal(90), "duration", dt.timedelta(minutes=1, seconds=30)),
        ("1250.50", "number", Decimal("1250.50")),
        (None, "datetime", None),
    ],
)
def test_a_result_field_reads_as_its_declared_type(sent: Any, type_: str, read: Any) -> None:
    assert from_result(sent, ir.ScalarType(name=type_)) == read


def test_a_list_of_dates_reads_as_dates() -> None:
    list_of_dates = ir.ListType(item=ir.ScalarType(name="date"))
    assert from_result(["2026-03-02"], list_of_dates) == [dt.date(2026, 3, 2)]


@pytest.mark.parametrize(("sent", "type_"), [("soon", "datetime"), ("P", "duration")])
def test_a_result_field_that_does_not_fit_its_type_is_a_value_problem(
    sent: str, type_: str
) -> None:
    with pytest.raises(ValueProblem):
        from_result(sent, ir.ScalarType(name=type_))
