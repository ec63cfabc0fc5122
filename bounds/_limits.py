"""The size limits of MOps Flow, in one place (docs/security.md, "Limits").

A campaign carries its values in Temporal's history: one payload may hold at most
2 MB and a history 50 MB before the server ends the campaign. The limits keep
every value, message and event far below that, so that no data a person or a
script hands a campaign can leave it failing a workflow task for ever; each is
refused at the door (the CLI, the client, the update validator) where it can be,
and fails the campaign at its ``.mops`` line where it arises inside.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

__all__ = [
    "EARLY_EVENTS",
    "EARLY_EVENT_BYTES",
    "MAX_COMMENT",
    "MAX_DEPTH",
    "MAX_DIGITS",
    "MAX_ITEMS",
    "MAX_MAGNITUDE",
    "MAX_NAME",
    "MAX_PAYLOAD",
    "MAX_TEXT",
    "MAX_TITLE",
    "RENEW_HISTORY_BYTES",
    "TooLarge",
    "size_problem",
    "sized",
]

MAX_TEXT = 100_000
"""Characters of one text: an input, a field, a variable, a message."""
MAX_ITEMS = 10_000
"""Items of one list, fields of one record."""
MAX_DEPTH = 32
"""Lists and records inside each other."""
MAX_PAYLOAD = 512 * 1024
"""Bytes (as JSON) of what reaches or leaves a campaign in one piece: its inputs, a
decision, an event, a task's arguments or result, its outputs. Temporal warns at
this size and refuses 2 MB."""
MAX_COMMENT = 10_000
"""Characters of a comment on a decision."""
MAX_NAME = 64
"""Characters of a name in a process: a step, an input, a variable, a field."""
MAX_TITLE = 200
"""Characters of a step's or a process's title."""
MAX_DIGITS = 28
"""Significant digits of a number or an amount: what a campaign computes exactly."""
MAX_MAGNITUDE = 30
"""A number's largest power of ten: at most 31 digits before the decimal point."""
EARLY_EVENTS = 100
"""Events a campaign keeps for steps that have not asked for them yet."""
EARLY_EVENT_BYTES = 1024 * 1024
"""Bytes (as JSON) of the data of those events together."""
RENEW_HISTORY_BYTES = 8 * 1024 * 1024
"""History bytes past which a campaign continues as new at its next chance (Temporal
ends a campaign whose history passes 50 MB)."""


class TooLarge(ValueError):
    """A value past one of the limits; the message says which."""


def _kib(size: int) -> str:
    return f"{size / 1024:,.0f} KB" if size < 1024 * 1024 else f"{size / 1024 / 1024:,.1f} MB"


def size_problem(value: Any, *, payload: int = MAX_PAYLOAD) -> str | None:
    """Why ``value`` is past the limits (text length, items, depth, bytes), or None.

    ``value`` is JSON or a campaign's run-time value (numbers, amounts, dates are
    counted by their written length). One pass, without recursion; it stops at
    the first limit passed, so a hostile value costs no more than the limit.
    """
    total = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if len(item) > MAX_TEXT:
                return f"a text of {len(item):,} characters (at most {MAX_TEXT:,})"
            total += len(item) + 2
        elif isinstance(item, list | tuple | dict):
            if depth > MAX_DEPTH:
                return f"lists or records nested more than {MAX_DEPTH} deep"
            if len(item) > MAX_ITEMS:
                kind = "record of" if isinstance(item, dict) else "list of"
                return f"a {kind} {len(item):,} items (at most {MAX_ITEMS:,})"
            total += 2 + len(item)
            if isinstance(item, dict):
                for key, inner in item.items():
                    stack.append((str(key), depth))
                    stack.append((inner, depth + 1))
            else:
                stack.extend((inner, depth + 1) for inner in item)
        elif isinstance(item, bool) or item is None:
            total += 5
        elif isinstance(item, int | float | Decimal | dt.date | dt.timedelta):
            total += 40
        else:
            total += len(str(item))
        if total > payload:
            return f"more than {_kib(payload)} of data (at most {_kib(payload)})"
    return None


def sized(value: Any, what: str, *, payload: int = MAX_PAYLOAD) -> Any:
    """``value``, if it is within the limits.

    Raises:
        TooLarge: it is not; the message names ``what`` and the limit.
    """
    problem = size_problem(value, payload=payload)
    if problem is not None:
        raise TooLarge(f"{what} holds {problem}")
    return value
