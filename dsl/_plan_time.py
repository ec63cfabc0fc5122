"""Lengths of time for the plan, with business and elapsed time kept apart.

A business day is not a fixed number of hours (weekends, holidays, office
hours), so an :class:`Amount` adds business days, business hours and elapsed
time each to itself and prints them side by side: ``17 business days + 2 days
+ 3 hours``. To choose the longer of two branches it estimates both in elapsed
time from the calendar's working week.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from dsl import _ast as ast

_ZERO = Decimal(0)
_ELAPSED = (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1))


class WorkingWeek(Protocol):
    """What the plan needs of a calendar (a :class:`dsl._calendars.CalendarSpec` has it)."""

    @property
    def working_days(self) -> tuple[int, ...]: ...

    @property
    def office_hours(self) -> tuple[dt.time, dt.time] | None: ...


@dataclass(frozen=True)
class Amount:
    """A length of time: business days, business hours and elapsed seconds, kept apart."""

    business_days: Decimal = _ZERO
    business_hours: Decimal = _ZERO
    seconds: Decimal = _ZERO
    elsewhere: tuple[Elsewhere, ...] = ()
    """Business time of steps that count in a calendar of their own, per calendar."""

    @classmethod
    def of(cls, duration: ast.Duration) -> Amount:
        """The amount a written duration stands for."""
        if duration.unit == "business_days":
            return cls(business_days=duration.amount)
        if duration.unit == "business_hours":
            return cls(business_hours=duration.amount)
        return cls(seconds=Decimal(duration.seconds or 0))

    @classmethod
    def elapsed(cls, seconds: float | Decimal) -> Amount:
        return cls(seconds=Decimal(str(seconds)))

    def __add__(self, other: Amount) -> Amount:
        merged = {e.calendar: e for e in self.elsewhere}
        for entry in other.elsewhere:
            mine = merged.get(entry.calendar)
            merged[entry.calendar] = entry if mine is None else mine.plus(entry)
        return Amount(
            self.business_days + other.business_days,
            self.business_hours + other.business_hours,
            self.seconds + other.seconds,
            tuple(merged.values()),
        )

    def times(self, count: int) -> Amount:
        return Amount(
            self.business_days * count,
            self.business_hours * count,
            self.seconds * count,
            tuple(e.times(count) for e in self.elsewhere),
        )

    def __bool__(self) -> bool:
        return any((self.business_days, self.business_hours, self.seconds, self.elsewhere))

    def counted_in(self, calendar: str, week: WorkingWeek | None) -> Amount:
        """This amount with its business time counted in ``calendar`` (a step's own)."""
        if not self.business_days and not self.business_hours:
            return self
        moved = Elsewhere(calendar, self.business_days, self.business_hours, week)
        return Amount(seconds=self.seconds) + Amount(elsewhere=(moved,))

    def estimate(self, week: WorkingWeek | None) -> Decimal:
        """Roughly how many elapsed seconds this is: only to compare amounts."""
        calendar_day, business_hour = _lengths(week)
        own = self.business_days * calendar_day + self.business_hours * business_hour
        return own + self.seconds + sum((e.estimate() for e in self.elsewhere), _ZERO)

    def __str__(self) -> str:
        parts = []
        if self.business_days:
            parts.append(_count(self.business_days, "business day"))
        if self.business_hours:
            parts.append(_count(self.business_hours, "business hour"))
        left = self.seconds
        for unit, size in _ELAPSED:
            whole = left // size
            if whole:
                parts.append(_count(whole, unit))
                left -= whole * size
        if left:
            parts.append(_count(left, "second"))
        for entry in self.elsewhere:
            parts += [f"{part} in {entry.calendar}" for part in entry.parts()]
        return " + ".join(parts) or "no time"


@dataclass(frozen=True)
class Elsewhere:
    """Business time counted in a calendar other than the process's."""

    calendar: str
    business_days: Decimal
    business_hours: Decimal
    week: WorkingWeek | None

    def plus(self, other: Elsewhere) -> Elsewhere:
        return Elsewhere(
            self.calendar,
            self.business_days + other.business_days,
            self.business_hours + other.business_hours,
            self.week,
        )

    def times(self, count: int) -> Elsewhere:
        return Elsewhere(
            self.calendar, self.business_days * count, self.business_hours * count, self.week
        )

    def estimate(self) -> Decimal:
        calendar_day, business_hour = _lengths(self.week)
        return self.business_days * calendar_day + self.business_hours * business_hour

    def parts(self) -> list[str]:
        found = []
        if self.business_days:
            found.append(_count(self.business_days, "business day"))
        if self.business_hours:
            found.append(_count(self.business_hours, "business hour"))
        return found


def _lengths(week: WorkingWeek | None) -> tuple[Decimal, Decimal]:
    """Roughly how many elapsed seconds one business day and one business hour take."""
    days = len(week.working_days) if week is not None else 5
    start, end = (dt.time(9), dt.time(17)) if week is None else (week.office_hours or (None, None))
    hours = Decimal(24)
    if start is not None and end is not None:
        hours = Decimal((end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)) / 60
    calendar_day = Decimal(7) / max(days, 1) * 86400
    return calendar_day, calendar_day / max(hours, Decimal(1))


ZERO = Amount()


def _count(amount: Decimal, unit: str) -> str:
    number = amount.normalize()
    text = f"{number:f}"
    return f"{text} {unit}" if number == 1 else f"{text} {unit}s"


DEFAULT_TIMEOUT_SECONDS = 300.0
"""How long a task's attempt may take when neither the process nor the action says."""
DEFAULT_ATTEMPTS = 5
DEFAULT_FIRST_WAIT_SECONDS = 1.0
DEFAULT_LONGEST_WAIT_SECONDS = 60.0
BACKOFF_FACTOR = 2.0
# These mirror the engine's defaults (engine.ir.TaskStep, engine.ir.RetryPolicy);
# tests/test_plan.py keeps them in step.


def task_time(task: ast.Task, action_timeout: float | None) -> tuple[Amount, str]:
    """The longest a task can take, every attempt timing out, and how that was counted."""
    timeout = DEFAULT_TIMEOUT_SECONDS if action_timeout is None else action_timeout
    if task.timeout is not None and task.timeout.seconds is not None:
        timeout = float(task.timeout.seconds)
    attempts = DEFAULT_ATTEMPTS if task.retry_attempts is None else task.retry_attempts
    first, longest = DEFAULT_FIRST_WAIT_SECONDS, DEFAULT_LONGEST_WAIT_SECONDS
    if task.backoff is not None:
        first = float(task.backoff[0].seconds or first)
        if task.backoff[1] is not None:
            longest = float(task.backoff[1].seconds or longest)
    waits = sum(min(first * BACKOFF_FACTOR**k, longest) for k in range(attempts - 1))
    tries = Amount.elapsed(timeout)
    why = f"{attempts} attempt{'s' if attempts != 1 else ''} of up to {tries}"
    if waits:
        why += f" + {Amount.elapsed(waits)} between them"
    return tries.times(attempts) + Amount.elapsed(waits), why


def human_time(step: ast.Human) -> tuple[Amount, str] | None:
    """Deadline plus escalation ladder; None when the step has no deadline."""
    if step.deadline is None:
        return None
    deadline = Amount.of(step.deadline)
    if not step.escalations:
        return deadline, f"deadline {step.deadline.text}, nobody to escalate to"
    last = step.escalations[-1].after
    if last is None:
        why = f"deadline {step.deadline.text}, escalated at the deadline and given it again"
        return deadline.times(2), why
    why = f"deadline {step.deadline.text} + last escalation after {last.text}"
    return deadline + Amount.of(last), why
