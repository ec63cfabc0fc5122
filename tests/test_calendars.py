"""Calendars as designers write them: presets, validation messages, pinned holidays."""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib.metadata
from typing import Any

import pytest

from dsl._calendars import (
    PRESETS,
    CalendarSpec,
    PinnedCalendar,
    pin,
    preset,
    validate,
    years_to_pin,
)

NINE_TO_FIVE = (dt.time(9), dt.time(17))
COUNTRIES = {
    "AT": "Europe/Vienna",
    "AU": "Australia/Sydney",
    "BR": "America/Sao_Paulo",
    "CA": "America/Toronto",
    "CH": "Europe/Zurich",
    "DE": "Europe/Berlin",
    "DK": "Europe/Copenhagen",
    "ES": "Europe/Madrid",
    "FR": "Europe/Paris",
    "GB": "Europe/London",
    "IE": "Europe/Dublin",
    "IN": "Asia/Kolkata",
    "IT": "Europe/Rome",
    "JP": "Asia/Tokyo",
    "NL": "Europe/Amsterdam",
    "PL": "Europe/Warsaw",
    "SE": "Europe/Stockholm",
    "SG": "Asia/Singapore",
    "US": "America/New_York",
}
VERSION = importlib.metadata.version("holidays")


def spec(**changes: Any) -> CalendarSpec:
    """A valid calendar with some fields changed."""
    return dataclasses.replace(CalendarSpec(name="team", time_zone="Europe/Berlin"), **changes)


# ---- presets -------------------------------------------------------------------


@pytest.mark.parametrize(("code", "zone"), sorted(COUNTRIES.items()))
def test_country_presets_work_mon_to_fri_nine_to_five_with_national_holidays(
    code: str, zone: str
) -> None:
    assert preset(code) == CalendarSpec(
        name=code,
        time_zone=zone,
        working_days=(0, 1, 2, 3, 4),
        office_hours=NINE_TO_FIVE,
        holiday_country=code,
    )


def test_utc_preset_has_no_holidays() -> None:
    assert preset("UTC") == CalendarSpec(name="UTC", time_zone="UTC")
    assert pin(CalendarSpec(name="UTC", time_zone="UTC"), range(2026, 2027)).holidays == ()


def test_presets_ignore_case_and_unknown_codes_have_none() -> None:
    assert preset("de") == preset("DE")
    assert preset("utc") == preset("UTC")
    assert preset("XX") is None
    assert preset("Germany") is None


@pytest.mark.parametrize("code", PRESETS)
def test_every_preset_is_valid_and_pins(code: str) -> None:
    calendar = preset(code)
    assert calendar is not None
    assert validate(calendar) == []
    assert pin(calendar, range(2026, 2027)).pinned_years == (2026, 2026)


def test_there_are_at_least_fifteen_country_presets() -> None:
    assert set(COUNTRIES) <= set(PRESETS)
    assert "UTC" in PRESETS


# ---- validation ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "problems"),
    [
        ({}, []),
        (
            {"time_zone": "Europe/Berln"},
            ["unknown time zone 'Europe/Berln'; did you mean 'Europe/Berlin'?"],
        ),
        (
            {"time_zone": "america/new_york"},
            ["unknown time zone 'america/new_york'; did you mean 'America/New_York'?"],
        ),
        ({"time_zone": "Mars/Olympus_Mons"}, ["unknown time zone 'Mars/Olympus_Mons'"]),
        (
            {"time_zone": "localtime"},
            ["time zone 'localtime' depends on the machine; name a place such as 'Europe/Berlin'"],
        ),
        ({"holiday_country": "Germany"}, ["unknown holiday country 'Germany'; did you mean 'DE'?"]),
        (
            {"holiday_country": "united states"},
            ["unknown holiday country 'united states'; did you mean 'US'?"],
        ),
        ({"holiday_country": "de"}, ["unknown holiday country 'de'; did you mean 'DE'?"]),
        ({"holiday_country": "XQ"}, ["unknown holiday country 'XQ'"]),
        (
            {"holiday_country": "DE", "holiday_region": "Berlin"},
            ["unknown region 'Berlin' of holiday country 'DE'; did you mean 'BE'?"],
        ),
        (
            {"holiday_country": "DE", "holiday_region": "be"},
            ["unknown region 'be' of holiday country 'DE'; did you mean 'BE'?"],
        ),
        (
            {"holiday_country": "DE", "holiday_region": "QQ"},
            [
                "unknown region 'QQ' of holiday country 'DE'; its regions are Augsburg,"
                " BB, BE, BW, BY, HB, HE, HH, MV, NI, NW, RP, SH, SL, SN, ST, TH"
            ],
        ),
        (
            {"holiday_country": "SG", "holiday_region": "QQ"},
            ["holiday country 'SG' has no regions, so no region 'QQ'"],
        ),
        ({"holiday_region": "BE"}, ["a holiday region needs a holiday country"]),
        ({"working_days": ()}, ["there are no working days: name at least one day of the week"]),
        (
            {"working_days": (0, 7)},
            ["working day 7 is not a day of the week (0 = Monday ... 6 = Sunday)"],
        ),
        (
            {"office_hours": (dt.time(17), dt.time(9))},
            ["office hours end at 09:00, which is not after their start 17:00"],
        ),
        (
            {"send_window": (dt.time(20), dt.time(20))},
            ["the send window ends at 20:00, which is not after its start 20:00"],
        ),
        (
            {"blackouts": ((dt.date(2026, 12, 24), dt.date(2026, 12, 1)),)},
            ["the blackout from 2026-12-24 ends on 2026-12-01, before it starts"],
        ),
        ({"office_hours": None, "send_window": None}, []),
    ],
)
def test_validation_messages(changes: dict[str, object], problems: list[str]) -> None:
    assert validate(spec(**changes)) == problems


