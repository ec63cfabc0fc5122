"""S011: names and titles longer than a campaign can carry.

A step's name becomes the id of every task it runs and a title its summary in
Temporal; a name of 100,000 characters made every workflow task of the campaign
fail for ever (issue 16). The limits are those of :mod:`bounds`, shared with the
campaign, which refuses a start past them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import types
import typing
from decimal import Decimal
from typing import Any

from bounds import MAX_NAME, MAX_TITLE
from dsl._diagnostics import Diagnostic
from dsl._source import Span


def limit_problems(tree: Any) -> list[Diagnostic]:
    """S011 for every name or title in ``tree`` (an AST) past the limits; iterative."""
    found: list[Diagnostic] = []
    stack: list[Any] = [tree]
    plans = _PLANS
    while stack:
        node = stack.pop()
        kind = type(node)
        fields = plans.get(kind, _UNKNOWN)
        if fields is _UNKNOWN:
            fields = plans[kind] = _plan(kind)
        if fields is None:
            stack.extend(reversed(node))
            continue
        if not fields:
            continue  # a value with nothing in it
        name, name_span = getattr(node, "name", None), getattr(node, "name_span", None)
        if isinstance(name, str) and isinstance(name_span, Span) and len(name) > MAX_NAME:
            found.append(
                Diagnostic(
                    "S011",
                    f"the name '{name[:40]}...' is {len(name):,} characters long; "
                    f"names have at most {MAX_NAME}",
                    name_span,
                    hint="a short name in lower_case is what the other steps refer to; "
                    'say more in the step\'s title ("...")',
                )
            )
        title, span = getattr(node, "title", None), getattr(node, "span", None)
        if isinstance(title, str) and isinstance(span, Span) and len(title) > MAX_TITLE:
            found.append(
                Diagnostic(
                    "S011",
                    f"the title is {len(title):,} characters long; titles have at most {MAX_TITLE}",
                    span,
                    hint="put the details in the step's notes or a task argument",
                )
            )
        if fields is not _NOTHING_BELOW:
            stack.extend([getattr(node, field) for field in fields])
    return found


# What the walk does with a value, by its type: None, a sequence to go
# through; (), nothing in it; else a data class's fields that may hold a
# node, last first (the order the stack gives back first to last). A span
# is a tuple of numbers.
_LEAVES: tuple[type, ...] = (str, int, float, bool, type(None), Decimal, dt.date, dt.datetime, Span)
_PLANS: dict[type, tuple[str, ...] | None] = dict.fromkeys(_LEAVES, ())
_UNKNOWN: tuple[str, ...] = ("not planned yet",)
_NOTHING_BELOW: tuple[str, ...] = ("no node below",)  # fields, none of them a node


def _plan(kind: type) -> tuple[str, ...] | None:
    if issubclass(kind, list | tuple):
        return None
    if not dataclasses.is_dataclass(kind):
        return ()
    try:
        hints = typing.get_type_hints(kind)
    except (NameError, TypeError):  # pragma: no cover - every AST class resolves
        hints = {}
    # A field declared as text, a number or a span holds no node: not gone into.
    # The names and titles themselves are read above, field or not.
    below = [
        f.name for f in dataclasses.fields(kind) if not (f.name in hints and _leaf(hints[f.name]))
    ]
    return tuple(reversed(below)) or _NOTHING_BELOW


def _leaf(hint: Any) -> bool:
    """Whether a value of the declared type ``hint`` is never, nor holds, a node."""
    if hint in _LEAVES:
        return True
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (types.UnionType, typing.Union, tuple):
        return all(_leaf(choice) for choice in args if choice is not Ellipsis)
    return origin is typing.Literal
