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
from collections.abc import Callable
from decimal import Decimal
from operator import attrgetter
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
        plan = plans.get(kind)
        if plan is None:
            plan = plans[kind] = _plan(kind)
        below, fields_of, named, titled = plan
        if below is None:
            stack.extend(reversed(node))
            continue
        if named:
            name, name_span = node.name, node.name_span
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
        if titled:
            title, span = node.title, node.span
            if isinstance(title, str) and isinstance(span, Span) and len(title) > MAX_TITLE:
                found.append(
                    Diagnostic(
                        "S011",
                        f"the title is {len(title):,} characters long; "
                        f"titles have at most {MAX_TITLE}",
                        span,
                        hint="put the details in the step's notes or a task argument",
                    )
                )
        if fields_of is not None:
            stack.extend(fields_of(node))
    return found


_Plan = tuple[tuple[str, ...] | None, Callable[[Any], tuple[Any, ...]] | None, bool, bool]
"""What the walk does with a value of a type: the fields that may hold a node,
last first (the order the stack gives back first to last), or None for a
sequence to go through; a function giving their values (None if there are
none); whether it has a name and a title to measure (a node of a class with
neither attribute is not asked for them)."""

# A span is a tuple of numbers: nothing in it.
_LEAVES: tuple[type, ...] = (str, int, float, bool, type(None), Decimal, dt.date, dt.datetime, Span)
_PLANS: dict[type, _Plan] = dict.fromkeys(_LEAVES, ((), None, False, False))


def _plan(kind: type) -> _Plan:
    if issubclass(kind, list | tuple):
        return None, None, False, False
    if not dataclasses.is_dataclass(kind):
        return (), None, False, False
    try:
        hints = typing.get_type_hints(kind)
    except (NameError, TypeError):  # pragma: no cover - every AST class resolves
        hints = {}
    fields = [f.name for f in dataclasses.fields(kind)]

    def has(name: str) -> bool:  # a field, or a property of the class
        return name in fields or hasattr(kind, name)

    # A field declared as text, a number or a span holds no node: not gone into.
    # The names and titles themselves are read above, field or not.
    below = tuple(reversed([n for n in fields if not (n in hints and _leaf(hints[n]))]))
    # attrgetter: one C call for a node's fields (a list comprehension took 3 times as long).
    fields_of: Callable[[Any], tuple[Any, ...]] | None = None
    if len(below) == 1:
        only = attrgetter(below[0])
        fields_of = lambda node: (only(node),)  # noqa: E731 - attrgetter of one gives no tuple
    elif below:
        fields_of = attrgetter(*below)
    return below, fields_of, has("name") and has("name_span"), has("title") and has("span")


def _leaf(hint: Any) -> bool:
    """Whether a value of the declared type ``hint`` is never, nor holds, a node."""
    if hint in _LEAVES:
        return True
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (types.UnionType, typing.Union, tuple):
        return all(_leaf(choice) for choice in args if choice is not Ellipsis)
    return origin is typing.Literal