def test_validation_reports_every_problem_at_once() -> None:
    bad = spec(
        time_zone="Europe/Berln",
        holiday_country="Germany",
        working_days=(),
        office_hours=(dt.time(17), dt.time(9)),
    )
    assert len(validate(bad)) == 4


# ---- pinning ---------------------------------------------------------------------


def test_years_to_pin_are_last_year_to_five_years_ahead() -> None:
    assert years_to_pin(dt.date(2026, 1, 1)) == range(2025, 2032)
    assert years_to_pin(dt.date(2026, 12, 31)) == range(2025, 2032)


def test_pin_expands_national_and_regional_holidays_to_dates() -> None:
    germany = pin(spec(holiday_country="DE"), range(2026, 2027))
    berlin = pin(spec(holiday_country="DE", holiday_region="BE"), range(2026, 2027))
    assert (dt.date(2026, 4, 6), "Easter Monday") in germany.holidays
    days = {day for day, _ in germany.holidays}
    berlin_days = {day for day, _ in berlin.holidays}
    assert dt.date(2026, 3, 8) in berlin_days - days  # International Women's Day, Berlin only
    assert germany.holiday_source == f"holidays {VERSION}: DE"
    assert berlin.holiday_source == f"holidays {VERSION}: DE-BE"


def test_pin_keeps_observed_days_off() -> None:
    # 4 July 2026 is a Saturday; US offices close on Friday the 3rd.
    usa = pin(spec(time_zone="America/New_York", holiday_country="US"), range(2026, 2027))
    assert (dt.date(2026, 7, 3), "Independence Day (observed)") in usa.holidays
    assert (dt.date(2026, 11, 26), "Thanksgiving Day") in usa.holidays


def test_pin_covers_exactly_the_years_asked_for_in_date_order() -> None:
    pinned = pin(spec(holiday_country="DE"), years_to_pin(dt.date(2026, 6, 1)))
    assert pinned.pinned_years == (2025, 2031)
    days = [day for day, _ in pinned.holidays]
    assert days == sorted(days)
    assert {day.year for day in days} == set(range(2025, 2032))


def test_pin_copies_the_rest_of_the_calendar() -> None:
    written = spec(
        working_days=(4, 0, 2, 0),
        office_hours=None,
        days_off=(dt.date(2026, 12, 31), dt.date(2026, 12, 24), dt.date(2026, 12, 31)),
        send_window=(dt.time(8), dt.time(20)),
        blackouts=((dt.date(2026, 12, 24), dt.date(2026, 12, 26)),),
    )
    assert pin(written, range(2026, 2028)) == PinnedCalendar(
        name="team",
        time_zone="Europe/Berlin",
        working_days=(0, 2, 4),
        office_hours=None,
        holidays=(),
        holiday_source="",
        days_off=(dt.date(2026, 12, 24), dt.date(2026, 12, 31)),
        send_window=(dt.time(8), dt.time(20)),
        blackouts=((dt.date(2026, 12, 24), dt.date(2026, 12, 26)),),
        pinned_years=(2026, 2027),
    )


def test_pin_refuses_a_calendar_with_problems_or_no_years() -> None:
    with pytest.raises(ValueError) as bad:
        pin(spec(time_zone="Europe/Berln"), range(2026, 2027))
    with pytest.raises(ValueError) as empty:
        pin(spec(), range(2026, 2026))
    assert str(bad.value) == (
        "calendar 'team': unknown time zone 'Europe/Berln'; did you mean 'Europe/Berlin'?"
    )
    assert str(empty.value) == "calendar 'team': no years to pin holidays for"
