"""From a ``calendar`` block (or a preset name) to a calendar specification."""

from __future__ import annotations

from dsl import _ast as ast
from dsl._calendars import MONDAY_TO_FRIDAY, OFFICE_HOURS, CalendarSpec, preset


def spec_of(definition: ast.CalendarDef) -> CalendarSpec:
    """The specification a ``calendar`` block writes (defaults for what it leaves out)."""
    office = None if definition.all_day else (definition.office_hours or OFFICE_HOURS)
    return CalendarSpec(
        name=definition.name,
        time_zone=definition.time_zone or "UTC",
        working_days=definition.working_days or MONDAY_TO_FRIDAY,
        office_hours=office,
        holiday_country=definition.holiday_country,
        holiday_region=definition.holiday_region,
        days_off=definition.days_off,
        send_window=definition.send_window,
        blackouts=tuple((a, b) for a, b in definition.blackouts if a is not None and b is not None),
    )


def resolve_calendar(file: ast.File, name: str) -> CalendarSpec | None:
    """The calendar a process names: one of the file's blocks, else a preset."""
    for definition in file.calendars:
        if definition.name == name:
            return spec_of(definition)
    return preset(name.upper())
