"""The holiday countries and regions a calendar may name, as data.

Checking a calendar asks three things of the ``holidays`` library: which
country codes it knows (with their regions), which code an alias or a name
stands for ("UK" and "UnitedKingdom" for GB), and, only when a region is
misspelt, that country's names for its regions. Its own answer to the first
imports all of its 250 country modules (0.1-0.2 s, more than the rest of
``mops check``). So the answers to the first two are kept beside this module
(``holiday_countries.json``), generated from the library by
``python -m dsl._holiday_countries --write``; a test proves they equal what
the installed library says. They are used only while the installed library
is the version they were made from; with any other, the library is asked.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from dsl._kept import kept_file_command

DATA = Path(__file__).with_name("holiday_countries.json")


@functools.cache
def supported() -> dict[str, list[str]]:
    """Every country code and alias the library knows, with the codes of its regions."""
    data = _data()
    if data is not None:
        return {code: list(entry["regions"]) for code, entry in data["countries"].items()}
    import holidays

    return holidays.list_supported_countries(include_aliases=True)


def country_of(code: str) -> str:
    """The ISO code an upper-case code or alias of :func:`supported` stands for."""
    data = _data()
    if data is not None:
        country: str = data["countries"][code]["country"]
        return country
    import holidays

    return str(getattr(holidays.country_holidays(code), "country", code))


@functools.cache
def country_names() -> dict[str, str]:
    """``{"Germany": "DE", "UnitedStates": "US", ...}`` from the library's registry.

    The registry is not documented API, so a library without it only loses
    these hints.
    """
    data = _data()
    if data is not None:
        names: dict[str, str] = data["names"]
        return names
    return _names_from_library()


def _names_from_library() -> dict[str, str]:
    import holidays

    registry = getattr(holidays, "registry", None)
    countries: dict[str, tuple[str, ...]] = getattr(registry, "COUNTRIES", {})
    return {entry[0]: entry[1] for entry in countries.values() if len(entry) > 1}


@functools.cache
def _data() -> dict[str, Any] | None:
    """The kept answers, if they were made from the installed library's version."""
    try:
        data: dict[str, Any] = json.loads(DATA.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if data.get("holidays") == library_version() else None


def library_version() -> str:
    """The installed ``holidays`` library's version ("" if it is not installed)."""
    # Read from the name of its metadata folder beside it when there is one such
    # folder (holidays-0.109.dist-info), as importing importlib.metadata costs
    # 0.03 s; asked of importlib.metadata otherwise.
    import importlib.util

    spec = importlib.util.find_spec("holidays")
    if spec is not None and spec.origin is not None:
        site = Path(spec.origin).parent.parent
        found = list(site.glob("holidays-*.dist-info"))
        if len(found) == 1:
            return found[0].name.removeprefix("holidays-").removesuffix(".dist-info")
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("holidays")
    except PackageNotFoundError:
        return ""


def generated() -> str:
    """The text ``holiday_countries.json`` must hold: what the installed library says."""
    import holidays

    codes = holidays.list_supported_countries(include_aliases=True)
    countries = {
        code: {
            "country": str(getattr(holidays.country_holidays(code), "country", code)),
            "regions": list(regions),
        }
        for code, regions in codes.items()
    }
    data = {"holidays": library_version(), "countries": countries, "names": _names_from_library()}
    return json.dumps(data, indent=1, ensure_ascii=False) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m dsl._holiday_countries [--write]``: check (or rewrite) the kept answers."""
    return kept_file_command(DATA, generated, "dsl._holiday_countries", argv)


if __name__ == "__main__":
    sys.exit(main())
