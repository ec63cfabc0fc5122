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
from calendar import monthrange
from decimal import Decimal
from typing import Any

from engine import ir
from engine.workflow import business_time


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
        case "*", Decimal(), ir.Duration():
            return ir.Duration(amount=right.amount * left, unit=right.unit)
        case "/", ir.Duration(), Decimal():
            return ir.Duration(amount=left.amount / right, unit=left.unit)
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


def add_months(start: dt.date, count: int, calendar: ir.Calendar | None) -> dt.date:
    """``start`` moved by ``count`` calendar months (back if negative), on the same day of
    the month or the month's last day when it is shorter: 31 January + 1 month is 28 (or
    29) February. A moment keeps its wall-clock time in the calendar's time zone.

    Raises:
        TimeProblem: ``start`` is not a date or a moment.
    """
    if isinstance(start, dt.datetime):
        local = start.astimezone(zone_of(calendar))
        day = _months_later(local.date(), count)
        moved = dt.datetime.combine(day, local.time(), local.tzinfo)
        return moved.astimezone(start.tzinfo)
    if isinstance(start, dt.date):
        return _months_later(start, count)
    raise TimeProblem(f"months are added to a date or a moment, not {_kind(start)}")


def months_between(start: dt.date, end: dt.date, calendar: ir.Calendar | None) -> int:
    """The whole months from ``start`` to ``end`` (negative if ``end`` is earlier), counted
    as :func:`add_months` counts them: from 31 January to 28 February is one month.

    Raises:
        TimeProblem: not two dates or two moments.
    """
    if isinstance(start, dt.datetime) != isinstance(end, dt.datetime) or not (
        isinstance(start, dt.date) and isinstance(end, dt.date)
    ):
        raise TimeProblem(
            "months are counted between two dates or two moments, "
            f"not {_kind(start)} and {_kind(end)}"
        )
    first, last = start, end
    if isinstance(first, dt.datetime) and isinstance(last, dt.datetime):
        first, last = first.astimezone(zone_of(calendar)), last.astimezone(zone_of(calendar))
    months = (last.year - first.year) * 12 + last.month - first.month
    if months > 0 and add_months(first, months, calendar) > last:
        months -= 1
    elif months < 0 and add_months(first, months, calendar) < last:
        months += 1
    return months


def _months_later(day: dt.date, count: int) -> dt.date:
    year, month = divmod(day.year * 12 + day.month - 1 + count, 12)
    if not 1 <= year <= dt.MAXYEAR:
        raise TimeProblem(f"{count} months from {day.isoformat()} is outside the calendar")
    return day.replace(year=year, month=month + 1, day=min(day.day, monthrange(year, month + 1)[1]))


def zone_of(calendar: ir.Calendar | None) -> zoneinfo.ZoneInfo:
    """The calendar's time zone; UTC without a calendar."""
    return zoneinfo.ZoneInfo(calendar.time_zone if calendar else "UTC")


def as_duration(value: Any) -> ir.Duration:
    """A duration worked out by an expression, as a step's deadline or wait takes it:
    business time as it is, whole days as calendar days, other lengths in seconds.

    Raises:
        TimeProblem: not a duration, or a negative one.
    """
    if isinstance(value, dt.timedelta):
        if value < dt.timedelta(0):
            raise TimeProblem(f"a duration cannot be negative ({value})")
        if value.seconds == 0 and value.microseconds == 0:
            return ir.Duration(amount=Decimal(value.days), unit="days")
        return ir.Duration(amount=Decimal(str(value.total_seconds())), unit="seconds")
    if isinstance(value, ir.Duration):
        if value.amount < 0:
            raise TimeProblem(f"a duration cannot be negative ({value.amount} {value.unit})")
        return value
    raise TimeProblem(f"expected a duration, not {_kind(value)}")


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
