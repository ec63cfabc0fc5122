"""Business-time arithmetic: the edge cases that break other engines, with exact answers.

Unless a test says otherwise, moments are in Berlin on the ``DE`` preset
(Mon-Fri 09:00-17:00, German public holidays pinned for 2025-2031). 2026-03-16
is a Monday; Germany changes to summer time on Sunday 2026-03-29 and back on
Sunday 2026-10-25, the US on Sunday 2026-03-08.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import BaseModel
from temporalio import workflow
from temporalio.client import WorkflowFailureError
from temporalio.testing import WorkflowEnvironment

# The sandbox re-imports this module for DeadlineWorkflow (below); what the module
# needs besides the workflow comes in as it is.
with workflow.unsafe.imports_passed_through():
    from hypothesis import given, settings
    from hypothesis import strategies as st
    from temporalio.worker import Worker
    from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

    from dsl._calendars import CalendarSpec, pin, preset
    from engine.ir import Calendar, Duration
    from workers import PASSED_THROUGH, workflow_runner

from engine.workflow import business_time
from engine.workflow.business_time import (
    PLAIN,
    add,
    calendar_ir,
    is_working_day,
    next_send_moment,
    next_working_moment,
    working_time_between,
)

UTC = dt.UTC
YEARS = range(2025, 2032)


def pinned(spec: CalendarSpec) -> Calendar:
    return calendar_ir(pin(spec, YEARS))


def country(code: str) -> CalendarSpec:
    spec = preset(code)
    assert spec is not None
    return spec


@functools.cache
def named(name: str) -> Calendar:
    """The test calendars, pinned on first use (module level stays free of holiday
    lookups, which the workflow sandbox would refuse when it re-imports this file)."""
    match name:
        case "window":
            return custom(
                send_window=(dt.time(8), dt.time(20)),
                blackouts=(
                    (dt.date(2026, 12, 24), dt.date(2026, 12, 26)),
                    (dt.date(2026, 12, 27), dt.date(2026, 12, 27)),
                ),
            )
        case "gulf":  # Sunday to Thursday, half past eight to half past four
            return pinned(
                CalendarSpec(
                    name="gulf",
                    time_zone="Asia/Dubai",
                    working_days=(6, 0, 1, 2, 3),
                    office_hours=(dt.time(8), dt.time(16, 30)),
                    days_off=(dt.date(2026, 6, 1), dt.date(2026, 6, 2)),
                )
            )
        case "shop":  # Monday to Saturday, all day
            return pinned(
                CalendarSpec(
                    name="shop", time_zone="UTC", working_days=tuple(range(6)), office_hours=None
                )
            )
        case "UTC":
            return PLAIN
        case _:
            return pinned(country(name))


def custom(**changes: Any) -> Calendar:
    """The DE preset with some fields changed."""
    return pinned(dataclasses.replace(country("DE"), **changes))


def berlin(text: str) -> dt.datetime:
    """``"2026-03-16 09:00"`` in Berlin; a text with an offset is that moment.

    Parametrized cases hold texts: the workflow sandbox re-imports this module and
    cannot build zoned datetimes at import (see the sandbox test at the end).
    """
    moment = dt.datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo("Europe/Berlin"))


def new_york(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=ZoneInfo("America/New_York"))


def after(moment: dt.datetime, text: str, calendar: str | Calendar | None = "DE") -> dt.datetime:
    """``add`` with the duration as written (``"1.5 business_days"``), on a test
    calendar named like ``"DE"`` or on a calendar itself."""
    amount, unit = text.split()
    if isinstance(calendar, str):
        calendar = named(calendar)
    return add(moment, Duration.model_validate({"amount": amount, "unit": unit}), calendar)


# ---- outside office hours ------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        ("2026-03-13 18:30", "2026-03-17 09:00"),  # Fri evening: Monday counts
        ("2026-03-14 11:00", "2026-03-17 09:00"),  # Saturday
        ("2026-03-16 07:00", "2026-03-17 09:00"),  # Mon before opening
        ("2026-03-16 17:00", "2026-03-18 09:00"),  # Mon at closing time
        ("2026-03-16 16:59", "2026-03-17 16:59"),  # inside: keeps the time
    ],
)
def test_a_deadline_set_outside_office_hours_starts_at_the_next_opening(
    moment: str, expected: str
) -> None:
    assert after(berlin(moment), "1 business_days") == berlin(expected)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        ("2026-03-13 18:30", "2026-03-16 09:00"),
        ("2026-03-16 17:00", "2026-03-17 09:00"),
        ("2026-03-16 09:00", "2026-03-16 09:00"),
        ("2026-04-02 17:00", "2026-04-07 09:00"),  # Easter
    ],
)
def test_next_working_moment(moment: str, expected: str) -> None:
    assert next_working_moment(berlin(moment), named("DE")) == berlin(expected)


def test_results_are_in_utc() -> None:
    result = after(berlin("2026-03-16 10:00"), "1 business_days")
    assert result.tzinfo is UTC
    assert result == dt.datetime(2026, 3, 17, 9, tzinfo=UTC)


# ---- holidays and days off -----------------------------------------------------------


def test_business_days_skip_public_holidays() -> None:
    # Good Friday 2026-04-03 and Easter Monday 2026-04-06.
    assert after(berlin("2026-04-02 10:00"), "2 business_days") == berlin("2026-04-08 10:00")
    assert after(berlin("2026-04-02 16:00"), "2 business_hours") == berlin("2026-04-07 10:00")


def test_us_thanksgiving() -> None:
    wednesday = new_york("2026-11-25 14:00")
    assert after(wednesday, "1 business_days", "US") == new_york("2026-11-27 14:00")
    assert after(new_york("2026-11-25 16:00"), "2 business_hours", "US") == new_york(
        "2026-11-27 10:00"
    )


def test_business_days_skip_company_days_off() -> None:
    calendar = custom(days_off=(dt.date(2026, 3, 17),))
    assert after(berlin("2026-03-16 10:00"), "1 business_days", calendar) == berlin(
        "2026-03-18 10:00"
    )
    assert not is_working_day(dt.date(2026, 3, 17), calendar)


def test_is_working_day() -> None:
    assert is_working_day(dt.date(2026, 3, 17), named("DE"))
    assert not is_working_day(dt.date(2026, 3, 21), named("DE"))  # Saturday
    assert not is_working_day(dt.date(2026, 4, 6), named("DE"))  # Easter Monday
    assert is_working_day(dt.date(2026, 4, 6), PLAIN)
    assert not is_working_day(dt.date(2026, 4, 4), None)


def test_beyond_the_pinned_years_only_weekends_count() -> None:
    assert not is_working_day(dt.date(2031, 4, 14), named("DE"))  # Easter Monday, pinned
    assert is_working_day(dt.date(2032, 3, 29), named("DE"))  # Easter Monday, not pinned


# ---- daylight saving time --------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "duration", "expected"),
    [
        ("2026-03-28 12:00", "24 hours", "2026-03-29 13:00"),
        ("2026-03-28 12:00", "1 days", "2026-03-29 12:00"),
        ("2026-10-24 12:00", "24 hours", "2026-10-25 11:00"),
        ("2026-10-24 12:00", "1 days", "2026-10-25 12:00"),
        ("2026-03-23 09:00", "1 weeks", "2026-03-30 09:00"),
        ("2026-03-28 12:00", "1.5 days", "2026-03-30 00:00"),  # 1 day, then 12 hours
        ("2026-03-27 10:00", "1 business_days", "2026-03-30 10:00"),
        ("2026-10-23 10:00", "1 business_days", "2026-10-26 10:00"),
        ("2026-03-27 16:00", "2 business_hours", "2026-03-30 10:00"),
        ("2026-03-28 02:30", "1 days", "2026-03-29 03:30"),  # skipped hour
        ("2026-10-24 02:30", "1 days", "2026-10-25 00:30+00:00"),
    ],
)
def test_days_keep_the_wall_clock_and_hours_are_exact_across_dst(
    moment: str, duration: str, expected: str
) -> None:
    assert after(berlin(moment), duration) == berlin(expected)


def test_dst_in_new_york() -> None:
    saturday = new_york("2026-03-07 12:00")
    assert after(saturday, "1 days", "US") == new_york("2026-03-08 12:00")
    assert after(saturday, "24 hours", "US") == new_york("2026-03-08 13:00")
    assert after(new_york("2026-03-06 10:00"), "1 business_days", "US") == new_york(
        "2026-03-09 10:00"
    )
    assert after(new_york("2026-03-06 10:00"), "1 business_days", "US") - new_york(
        "2026-03-06 10:00"
    ) == dt.timedelta(hours=71)


def test_business_hours_of_an_all_day_calendar_are_exact_across_dst() -> None:
    every_hour = custom(working_days=tuple(range(7)), office_hours=None)
    assert after(berlin("2026-03-28 12:00"), "24 business_hours", every_hour) == berlin(
        "2026-03-29 13:00"
    )
    assert after(berlin("2026-03-28 12:00"), "1 business_days", every_hour) == berlin(
        "2026-03-29 12:00"
    )


# ---- days versus hours, weekends, fractions ---------------------------------------------


def test_one_business_day_versus_twenty_four_business_hours() -> None:
    monday = berlin("2026-03-16 09:00")
    assert after(monday, "1 business_days") == berlin("2026-03-17 09:00")
    assert after(monday, "8 business_hours") == berlin("2026-03-16 17:00")
    # Equal working time, different moments: hours run out at a closing time,
    # days keep the time of day.
    assert after(monday, "24 business_hours") == berlin("2026-03-18 17:00")
    assert after(monday, "3 business_days") == berlin("2026-03-19 09:00")
    for end in (berlin("2026-03-18 17:00"), berlin("2026-03-19 09:00")):
        assert working_time_between(monday, end, named("DE")) == dt.timedelta(hours=24)
    ten = berlin("2026-03-16 10:00")
    assert (
        after(ten, "24 business_hours")
        == after(ten, "3 business_days")
        == berlin("2026-03-19 10:00")
    )


def test_business_hours_span_the_weekend() -> None:
    assert after(berlin("2026-03-20 15:00"), "4 business_hours") == berlin("2026-03-23 11:00")
    assert after(berlin("2026-03-20 16:00"), "2 business_hours") == berlin("2026-03-23 10:00")
    assert after(berlin("2026-03-21 12:00"), "1 business_hours") == berlin("2026-03-23 10:00")


@pytest.mark.parametrize(
    ("moment", "duration", "expected"),
    [
        ("2026-03-16 09:00", "0.5 business_days", "2026-03-16 13:00"),
        ("2026-03-16 15:00", "1.5 business_days", "2026-03-18 11:00"),
        ("2026-03-20 18:00", "0.25 business_days", "2026-03-23 11:00"),
        ("2026-03-16 09:00", "1.5 business_hours", "2026-03-16 10:30"),
        ("2026-03-16 09:00", "90 minutes", "2026-03-16 10:30"),
        ("2026-03-16 09:00", "0.001 seconds", "2026-03-16 09:00:00.001000"),
    ],
)
def test_fractions(moment: str, duration: str, expected: str) -> None:
    assert after(berlin(moment), duration) == berlin(expected)


def test_fraction_of_an_all_day_business_day_is_that_fraction_of_24_hours() -> None:
    all_day = custom(office_hours=None)
    assert after(berlin("2026-03-16 06:00"), "0.5 business_days", all_day) == berlin(
        "2026-03-16 18:00"
    )
    assert after(berlin("2026-03-20 18:00"), "0.5 business_days", all_day) == berlin(
        "2026-03-23 06:00"
    )


def test_zero() -> None:
    friday_evening = berlin("2026-03-13 18:30")
    assert after(friday_evening, "0 business_days") == berlin("2026-03-16 09:00")
    assert after(friday_evening, "0 business_hours") == friday_evening
    assert after(friday_evening, "0 days") == friday_evening


def test_no_calendar_means_utc_mon_to_fri_nine_to_five() -> None:
    saturday = dt.datetime(2026, 4, 4, 10, tzinfo=UTC)
    assert after(saturday, "1 business_days", None) == dt.datetime(2026, 4, 7, 9, tzinfo=UTC)
    assert after(saturday, "1 days", None) == dt.datetime(2026, 4, 5, 10, tzinfo=UTC)


def test_two_thousand_business_days() -> None:
    start = berlin("2026-03-16 10:00")
    end = after(start, "2000 business_days")
    assert end == berlin("2034-01-17 10:00")
    days = (end.date() - start.date()).days
    working = sum(
        is_working_day(start.date() + dt.timedelta(d), named("DE")) for d in range(1, days + 1)
    )
    assert working == 2000
    assert working_time_between(start, end, named("DE")) == dt.timedelta(hours=8 * 2000)


# ---- working time between ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "hours"),
    [
        ("2026-03-20 16:00", "2026-03-23 10:00", 2),  # across a weekend
        ("2026-03-23 10:00", "2026-03-20 16:00", -2),  # backwards
        ("2026-04-02 09:00", "2026-04-08 09:00", 16),  # across Easter
        ("2026-03-16 12:00", "2026-03-16 12:00", 0),
    ],
)
def test_working_time_between(start: str, end: str, hours: int) -> None:
    elapsed = working_time_between(berlin(start), berlin(end), named("DE"))
    assert elapsed == dt.timedelta(hours=hours)


# ---- send windows and blackouts -----------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        ("2026-03-16 22:00", "2026-03-17 08:00"),
        ("2026-03-16 07:00", "2026-03-16 08:00"),
        ("2026-03-16 12:00", "2026-03-16 12:00"),
        ("2026-03-16 20:00", "2026-03-17 08:00"),  # the window's end is quiet
        ("2026-03-21 22:00", "2026-03-22 08:00"),  # weekends do not matter
        ("2026-12-23 22:00", "2026-12-28 08:00"),  # two blackouts in a row
        ("2026-12-25 12:00", "2026-12-28 08:00"),
    ],
)
def test_next_send_moment(moment: str, expected: str) -> None:
    assert next_send_moment(berlin(moment), named("window")) == berlin(expected)


def test_without_a_send_window_only_blackouts_are_quiet() -> None:
    calendar = custom(blackouts=((dt.date(2026, 12, 24), dt.date(2026, 12, 26)),))
    assert next_send_moment(berlin("2026-12-24 10:00"), calendar) == berlin("2026-12-27 00:00")
    assert next_send_moment(berlin("2026-03-16 03:00"), calendar) == berlin("2026-03-16 03:00")
    assert next_send_moment(berlin("2026-03-16 03:00"), None) == berlin("2026-03-16 03:00")


# ---- holidays are pinned ------------------------------------------------------------------


def test_a_pinned_calendar_round_trips_through_json_with_identical_arithmetic() -> None:
    restored = Calendar.model_validate_json(named("window").model_dump_json())
    assert restored == named("window")
    assert (dt.date(2026, 4, 6), "Easter Monday") in restored.holidays
    for moment in (
        berlin("2026-04-02 16:00"),
        berlin("2026-12-23 22:00"),
        berlin("2026-03-28 12:00"),
    ):
        for text in ("2 business_days", "2.5 business_days", "10 business_hours", "1 days"):
            assert after(moment, text, restored) == after(moment, text, named("window"))
        assert next_send_moment(moment, restored) == next_send_moment(moment, named("window"))


def test_calendar_ir_mirrors_the_pinned_calendar() -> None:
    written = pin(dataclasses.replace(country("DE"), office_hours=None), YEARS)
    assert calendar_ir(written).model_dump() == dataclasses.asdict(written)


# ---- mistakes ------------------------------------------------------------------------------


def test_naive_datetimes_are_refused() -> None:
    naive = dt.datetime(2026, 3, 16, 9)
    aware = berlin("2026-03-16 09:00")
    calls: list[tuple[str, Callable[[], object]]] = [
        ("moment", lambda: after(naive, "1 business_days")),
        ("moment", lambda: after(naive, "1 hours")),
        ("moment", lambda: next_working_moment(naive, None)),
        ("moment", lambda: next_send_moment(naive, None)),
        ("start", lambda: working_time_between(naive, aware, None)),
        ("end", lambda: working_time_between(aware, naive, None)),
    ]
    for what, call in calls:
        with pytest.raises(ValueError) as refused:
            call()
        assert str(refused.value) == (
            f"{what} must be a timezone-aware datetime, got naive 2026-03-16T09:00:00"
        )


def test_negative_durations_unknown_zones_and_no_working_days_are_refused() -> None:
    moment = berlin("2026-03-16 09:00")
    with pytest.raises(ValueError) as negative:
        after(moment, "-1 business_days")
    with pytest.raises(ValueError) as zone:
        after(moment, "1 days", Calendar(name="mars", time_zone="Mars/Olympus_Mons"))
    with pytest.raises(ValueError) as idle:
        after(moment, "1 business_days", Calendar(name="never", time_zone="UTC", working_days=()))
    assert str(negative.value) == "cannot add a negative duration (-1 business_days)"
    assert str(zone.value) == "calendar 'mars': unknown time zone 'Mars/Olympus_Mons'"
    assert str(idle.value) == "calendar 'never' has no working days"


# ---- properties --------------------------------------------------------------------------

moments = st.datetimes(
    min_value=dt.datetime(2025, 1, 1), max_value=dt.datetime(2030, 12, 31), timezones=st.just(UTC)
)
calendars = st.sampled_from(["DE", "US", "UTC", "JP", "gulf", "shop"]).map(named)


def days(n: int) -> Duration:
    return Duration(amount=Decimal(n), unit="business_days")


@settings(max_examples=300, deadline=None)
@given(moments, st.integers(0, 400), calendars)
def test_business_days_end_on_a_working_moment(
    moment: dt.datetime, n: int, calendar: Calendar
) -> None:
    end = add(moment, days(n), calendar)
    assert next_working_moment(end, calendar) == end
    assert end >= moment
    if calendar.office_hours is not None:  # every day has the same working time
        start = next_working_moment(moment, calendar)
        assert working_time_between(start, end, calendar) == n * _day_length(calendar)


@settings(max_examples=300, deadline=None)
@given(moments, st.integers(0, 300), st.integers(0, 300), calendars)
def test_business_days_add_up(moment: dt.datetime, a: int, b: int, calendar: Calendar) -> None:
    start = next_working_moment(moment, calendar)
    assert add(add(start, days(a), calendar), days(b), calendar) == add(
        start, days(a + b), calendar
    )


@settings(max_examples=300, deadline=None)
@given(moments, st.integers(0, 2000), st.integers(0, 2000), calendars)
def test_business_hours_consume_exactly_that_much_working_time(
    moment: dt.datetime, a: int, b: int, calendar: Calendar
) -> None:
    def hours(n: int) -> Duration:
        return Duration(amount=Decimal(n) / 4, unit="business_hours")

    end = add(moment, hours(a), calendar)
    assert working_time_between(moment, end, calendar) == dt.timedelta(hours=a / 4)
    assert add(end, hours(b), calendar) == add(moment, hours(a + b), calendar)


@settings(max_examples=300, deadline=None)
@given(moments)
def test_send_moments_are_in_the_window_and_outside_blackouts(moment: dt.datetime) -> None:
    sent = next_send_moment(moment, named("window"))
    local = sent.astimezone(ZoneInfo("Europe/Berlin"))
    assert sent >= moment
    assert dt.time(8) <= local.time() < dt.time(20)
    assert not any(first <= local.date() <= last for first, last in named("window").blackouts)
    assert next_send_moment(sent, named("window")) == sent


def _day_length(calendar: Calendar) -> dt.timedelta:
    assert calendar.office_hours is not None
    start, end = (dt.datetime.combine(dt.date.min, t) for t in calendar.office_hours)
    return end - start


# ---- inside Temporal's workflow sandbox ------------------------------------------------------


class DeadlineRequest(BaseModel):
    moment: dt.datetime
    duration: Duration
    calendar: Calendar


class DeadlineAnswer(BaseModel):
    deadline: dt.datetime
    send_at: dt.datetime
    started: dt.datetime
    woke: dt.datetime


# Any exception fails the run at once (the default retries the workflow task forever).
@workflow.defn(sandboxed=True, failure_exception_types=[Exception])
class DeadlineWorkflow:
    """Computes a deadline in business time and sleeps until it, as the interpreter will."""

    @workflow.run
    async def run(self, request: DeadlineRequest) -> DeadlineAnswer:
        deadline = business_time.add(request.moment, request.duration, request.calendar)
        send_at = business_time.next_send_moment(deadline, request.calendar)
        started = workflow.now()
        timer = business_time.add(started, request.duration, request.calendar)
        await workflow.sleep(timer - started)
        return DeadlineAnswer(
            deadline=deadline, send_at=send_at, started=started, woke=workflow.now()
        )


def runner(*, passing_business_time: bool = True) -> SandboxedWorkflowRunner:
    """Our sandbox settings (optionally without passing business_time through).

    Re-importing this test file in the sandbox runs hypothesis, which imports
    parts of itself lazily; the sandbox must take those as they are.
    """
    modules = [
        m for m in PASSED_THROUGH if passing_business_time or m != "engine.workflow.business_time"
    ]
    ours = workflow_runner()
    assert isinstance(ours, SandboxedWorkflowRunner)
    restrictions = SandboxRestrictions.default.with_passthrough_modules(*modules, "hypothesis")
    return dataclasses.replace(ours, restrictions=restrictions)


async def deadline_in_sandbox(
    env: WorkflowEnvironment, request: DeadlineRequest, runner: SandboxedWorkflowRunner
) -> DeadlineAnswer:
    queue = f"tq-{uuid.uuid4()}"
    async with Worker(
        env.client,
        task_queue=queue,
        workflows=[DeadlineWorkflow],
        workflow_runner=runner,
        max_cached_workflows=0,
    ):
        return await env.client.execute_workflow(
            DeadlineWorkflow.run, request, id=f"deadline-{uuid.uuid4()}", task_queue=queue
        )


def easter_request() -> DeadlineRequest:
    return DeadlineRequest(
        moment=berlin("2026-04-02 16:00"),
        duration=Duration(amount=Decimal("2.5"), unit="business_days"),
        calendar=named("window"),
    )


async def test_business_time_runs_in_the_workflow_sandbox(time_env: WorkflowEnvironment) -> None:
    request = easter_request()
    answer = await deadline_in_sandbox(time_env, request, runner())
    # Thu 16:00; Good Friday and Easter Monday off; 2 days to Wed 16:00, then
    # half a day (4 hours): 1 on Wednesday, 3 on Thursday.
    assert answer.deadline == berlin("2026-04-09 12:00")
    assert answer.send_at == berlin("2026-04-09 12:00")
    assert answer.deadline == add(request.moment, request.duration, request.calendar)
    assert answer.woke >= add(answer.started, request.duration, named("window"))


async def test_business_time_must_be_passed_through_the_sandbox(
    time_env: WorkflowEnvironment,
) -> None:
    """Why ``engine.workflow.business_time`` is in ``workers._sandbox.PASSED_THROUGH``: a module
    imported inside the sandbox gets a proxy from ``zoneinfo.ZoneInfo(...)``, which
    ``datetime`` refuses as a time zone. Passed through, the (pure) module sees
    the real zoneinfo."""
    with pytest.raises(WorkflowFailureError) as failed:
        await deadline_in_sandbox(time_env, easter_request(), runner(passing_business_time=False))
    assert "engine.workflow.business_time" in PASSED_THROUGH
    assert str(failed.value.cause) == (
        "TypeError: tzinfo argument must be None or of a tzinfo subclass,"
        " not type '_RestrictedProxy'"
    )
