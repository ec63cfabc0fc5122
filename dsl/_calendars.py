"""Business calendars as designers write them, and pinning them for a campaign.

A :class:`CalendarSpec` is what a ``calendar`` block (or a preset such as
``"DE"``) says: a time zone, working days, office hours, a holiday country and
region, company days off, a send window and blackout periods. :func:`pin`
turns it into a :class:`PinnedCalendar` whose holidays are plain dates taken
from the ``holidays`` library once, at compile time. The engine stores the
pinned dates in the IR, so a campaign computes the same deadlines when its
history is replayed years later, whatever the library says by then.

Only this compile side uses the ``holidays`` library; the run-time arithmetic
(``engine.workflow.business_time``) reads nothing but the pinned dates.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import re
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass

from dsl._holiday_countries import country_names as _country_names
from dsl._holiday_countries import country_of, supported

# The holidays library (0.05 s to import, and 0.2 s more to list its countries)
# is imported by the functions that pin holidays or name a country's regions:
# checking a calendar reads the countries and regions it knows as data.

OFFICE_HOURS = (dt.time(9), dt.time(17))
"""The office hours of every preset."""

MONDAY_TO_FRIDAY = (0, 1, 2, 3, 4)

# A country's main time zone: where most of its offices keep their clocks.
_PRESET_ZONES = {
    "AT": "Europe/Vienna",
    "AU": "Australia/Sydney",
    "BE": "Europe/Brussels",
    "BR": "America/Sao_Paulo",
    "CA": "America/Toronto",
    "CH": "Europe/Zurich",
    "CZ": "Europe/Prague",
    "DE": "Europe/Berlin",
    "DK": "Europe/Copenhagen",
    "ES": "Europe/Madrid",
    "FI": "Europe/Helsinki",
    "FR": "Europe/Paris",
    "GB": "Europe/London",
    "IE": "Europe/Dublin",
    "IN": "Asia/Kolkata",
    "IT": "Europe/Rome",
    "JP": "Asia/Tokyo",
    "MX": "America/Mexico_City",
    "NL": "Europe/Amsterdam",
    "NO": "Europe/Oslo",
    "NZ": "Pacific/Auckland",
    "PL": "Europe/Warsaw",
    "PT": "Europe/Lisbon",
    "SE": "Europe/Stockholm",
    "SG": "Asia/Singapore",
    "US": "America/New_York",
}

PRESETS: tuple[str, ...] = (*sorted(_PRESET_ZONES), "UTC")
"""Calendar names that need no ``calendar`` block."""

# Zone names that are not places: their meaning depends on the machine.
_NOT_PLACES = frozenset({"localtime", "posixrules", "Factory"})


@dataclass(frozen=True)
class CalendarSpec:
    """A business calendar as a designer writes it.

    Attributes:
        name: How the process refers to it (``"DE"``, ``"emea_office"``).
        time_zone: IANA name, e.g. ``Europe/Berlin``.
        working_days: Days of the week that are working days, Monday = 0 ... Sunday = 6.
        office_hours: Start and end of the working day; None = the whole day counts.
        holiday_country: ISO code whose public holidays are days off, or None.
        holiday_region: Subdivision of that country (``"BE"`` for Berlin), or None.
        days_off: Company days off, counted like holidays.
        send_window: When messages to customers may go out; None = any time.
        blackouts: Periods (first and last day, inclusive) when nothing is sent.
    """

    name: str
    time_zone: str
    working_days: tuple[int, ...] = MONDAY_TO_FRIDAY
    office_hours: tuple[dt.time, dt.time] | None = OFFICE_HOURS
    holiday_country: str | None = None
    holiday_region: str | None = None
    days_off: tuple[dt.date, ...] = ()
    send_window: tuple[dt.time, dt.time] | None = None
    blackouts: tuple[tuple[dt.date, dt.date], ...] = ()


@dataclass(frozen=True)
class PinnedCalendar:
    """A calendar with its holidays expanded to dates; mirrors the IR's ``Calendar``.

    Attributes:
        name: As in the spec.
        time_zone: As in the spec.
        working_days: As in the spec.
        office_hours: As in the spec.
        holidays: Public holidays of the pinned years as (date, name), in date order.
        holiday_source: Library version and country, e.g. ``holidays 0.109: DE-BE``;
            empty when the calendar has no holiday country.
        days_off: Company days off, sorted, without repeats.
        send_window: As in the spec.
        blackouts: As in the spec.
        pinned_years: First and last year the holidays cover.
    """

    name: str
    time_zone: str
    working_days: tuple[int, ...]
    office_hours: tuple[dt.time, dt.time] | None
    holidays: tuple[tuple[dt.date, str], ...]
    holiday_source: str
    days_off: tuple[dt.date, ...]
    send_window: tuple[dt.time, dt.time] | None
    blackouts: tuple[tuple[dt.date, dt.date], ...]
    pinned_years: tuple[int, int]


def preset(code: str) -> CalendarSpec | None:
    """The built-in calendar named by an ISO country code, or ``"UTC"``.

    A country preset works Monday to Friday, 09:00-17:00 in the country's main
    time zone, with the country's public holidays (no regional ones). ``"UTC"``
    has the same week and hours in UTC and no holidays. Codes are matched
    without regard to case.

    Args:
        code: ``"DE"``, ``"us"``, ``"UTC"``, ...

    Returns:
        The calendar, or None if there is no preset of that name.
    """
    key = code.upper()
    if key == "UTC":
        return CalendarSpec(name="UTC", time_zone="UTC")
    zone = _PRESET_ZONES.get(key)
    if zone is None:
        return None
    return CalendarSpec(name=key, time_zone=zone, holiday_country=key)


def validate(spec: CalendarSpec) -> list[str]:
    """Every problem with a calendar, in plain words; empty if there is none.

    Args:
        spec: The calendar as written.

    Returns:
        One sentence per problem, with a suggestion where one is close.
    """
    return [f"{message}; {hint}" if hint else message for _, message, hint in problems_of(spec)]


def problems_of(spec: CalendarSpec) -> list[tuple[str, str, str | None]]:
    """Every problem with a calendar: the option at fault, the problem and a hint.

    The option is ``time_zone``, ``holidays``, ``working_days``,
    ``office_hours``, ``send_window`` or ``blackout``.
    """
    found: list[tuple[str, str, str | None]] = []
    if spec.time_zone in _NOT_PLACES:
        found.append(
            (
                "time_zone",
                f"time zone '{spec.time_zone}' depends on the machine",
                "name a place such as 'Europe/Berlin'",
            )
        )
    elif spec.time_zone not in _time_zones():
        found.append(
            ("time_zone", f"unknown time zone '{spec.time_zone}'", zone_hint(spec.time_zone))
        )
    found += [
        ("holidays", *_split(problem))
        for problem in _holiday_problems(spec.holiday_country, spec.holiday_region)
    ]
    problems: list[str] = []
    if not spec.working_days:
        problems.append("there are no working days: name at least one day of the week")
    problems.extend(
        f"working day {day} is not a day of the week (0 = Monday ... 6 = Sunday)"
        for day in spec.working_days
        if not 0 <= day <= 6
    )
    if spec.office_hours and spec.office_hours[1] <= spec.office_hours[0]:
        start, end = (_hhmm(t) for t in spec.office_hours)
        problems.append(f"office hours end at {end}, which is not after their start {start}")
    if spec.send_window and spec.send_window[1] <= spec.send_window[0]:
        start, end = (_hhmm(t) for t in spec.send_window)
        problems.append(f"the send window ends at {end}, which is not after its start {start}")
    problems.extend(
        f"the blackout from {first} ends on {last}, before it starts"
        for first, last in spec.blackouts
        if last < first
    )
    found += [(_option_of(problem), problem, None) for problem in problems]
    return found


def _option_of(problem: str) -> str:
    """Which line of a calendar block a problem is about (for where to point)."""
    for words, option in (
        ("working day", "working_days"),
        ("office hours", "office_hours"),
        ("send window", "send_window"),
    ):
        if words in problem:
            return option
    return "blackout"


def _split(problem: str) -> tuple[str, str | None]:
    message, _sep, hint = problem.partition("; ")
    return message, hint or None


def zone_hint(word: str) -> str | None:
    """'did you mean ...?' for an unknown time zone: by spelling, or by a city in it."""
    zones = _time_zones()
    by_key = {_key(zone): zone for zone in zones}
    if _key(word) in by_key:
        return f"did you mean '{by_key[_key(word)]}'?"
    region, _slash, place = word.rpartition("/")
    cities = _city_zones()
    if _key(place) in cities:
        found = cities[_key(place)]
        zone = next((z for z in found if z.startswith(region + "/")), found[0])
        return f"did you mean '{zone}'? {place.replace('_', ' ')} keeps the time of {zone}"
    close = difflib.get_close_matches(word, sorted(zones), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None


@functools.cache
def _city_zones() -> dict[str, list[str]]:
    """``{"frankfurtammain": ["Europe/Berlin"], "frankfurt": [...], ...}``; first word too."""
    from dsl._zone_cities import CITIES  # a table only an unknown zone needs

    found: dict[str, list[str]] = {}
    for group in "".join(CITIES).split(";"):
        zone, _colon, names = group.partition(":")
        for name in names.split(",") if names else ():
            for spelling in {name, name.split(" ")[0].split("-")[0]}:
                zones = found.setdefault(_key(spelling), [])
                if zone not in zones:
                    zones.append(zone)
    return found


def country_code(word: str) -> str | None:
    """The ISO code meant by a country's code, alias or name: "UK" and "Britain" are GB."""
    if word.upper() in supported():
        return country_of(word.upper())
    return {_key(name): code for name, code in _country_names().items()}.get(_key(word))


