"""The function library of the expression language, as signatures.

The evaluator in the engine implements each of these; a test keeps the two
lists identical.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from dsl._types import (
    ANY,
    BOOL,
    DATE,
    DATETIME,
    NUMBER,
    SCALAR_NAMES,
    SECRET,
    TEXT,
    ListOf,
    OneOf,
    Type,
)


@dataclass(frozen=True)
class Function:
    name: str
    summary: str
    arity: tuple[int, int]
    result: Callable[[Sequence[Type | None]], Type]
    """The result type, given the argument types (None where unknown)."""
    accepts: Callable[[Sequence[Type | None]], str | None]
    """None if the argument types are fine, else what is wrong."""


# Any value but a secret (which must never become text).
_EVERY_TYPE = (*(name for name in SCALAR_NAMES if name != "secret"), "list", "one")


def _fixed(result: Type) -> Callable[[Sequence[Type | None]], Type]:
    return lambda _args: result


def _all(*allowed: str) -> Callable[[Sequence[Type | None]], str | None]:
    def accepts(args: Sequence[Type | None]) -> str | None:
        for arg in args:
            # A 'one of' is a text: a function of texts takes it.
            kind = "text" if isinstance(arg, OneOf) else str(arg).split(" ")[0]
            if arg is not None and arg != ANY and kind not in allowed:
                if len(allowed) > 6:
                    return f"does not take a {arg}"
                return f"takes {' or '.join(allowed)}, not {arg}"
        return None

    return accepts


def _nothing(_args: Sequence[Type | None]) -> str | None:
    return None


def _months(args: Sequence[Type | None]) -> str | None:
    start, count = args
    if start not in (None, ANY, DATE, DATETIME):
        return f"moves a date or datetime, not {start}"
    if count not in (None, ANY, NUMBER):
        return f"takes a number of months, not {count}"
    return None


def _two_moments(args: Sequence[Type | None]) -> str | None:
    for arg in args:
        if arg not in (None, ANY, DATE, DATETIME):
            return f"takes two dates or two datetimes, not {arg}"
    if None not in args and ANY not in args and args[0] != args[1]:
        return f"takes two dates or two datetimes, not a {args[0]} and a {args[1]}"
    return None


def _same_as_first(args: Sequence[Type | None]) -> Type:
    return args[0] if args and args[0] is not None else ANY


FUNCTIONS: dict[str, Function] = {
    f.name: f
    for f in (
        Function(
            "len",
            "the number of items in a list or characters in a text",
            (1, 1),
            _fixed(NUMBER),
            _all("list", "text", "email", "url"),
        ),
        Function(
            "lower", "a text in lower case", (1, 1), _fixed(TEXT), _all("text", "email", "url")
        ),
        Function(
            "upper", "a text in upper case", (1, 1), _fixed(TEXT), _all("text", "email", "url")
        ),
        Function("trim", "a text without surrounding spaces", (1, 1), _fixed(TEXT), _all("text")),
        Function(
            "round",
            "a number rounded to N decimals (default 0)",
            (1, 2),
            _same_as_first,
            _all("number", "money", "percent"),
        ),
        Function(
            "min",
            "the smallest of its arguments",
            (2, 8),
            _same_as_first,
            _all("number", "money", "percent", "date", "datetime"),
        ),
        Function(
            "max",
            "the largest of its arguments",
            (2, 8),
            _same_as_first,
            _all("number", "money", "percent", "date", "datetime"),
        ),
        Function(
            "join",
            "the items of a list of texts, joined by a separator",
            (2, 2),
            _fixed(TEXT),
            _all("list", "text"),
        ),
        Function(
            "contains",
            "whether a text contains another",
            (2, 2),
            _fixed(BOOL),
            _all("text", "email", "url"),
        ),
        Function(
            "text",
            "any value written as text",
            (1, 1),
            _fixed(TEXT),
            _all(*_EVERY_TYPE),
        ),
        Function(
            "secret",
            "a secret of the worker, by name; only actions ever see its value",
            (1, 1),
            _fixed(SECRET),
            _all("text"),
        ),
        Function(
            "today",
            "the campaign's current date in its calendar's time zone",
            (0, 0),
            _fixed(DATE),
            _nothing,
        ),
        Function("now", "the campaign's current date and time", (0, 0), _fixed(DATETIME), _nothing),
        Function(
            "add_months",
            "a date or datetime moved by N calendar months, kept within the month",
            (2, 2),
            _same_as_first,
            _months,
        ),
        Function(
            "months_between",
            "the whole calendar months from one date or datetime to another",
            (2, 2),
            _fixed(NUMBER),
            _two_moments,
        ),
    )
}

LIST_OF_ANY = ListOf(ANY)
