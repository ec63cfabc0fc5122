"""Run-time values carried across continue-as-new, with their types.

Plain JSON would turn a date into text and a duration into a number; the
campaign's names must come back exactly as they were, so each value is
tagged with its kind.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from engine.ir import Duration
from engine.workflow.values import Money, Percent

_TAG = "$mops"


def encode(value: Any) -> Any:
    """A run-time value as tagged JSON."""
    match value:
        case bool() | None | str() | int() | float():
            return value
        case Decimal():
            return {_TAG: "number", "v": str(value)}
        case Money():
            return {_TAG: "money", "v": str(value.amount), "c": value.currency}
        case Percent():
            return {_TAG: "percent", "v": str(value.value)}
        case dt.datetime():
            return {_TAG: "datetime", "v": value.isoformat()}
        case dt.date():
            return {_TAG: "date", "v": value.isoformat()}
        case dt.timedelta():
            return {_TAG: "timedelta", "v": value.total_seconds()}
        case Duration():
            return {_TAG: "duration", "v": str(value.amount), "u": value.unit}
        case list() | tuple():
            return [encode(v) for v in value]
        case dict():
            return {str(k): encode(v) for k, v in value.items()}
    raise TypeError(f"cannot carry a {type(value).__name__} across continue-as-new")


def decode(value: Any) -> Any:
    """The run-time value :func:`encode` wrote."""
    if isinstance(value, list):
        return [decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    kind = value.get(_TAG)
    if kind is None:
        return {k: decode(v) for k, v in value.items()}
    raw = value["v"]
    match kind:
        case "number":
            return Decimal(raw)
        case "money":
            return Money(Decimal(raw), value["c"])
        case "percent":
            return Percent(Decimal(raw))
        case "datetime":
            return dt.datetime.fromisoformat(raw)
        case "date":
            return dt.date.fromisoformat(raw)
        case "timedelta":
            return dt.timedelta(seconds=raw)
        case "duration":
            return Duration(amount=Decimal(raw), unit=value["u"])
    raise ValueError(f"unknown carried kind {kind!r}")
