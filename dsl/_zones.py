"""Whether a name is a time zone: one lookup, for the checker and the team directory."""

from __future__ import annotations

import zoneinfo


def is_zone(name: str) -> bool:
    """Whether ``name`` is a time zone zoneinfo knows."""
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True
