"""Business time: deadlines, reminders and send windows on a campaign's calendar.

Runs inside the workflow sandbox: pure and deterministic, standard library only
(the time zone rules come from ``zoneinfo``; holidays are the dates pinned in
the IR's :class:`~engine.ir.Calendar`). Every function takes and returns aware
datetimes; results are in UTC. A naive datetime is a ``ValueError``. No
calendar (``None``) means :data:`PLAIN`: UTC, Monday to Friday, 09:00-17:00, no
holidays.

The rules designers rely on (examples on the ``DE`` calendar: Europe/Berlin,
Mon-Fri 09:00-17:00, German public holidays):

* **Working time** is office hours on working days. A working day is a day of
  ``working_days`` that is neither a holiday nor a company day off. Office hours
  include their start and exclude their end: Monday 17:00 is not working time.
  Without office hours the whole working day counts.
* **seconds, minutes, hours** are exact elapsed time: Sat 2026-03-28 12:00
  Berlin + 24 hours = Sun 13:00, because that night has only 23 hours.
* **days, weeks** are days on the wall clock of the calendar's time zone:
  Sat 2026-03-28 12:00 Berlin + 1 day = Sun 12:00 (23 hours later). A wall time
  that does not exist (skipped by a DST change) moves forward by the gap; one
  that exists twice is its first occurrence. A fraction of a day is that
  fraction of 24 hours, elapsed after the whole days (1.5 days = 1 day + 12 hours).
* **business days** first roll a moment outside working time forward to the
  next opening, then count whole working days keeping the local time of day:
  Fri 18:30 + 1 business day = Tue 09:00 (Fri 18:30 rolls to Mon 09:00, the one
  business day is Monday); Thu 2026-04-02 10:00 + 2 business days = Wed
  2026-04-08 10:00 (Good Friday and Easter Monday are holidays). A fraction of
  a business day is that fraction of the office-hours length, counted in
  business hours after the whole days: Mon 15:00 + 1.5 business days = Wed
  11:00 (Tue 15:00, then 4 hours: 2 on Tuesday, 2 on Wednesday). 0 business
  days is the next working moment. Whole business days add up: from a working
  moment, a days and then b days end where a + b days do (on a calendar whose
  office hours cover a skipped DST hour, not when a result falls in that hour).
* **business hours** are working time consumed from the moment on: the result
  is the earliest moment by which that much working time has passed, so it can
  be a closing time: Mon 09:00 + 8 business hours = Mon 17:00; Fri 16:00 + 2
  business hours = Mon 10:00. 24 business hours and 3 business days are the
  same working time, but from Mon 09:00 they end on Wed 17:00 and Thu 09:00.
* **send window**: a message may go out at a local time inside the window
  (start included, end excluded) on a day outside every blackout; without a
  window any time of a day outside the blackouts will do. Send windows are
  about customers' quiet hours, so weekends and holidays do not matter.

Holidays beyond the calendar's pinned years are not known here: there, only the
weekly days off and the company's days off count.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Protocol, assert_never

from engine.ir import Calendar, Duration

PLAIN = Calendar(name="UTC", time_zone="UTC")
"""The calendar of a process that names none."""

_ONE_DAY = dt.timedelta(days=1)
_MIDNIGHT = dt.time(0)
_SECONDS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}


def add(moment: dt.datetime, duration: Duration, calendar: Calendar | None) -> dt.datetime:
    """The moment a duration after ``moment``, by the rules in the module docstring.

    Args:
        moment: Where to count from (aware).
        duration: How long; its amount must not be negative.
        calendar: The process's calendar; None for :data:`PLAIN`.

    Returns:
        The later moment, in UTC.

    Raises:
        ValueError: For a naive moment, a negative amount, an unknown time zone,
            or a calendar with no working day to count.
    """
    start = _utc(moment, "moment")
    if duration.amount < 0:
        raise ValueError(f"cannot add a negative duration ({duration.amount} {duration.unit})")
    match duration.unit:
        case "seconds" | "minutes" | "hours":
            return start + _span(duration.amount * _SECONDS[duration.unit])
        case "days" | "weeks":
            days = duration.amount * (7 if duration.unit == "weeks" else 1)
            return _add_days(_Clock(calendar), start, days)
        case "business_days":
            return _add_business_days(_Clock(calendar), start, duration.amount)
        case "business_hours":
            return _add_working_time(_Clock(calendar), start, _span(duration.amount * 3600))
        case _:
            assert_never(duration.unit)


def next_working_moment(moment: dt.datetime, calendar: Calendar | None) -> dt.datetime:
    """``moment`` itself if it is working time, else the next office opening (UTC)."""
    return _next_working(_Clock(calendar), _utc(moment, "moment"))[1]


def is_working_day(day: dt.date, calendar: Calendar | None) -> bool:
    """Whether ``day`` is a working day: a working weekday, no holiday, no day off."""
    return _Clock(calendar).is_working_day(day)


def next_send_moment(moment: dt.datetime, calendar: Calendar | None) -> dt.datetime:
    """The earliest moment from ``moment`` on when a message may go out (UTC).

    Args:
        moment: The earliest the message may go (aware).
        calendar: Its send window and blackouts; None = any time.

    Returns:
        ``moment`` if it is inside the send window and outside the blackouts,
        else the next opening of the window on a day outside the blackouts.
    """
    cursor = _utc(moment, "moment")
    if calendar is None:
        return cursor
    clock = _Clock(calendar)
    opening = calendar.send_window[0] if calendar.send_window else _MIDNIGHT
    # Each pass either answers, leaves a blackout, or moves to tomorrow's opening
    # (which answers or meets a blackout), so this bounds the search.
    for _ in range(2 * len(calendar.blackouts) + 3):
        today = cursor.astimezone(clock.zone).date()
        ends = [last for first, last in calendar.blackouts if first <= today <= last]
        if ends:
            cursor = clock.at(max(ends) + _ONE_DAY, opening)
            continue
        if calendar.send_window is None:
            return cursor
        opens, closes = (clock.at(today, t) for t in calendar.send_window)
        if cursor < closes:
            return max(cursor, opens)
        cursor = clock.at(today + _ONE_DAY, opening)
    raise AssertionError("unreachable: the send window search did not settle")


def working_time_between(
    start: dt.datetime, end: dt.datetime, calendar: Calendar | None
) -> dt.timedelta:
    """The working time from ``start`` to ``end``; negative if ``end`` comes first."""
    first, last = _utc(start, "start"), _utc(end, "end")
    if last < first:
        return -working_time_between(last, first, calendar)
    clock = _Clock(calendar)
    total = dt.timedelta()
    day = clock.day_of(first) - _ONE_DAY
    while day <= clock.day_of(last):
        if clock.is_working_day(day):
            opens, closes = clock.hours(day)
            begin, finish = max(first, opens), min(last, closes)
            if begin < finish:
                total += finish - begin
        day += _ONE_DAY
    return total


class PinnedCalendarLike(Protocol):
    """What the compiler hands over: ``dsl``'s ``PinnedCalendar``, by shape."""

    @property
    def name(self) -> str: ...
    @property
    def time_zone(self) -> str: ...
    @property
    def working_days(self) -> tuple[int, ...]: ...
    @property
    def office_hours(self) -> tuple[dt.time, dt.time] | None: ...
    @property
    def holidays(self) -> tuple[tuple[dt.date, str], ...]: ...
    @property
    def holiday_source(self) -> str: ...
    @property
    def days_off(self) -> tuple[dt.date, ...]: ...
    @property
    def send_window(self) -> tuple[dt.time, dt.time] | None: ...
    @property
    def blackouts(self) -> tuple[tuple[dt.date, dt.date], ...]: ...
    @property
    def pinned_years(self) -> tuple[int, int]: ...


