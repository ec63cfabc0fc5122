"""The holiday countries kept as data are what the installed ``holidays`` library says."""

from __future__ import annotations

from collections.abc import Iterator

import holidays
import pytest

from dsl import _holiday_countries as kept
from dsl._calendars import CalendarSpec, calendar_hint, country_code, validate


@pytest.fixture
def fresh() -> Iterator[None]:
    for cached in (kept.supported, kept.country_names, kept._data):
        cached.cache_clear()
    yield
    for cached in (kept.supported, kept.country_names, kept._data):
        cached.cache_clear()


def test_the_kept_countries_are_up_to_date() -> None:
    # If this fails after an upgrade of holidays: python -m dsl._holiday_countries --write
    assert kept.main([]) == 0


def test_the_kept_countries_answer_as_the_library_does(fresh: None) -> None:
    assert kept._data() is not None
    assert kept.supported() == holidays.list_supported_countries(include_aliases=True)
    assert kept.country_of("UK") == "GB"
    assert kept.country_names()["Germany"] == "DE"


def test_another_version_of_the_library_is_asked_instead(
    fresh: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(kept, "library_version", lambda: "0.0-not-this-one")
    assert kept._data() is None
    assert kept.supported() == holidays.list_supported_countries(include_aliases=True)
    assert kept.country_of("UK") == "GB"
    assert country_code("UnitedKingdom") == country_code("UK") == "GB"
    assert (
        validate(CalendarSpec("x", "Europe/Berlin", holiday_country="DE", holiday_region="BE"))
        == []
    )


def test_a_misspelt_region_or_a_country_name_still_gets_its_hint() -> None:
    # A misspelt region is looked up in that country's module alone; a name in the kept data.
    problems = validate(
        CalendarSpec("x", "Europe/Berlin", holiday_country="DE", holiday_region="Berlim")
    )
    assert problems == ["unknown region 'Berlim' of holiday country 'DE'; did you mean 'BE'?"]
    assert calendar_hint("Germany", []).startswith('did you mean "DE"?')


def test_the_library_version_is_the_one_importlib_metadata_gives() -> None:
    from importlib.metadata import version

    assert kept.library_version() == version("holidays")
