"""Decisions, parallel work, loops, waits and variables, run on the time-skipping server."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from support import (
    NOTICES,
    compile_text,
    new_task_queue,
    recorded_notify,
    registry_replacing,
    start,
    worker_for,
)
from temporalio.client import WorkflowFailureError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

REGISTRY = registry_replacing(recorded_notify)


async def run(env: WorkflowEnvironment, text: str, inputs: dict[str, Any]) -> tuple[Any, Any]:
    process = compile_text(text, REGISTRY)
    queue = new_task_queue()
    async with worker_for(env.client, REGISTRY, queue):
        handle = await start(env.client, process, inputs, queue)
        result = await handle.result()
        history = await handle.fetch_history()
        description = await handle.describe()
    return result, (history, description)


TIERS = """\
process tiers
  input budget: money
  decide tier "Pick the tier"
    when budget >= 10000 EUR -> "paid"
    when budget > 0 EUR -> "boosted"
    otherwise -> "organic"
  decide route
    hit policy collect
    when budget > 100 EUR -> owner = "agency", queue = "paid"
    when budget > 10 EUR -> owner = "team", queue = "small"
  output tier = tier
  output routes = route
"""


@pytest.mark.parametrize(
    ("amount", "tier", "routes"),
    [
        (
            "20000",
            "paid",
            [{"owner": "agency", "queue": "paid"}, {"owner": "team", "queue": "small"}],
        ),
        ("50", "boosted", [{"owner": "team", "queue": "small"}]),
        ("0", "organic", []),
    ],
)
async def test_decision_tables_pick_rows_and_record_them_in_history(
    time_env: WorkflowEnvironment, amount: str, tier: str, routes: list[dict[str, str]]
) -> None:
    if not routes:
        with pytest.raises(WorkflowFailureError) as caught:
            await run(time_env, TIERS, {"budget": {"amount": amount, "currency": "EUR"}})
        assert isinstance(caught.value.cause, ApplicationError)
        assert caught.value.cause.message == "test.mops:7:3: no row of 'route' matches"
        return
    result, (_history, description) = await run(
        time_env, TIERS, {"budget": {"amount": amount, "currency": "EUR"}}
    )
    assert result["outputs"] == {"tier": tier, "routes": routes}
    memo = await description.memo()
    assert memo["decision.tier"]["inputs"] == {"budget": {"amount": amount, "currency": "EUR"}}
    assert memo["decision.tier"]["result"] == tier
    assert memo["decision.route"]["rows"] == ([9, 10] if len(routes) == 2 else [10])


async def test_unique_hit_policy_refuses_two_matching_rows(time_env: WorkflowEnvironment) -> None:
    text = """\
process p
  input n: number
  decide size
    hit policy unique
    when n * 1 > 1 -> "big"
    when n * 1 > 5 -> "huge"
  output size = size
"""
    with pytest.raises(WorkflowFailureError) as caught:
        await run(time_env, text, {"n": 10})
    assert isinstance(caught.value.cause, ApplicationError)
    assert caught.value.cause.message == "test.mops:3:3: rows at lines 5 and 6 of 'size' both match"
    result, _ = await run(time_env, text, {"n": 3})
    assert result["outputs"] == {"size": "big"}


async def test_parallel_branches_and_loops_share_results(time_env: WorkflowEnvironment) -> None:
    NOTICES.clear()
    text = """\
process p
  input channels: list of text = ["linkedin", "x", "newsletter"]
  parallel
    task a = log.info(message: "a")
    branch b
      set count = len(channels)
  for each channel in channels, 2 at a time
    notify role social "Post on {channel}"
  output a_logged = a.logged
  output count = count
"""
    result, _ = await run(time_env, text, {})
    assert result["outputs"]["count"] == 3
    assert sorted(n["message"] for n in NOTICES) == [
        "Post on linkedin",
        "Post on newsletter",
        "Post on x",
    ]
    # One idempotency key per iteration: the step ran three times.
    assert sorted(n["key"].rsplit("/", 1)[1] for n in NOTICES) == [
        "notify_line_8.1",
        "notify_line_8.2",
        "notify_line_8.3",
    ]


async def test_parallel_first_cancels_the_slower_branch(time_env: WorkflowEnvironment) -> None:
    text = """\
process p
  parallel first
    branch fast
      wait 1 hour
      set winner = "fast"
    branch slow
      wait 3 days
      set winner = "slow"
  wait 5 days
  output done = true
"""
    result, (history, _) = await run(time_env, text, {})
    assert result["outputs"] == {"done": True}
    cancelled = [e for e in history.events if e.HasField("timer_canceled_event_attributes")]
    assert len(cancelled) == 1


async def test_waits_follow_the_calendar(time_env: WorkflowEnvironment) -> None:
    text = """\
calendar berlin
  time zone "Europe/Berlin"
  office hours 09:00 to 17:00
  holidays "DE"

process p
  calendar berlin
  input day: date
  wait 2 business days
  set after_wait = day + 2 business days
  wait until day at 10:30
  output next_working = after_wait
"""
    result, (history, _) = await run(time_env, text, {"day": "2026-12-23"})
    # 24 Dec is a working day, 25 and 26 Dec are holidays in Germany, 27 is a Sunday.
    assert result["outputs"] == {"next_working": "2026-12-28"}
    timers = [e for e in history.events if e.HasField("timer_started_event_attributes")]
    assert len(timers) >= 1


async def test_fail_ends_the_campaign_with_its_reason(time_env: WorkflowEnvironment) -> None:
    text = (
        "process p\n  input budget: money\n  if budget > 100 EUR\n"
        '    fail "Budget {budget} is over the cap"\n'
    )
    with pytest.raises(WorkflowFailureError) as caught:
        await run(time_env, text, {"budget": {"amount": "500", "currency": "EUR"}})
    assert isinstance(caught.value.cause, ApplicationError)
    assert caught.value.cause.message == "test.mops:4:5: Budget 500.00 EUR is over the cap"


async def test_percent_and_date_arithmetic(time_env: WorkflowEnvironment) -> None:
    text = """\
process p
  input budget: money
  input discount: percent = 15%
  input launch: date
  output discounted = budget - budget * discount
  output follow_up = launch + 7 days
  output gap = 2026-12-31 - launch
"""
    result, _ = await run(
        time_env, text, {"budget": {"amount": "200", "currency": "EUR"}, "launch": "2026-12-01"}
    )
    assert result["outputs"] == {
        "discounted": {"amount": "170.00", "currency": "EUR"},
        "follow_up": "2026-12-08",
        "gap": dt.timedelta(days=30).total_seconds(),
    }
