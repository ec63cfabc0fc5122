"""A campaign a schedule started on the 1st waits for the first business day.

Temporal's calendar specs know weekdays, not holidays: ``every month on the first
business day at 09:00`` is a schedule that starts the campaign on the 1st at 09:00;
the campaign then waits, in its process calendar, until 09:00 on the month's first
business day (at once when the 1st is one). Runs inside the workflow sandbox.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from temporalio import workflow

from engine import ir
from engine.workflow import business_time
from engine.workflow.facts import TimerFact, TimerPurpose

STEP = "schedule"
"""The step name the wait's timer carries (no step of the process has it)."""


def first_business_day(
    now: dt.datetime, every: ir.Schedule, calendar: ir.Calendar | None
) -> dt.datetime:
    """The moment of this month's first business day at ``every.at``, in its time zone."""
    zone = zoneinfo.ZoneInfo(every.time_zone)
    day = now.astimezone(zone).date().replace(day=1)
    while not business_time.is_working_day(day, calendar):
        day += dt.timedelta(days=1)
    hour, minute = (int(part) for part in every.at.split(":"))
    return dt.datetime.combine(day, dt.time(hour, minute), zone)


async def wait_for_business_day(process: ir.ProcessIR) -> None:
    """Before its first step: wait for the first business day, if the schedule says so."""
    every = process.schedule
    if every is None or not every.first_business_day:
        return
    now = workflow.now()
    target = first_business_day(now, every, process.calendar)
    if target > now:
        await workflow.sleep(
            target - now, summary=TimerFact(purpose=TimerPurpose.WAIT, step=STEP).summary
        )