def calendar_hint(name: str, own: Iterable[str]) -> str:
    """What to write instead of a calendar name that is neither a block nor a preset."""
    code = country_code(name)
    if code is not None and code in PRESETS:
        country = next((n for n, c in _country_names().items() if c == code), code)
        spelt = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", country)
        return f'did you mean "{code}"? it is the country code of {spelt}'
    if code is not None:
        return (
            f"there is no preset calendar for {code}: write a calendar block with "
            f'holidays "{code}" and the time zone of your office there'
        )
    close = difflib.get_close_matches(name, [*own, *PRESETS], n=1, cutoff=0.6)
    if close:
        return f"did you mean '{close[0]}'?"
    return "define it with a 'calendar' block, or use a country code such as \"DE\""


def pin(spec: CalendarSpec, years: range) -> PinnedCalendar:
    """Expand a calendar's holidays into dates for some years.

    Args:
        spec: A calendar with no problems (see :func:`validate`).
        years: The years whose holidays to pin, usually :func:`years_to_pin`.

    Returns:
        The calendar with plain dates only.

    Raises:
        ValueError: If the calendar has problems or ``years`` is empty.
    """
    problems = validate(spec)
    if problems:
        raise ValueError(f"calendar '{spec.name}': " + "; ".join(problems))
    if not years:
        raise ValueError(f"calendar '{spec.name}': no years to pin holidays for")
    found: tuple[tuple[dt.date, str], ...] = ()
    source = ""
    if spec.holiday_country:
        import holidays

        by_date = holidays.country_holidays(
            spec.holiday_country, subdiv=spec.holiday_region, years=list(years)
        )
        found = tuple(sorted((day, str(name)) for day, name in by_date.items()))
        where = spec.holiday_country
        if spec.holiday_region:
            where += f"-{spec.holiday_region}"
        source = f"holidays {_library_version()}: {where}"
    return PinnedCalendar(
        name=spec.name,
        time_zone=spec.time_zone,
        working_days=tuple(sorted(set(spec.working_days))),
        office_hours=spec.office_hours,
        holidays=found,
        holiday_source=source,
        days_off=tuple(sorted(set(spec.days_off))),
        send_window=spec.send_window,
        blackouts=spec.blackouts,
        pinned_years=(years[0], years[-1]),
    )


