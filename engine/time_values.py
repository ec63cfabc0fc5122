"""Arithmetic on dates, moments and durations, in the process's business calendar.

Run-time values: a date is ``datetime.date``, a moment an aware
``datetime.datetime``, a fixed duration ``datetime.timedelta``, and business
time an :class:`engine.ir.Duration` in business days or hours (it has no
length until it is laid on a calendar). Pure and deterministic: it runs in
the workflow sandbox.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal
from typing import Any

from engine import business_time, ir


class TimeProblem(ValueError):
    """Time arithmetic that has no meaning, e.g. subtracting business days from a moment."""


def is_time_value(value: Any) -> bool:
    """Whether ``value`` is a date, moment or duration."""
    return isinstance(value, dt.date | dt.timedelta | ir.Duration)


def time_arith(op: str, left: Any, right: Any, calendar: ir.Calendar | None) -> Any:
    """``left op right`` for time values.

    Raises:
        TimeProblem: the operation has no meaning for these values.
    """
    match op, left, right:
        case "+", dt.timedelta(), dt.timedelta():
            return left + right
        case "-", dt.timedelta(), dt.timedelta():
            return left - right
        case "*", dt.timedelta(), Decimal():
            return left * float(right)
        case "*", Decimal(), dt.timedelta():
            return right * float(left)
        case "/", dt.timedelta(), Decimal():
            return left / float(right)
        case "/", dt.timedelta(), dt.timedelta():
            return Decimal(str(left / right))
        case "*", ir.Duration(), Decimal():
            return ir.Duration(amount=left.amount * right, unit=left.unit)
        case "+", ir.Duration(), ir.Duration() if left.unit == right.unit:
            return ir.Duration(amount=left.amount + right.amount, unit=left.unit)
        case "+", (dt.timedelta() | ir.Duration()), dt.date():
            return time_arith("+", right, left, calendar)
        case "-", dt.datetime(), dt.datetime():
            return left - right
        case "-", dt.date(), dt.date() if not isinstance(left, dt.datetime):
            return dt.timedelta(days=(left - right).days)
        case (("+" | "-"), dt.date(), (dt.timedelta() | ir.Duration())):
            return _shift(left, right, op == "-", calendar)
    raise TimeProblem(f"'{op}' does not work on {_kind(left)} and {_kind(right)}")


def _shift(
    start: dt.date, span: dt.timedelta | ir.Duration, back: bool, calendar: ir.Calendar | None
) -> dt.date:
    if isinstance(span, dt.timedelta):
        span = -span if back else span
        if isinstance(start, dt.datetime):
            return start + span
        if span.seconds == 0 and span.microseconds == 0:
            return start + dt.timedelta(days=span.days)
        return _midnight(start, calendar) + span
    if back:
        raise TimeProblem("business time can only be added, not subtracted")
    if isinstance(start, dt.datetime):
        return business_time.add(start, span, calendar)
    if span.unit == "business_days":
        return _add_working_days(start, span.amount, calendar)
    return business_time.add(_midnight(start, calendar), span, calendar)


def _add_working_days(day: dt.date, amount: Decimal, calendar: ir.Calendar | None) -> dt.date:
    if amount != amount.to_integral_value():
        raise TimeProblem("a date moves by whole business days")
    remaining = int(amount)
    while remaining > 0:
        day += dt.timedelta(days=1)
        if business_time.is_working_day(day, calendar):
            remaining -= 1
    return day


def _midnight(day: dt.date, calendar: ir.Calendar | None) -> dt.datetime:
    zone = zoneinfo.ZoneInfo(calendar.time_zone) if calendar else dt.UTC
    return dt.datetime.combine(day, dt.time(), zone).astimezone(dt.UTC)


def _kind(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return "a date and time"
    if isinstance(value, dt.date):
        return "a date"
    if isinstance(value, dt.timedelta | ir.Duration):
        return "a duration"
    return type(value).__name__


def wait_target(moment: Any, step: ir.WaitStep, calendar: ir.Calendar | None) -> dt.datetime:
    """When a ``wait until`` ends: the date at its time in its zone, moved into the
    send window (and past blackouts) if the step asks for it.

    Raises:
        TimeProblem: the value is not a date or a moment.
    """
    if isinstance(moment, dt.datetime):
        target = moment
    elif isinstance(moment, dt.date):
        zone_name = step.zone or (calendar.time_zone if calendar else "UTC")
        zone = zoneinfo.ZoneInfo(zone_name)
        target = dt.datetime.combine(moment, step.at or dt.time(), zone)
    else:
        raise TimeProblem(f"'wait until' needs a date or a moment, not {_kind(moment)}")
    target = target.astimezone(dt.UTC)
    if step.send_window:
        target = business_time.next_send_moment(target, calendar)
    return target