def calendar_ir(pinned: PinnedCalendarLike) -> Calendar:
    """The IR form of a pinned calendar (compile side; no import of ``dsl`` here,
    so the sandboxed interpreter never pulls in the holidays library)."""
    return Calendar(
        name=pinned.name,
        time_zone=pinned.time_zone,
        working_days=pinned.working_days,
        office_hours=pinned.office_hours,
        holidays=pinned.holidays,
        holiday_source=pinned.holiday_source,
        days_off=pinned.days_off,
        send_window=pinned.send_window,
        blackouts=pinned.blackouts,
        pinned_years=pinned.pinned_years,
    )


# ---- working days and hours --------------------------------------------------


class _Clock:
    """One calendar's time zone, working days and office hours, ready to ask."""

    def __init__(self, calendar: Calendar | None) -> None:
        self.calendar = calendar or PLAIN
        try:
            self.zone = zoneinfo.ZoneInfo(self.calendar.time_zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"calendar '{self.calendar.name}': unknown time zone '{self.calendar.time_zone}'"
            ) from None
        self.closed = frozenset(d for d, _ in self.calendar.holidays) | set(self.calendar.days_off)
        self.weekdays = frozenset(self.calendar.working_days)
        # A run of non-working days holds at most one working weekday per week,
        # each of them a holiday or day off, so no run is this long.
        self.longest_break = 7 * (1 + len(self.closed))
        office = self.calendar.office_hours
        self.day_length = (
            dt.datetime.combine(dt.date.min, office[1])
            - dt.datetime.combine(dt.date.min, office[0])
            if office
            else _ONE_DAY
        )

    def is_working_day(self, day: dt.date) -> bool:
        return day.weekday() in self.weekdays and day not in self.closed

    def next_working_day(self, day: dt.date) -> dt.date:
        for _ in range(self.longest_break + 1):
            day += _ONE_DAY
            if self.is_working_day(day):
                return day
        raise self.no_working_day()

    def hours(self, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
        """Opening and closing of a working day, in UTC."""
        office = self.calendar.office_hours
        if office is None:
            return self.at(day, _MIDNIGHT), self.at(day + _ONE_DAY, _MIDNIGHT)
        return self.at(day, office[0]), self.at(day, office[1])

    def at(self, day: dt.date, wall: dt.time) -> dt.datetime:
        """A local date and wall time, in UTC."""
        return self.utc(dt.datetime.combine(day, wall))

    def utc(self, wall: dt.datetime) -> dt.datetime:
        # fold=0 takes the first of a repeated wall time and moves a skipped one
        # forward by the gap (it is read with the offset from before the change).
        return wall.replace(tzinfo=self.zone, fold=0).astimezone(dt.UTC)

    def day_of(self, moment: dt.datetime) -> dt.date:
        return moment.astimezone(self.zone).date()

    def no_working_day(self) -> ValueError:
        # Unreachable with a working weekday (see longest_break), so the only cause:
        return ValueError(f"calendar '{self.calendar.name}' has no working days")


def _next_working(clock: _Clock, moment: dt.datetime) -> tuple[dt.date, dt.datetime]:
    """The working day and moment where working time resumes from ``moment``."""
    day = clock.day_of(moment) - _ONE_DAY  # its hours may reach past local midnight
    for _ in range(clock.longest_break + 3):
        if clock.is_working_day(day):
            opens, closes = clock.hours(day)
            if moment < closes:
                return day, max(moment, opens)
        day += _ONE_DAY
    raise clock.no_working_day()


def _add_days(clock: _Clock, moment: dt.datetime, days: Decimal) -> dt.datetime:
    whole = int(days)
    if whole:
        wall = moment.astimezone(clock.zone).replace(tzinfo=None)
        moment = clock.utc(wall + whole * _ONE_DAY)
    return moment + _span((days - whole) * _SECONDS["days"])


def _add_business_days(clock: _Clock, moment: dt.datetime, amount: Decimal) -> dt.datetime:
    day, start = _next_working(clock, moment)
    whole = int(amount)
    if whole:
        wall = start.astimezone(clock.zone).time().replace(fold=0)
        for _ in range(whole):
            day = clock.next_working_day(day)
        start = clock.at(day, wall)
    fraction = amount - whole
    if fraction:
        share = _span(fraction * Decimal(clock.day_length // dt.timedelta(microseconds=1)), 1)
        start = _add_working_time(clock, start, share)
    return start


def _add_working_time(clock: _Clock, moment: dt.datetime, amount: dt.timedelta) -> dt.datetime:
    if not amount:
        return moment
    day = clock.day_of(moment) - _ONE_DAY
    idle = 0
    while idle <= clock.longest_break:
        idle += 1
        if clock.is_working_day(day):
            idle = 0
            opens, closes = clock.hours(day)
            begin = max(moment, opens)
            if begin < closes:
                if amount <= closes - begin:
                    return begin + amount
                amount -= closes - begin
        day += _ONE_DAY
    raise clock.no_working_day()


def _span(amount: Decimal, unit_microseconds: int = 1_000_000) -> dt.timedelta:
    """``amount`` units as a timedelta, rounded to the microsecond (seconds by default)."""
    micros = (amount * unit_microseconds).to_integral_value(rounding=ROUND_HALF_EVEN)
    return dt.timedelta(microseconds=int(micros))


def _utc(moment: dt.datetime, what: str) -> dt.datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(
            f"{what} must be a timezone-aware datetime, got naive {moment.isoformat()}"
        )
    return moment.astimezone(dt.UTC)