def years_to_pin(today: dt.date) -> range:
    """The years whose holidays a process compiled today carries: last year to +5.

    Campaigns run for months and their histories are replayed long after they
    started, so the dates must travel with the compiled process rather than
    be looked up again. Last year is included for campaigns that start from
    dates in the past (a backdated ``publish_on``, a process compiled in early
    January for work begun in December); five years ahead covers any campaign
    that can reasonably be running on this version. Beyond the window only the
    weekly days off and the company's days off count, and the checker can warn
    about deadlines that reach that far.

    Args:
        today: The compile date.

    Returns:
        ``range(today.year - 1, today.year + 6)``.
    """
    return range(today.year - 1, today.year + 6)


# ---- helpers -----------------------------------------------------------------


def _holiday_problems(country: str | None, region: str | None) -> list[str]:
    if country is None:
        return ["a holiday region needs a holiday country"] if region else []
    known = supported()
    if country not in known:
        return [_unknown("holiday country", country, known, _country_names())]
    regions = known[country]
    if region is None or region in regions:
        return []
    if not regions:
        return [f"holiday country '{country}' has no regions, so no region '{region}'"]
    problem = _unknown("region", region, regions, _region_names(country), of=country)
    if "did you mean" not in problem:
        problem += f"; its regions are {', '.join(sorted(regions))}"
    return [problem]


def _unknown(
    what: str,
    word: str,
    known: Iterable[str],
    names: dict[str, str] | None = None,
    *,
    of: str = "",
) -> str:
    """``unknown <what> '<word>'``, with the closest known word if there is one."""
    match = _closest(word, known, names or {})
    where = f" of holiday country '{of}'" if of else ""
    hint = f"; did you mean '{match}'?" if match else ""
    return f"unknown {what} '{word}'{where}{hint}"


def _closest(word: str, known: Iterable[str], names: dict[str, str]) -> str | None:
    """The known word meant by ``word``, if any.

    ``names`` maps other spellings (a country's name, a region's name) to the
    code to suggest. Exact lookups ignore case, spaces and punctuation; after
    them comes the closest spelling.
    """
    spellings = {k: k for k in known} | names
    by_key = {_key(spelling): code for spelling, code in spellings.items()}
    if _key(word) in by_key:
        return by_key[_key(word)]
    close = difflib.get_close_matches(word, sorted(spellings), n=1, cutoff=0.6)
    return spellings[close[0]] if close else None


def _key(word: str) -> str:
    return re.sub(r"[^0-9a-z]", "", word.casefold())


def _hhmm(moment: dt.time) -> str:
    return moment.strftime("%H:%M")


def _library_version() -> str:
    from dsl._holiday_countries import library_version

    return library_version()


def time_zones() -> tuple[str, ...]:
    """Every time zone a calendar may name (places, not machine-dependent aliases), sorted."""
    return tuple(sorted(_time_zones()))


@functools.cache
def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones() - _NOT_PLACES)


def _region_names(country: str) -> dict[str, str]:
    """``{"Berlin": "BE", ...}``: the library's names for a country's regions."""
    import holidays

    entity = holidays.country_holidays(country)
    aliases = getattr(entity, "subdivisions_aliases", {})
    return {str(k): str(v) for k, v in aliases.items()}
