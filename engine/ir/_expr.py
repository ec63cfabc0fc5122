"""The IR's values: types, durations, calendars and expressions.

See :mod:`engine.ir` for the whole picture.

"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Node(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Span(_Node):
    """Where a node is in its process file (1-based, end exclusive)."""

    line: int
    col: int
    end_line: int
    end_col: int


# ---- types -------------------------------------------------------------------


class ScalarType(_Node):
    kind: Literal["scalar"] = "scalar"
    name: str


class ListType(_Node):
    kind: Literal["list"] = "list"
    item: TypeRef


class OneOfType(_Node):
    kind: Literal["one_of"] = "one_of"
    choices: tuple[str, ...]


TypeRef = Annotated[ScalarType | ListType | OneOfType, Field(discriminator="kind")]


def type_text(type_: TypeRef) -> str:
    """The type as a designer writes it."""
    match type_:
        case ScalarType(name=name):
            return name
        case ListType(item=item):
            return f"list of {type_text(item)}"
        case OneOfType(choices=choices):
            return "one of " + ", ".join(f'"{c}"' for c in choices)


# ---- time --------------------------------------------------------------------

DurationUnit = Literal[
    "seconds", "minutes", "hours", "days", "weeks", "business_days", "business_hours"
]


class Duration(_Node):
    """A length of time as written: ``3 business days``, ``90 minutes``.

    ``days`` and ``weeks`` are calendar days on the wall clock of the process's
    time zone (a day across a DST change is 23 or 25 hours); business units
    count working time of the process's calendar.
    """

    amount: Decimal
    unit: DurationUnit


class Calendar(_Node):
    """A business calendar with every date it depends on pinned.

    Holidays come from the ``holidays`` library at compile time and are stored
    here as dates, so a campaign computes the same deadline on replay years
    later, whatever the library says by then.
    """

    name: str
    time_zone: str
    """IANA name, e.g. ``Europe/Berlin``."""
    working_days: tuple[int, ...] = (0, 1, 2, 3, 4)
    """Monday = 0 ... Sunday = 6."""
    office_hours: tuple[dt.time, dt.time] | None = (dt.time(9), dt.time(17))
    """Start and end of the working day; None = the whole day counts."""
    holidays: tuple[tuple[dt.date, str], ...] = ()
    """Public holidays with their names, for the pinned years."""
    holiday_source: str = ""
    """Where they came from, e.g. ``holidays 0.109: DE-BE``."""
    days_off: tuple[dt.date, ...] = ()
    """Company days off (no work, like holidays)."""
    send_window: tuple[dt.time, dt.time] | None = None
    """When messages to customers may go out; outside it are quiet hours."""
    blackouts: tuple[tuple[dt.date, dt.date], ...] = ()
    """Periods (inclusive) when nothing is sent to customers."""
    pinned_years: tuple[int, int] = (2000, 2000)
    """First and last year the holidays cover; beyond them only weekends count."""


# ---- expressions -------------------------------------------------------------


class Literal_(_Node):
    """A constant. Money is ``{"amount": "12.50", "currency": "EUR"}``.

    ``type`` names the scalar type when JSON alone would lose it: numbers are
    kept as exact decimal text, dates and durations as their ISO forms.
    """

    kind: Literal["lit"] = "lit"
    value: Any
    type: str | None = None
    span: Span


class Ref(_Node):
    """The value of an input or the result of an earlier step."""

    kind: Literal["ref"] = "ref"
    name: str
    span: Span


class Attr(_Node):
    """A field of a record: ``draft.doc_url``.

    ``type`` is set on a field of a step's result whose declared type JSON
    does not carry (a date, a datetime, a duration, a number, lists of them):
    the step sends it as text, and reading the field gives the typed value.
    """

    kind: Literal["attr"] = "attr"
    obj: Expr
    name: str
    span: Span
    type: TypeRef | None = None


class Index(_Node):
    kind: Literal["index"] = "index"
    obj: Expr
    index: Expr
    span: Span


class Call(_Node):
    kind: Literal["call"] = "call"
    func: str
    args: tuple[Expr, ...]
    span: Span


class Unary(_Node):
    kind: Literal["unary"] = "unary"
    op: Literal["-", "not"]
    operand: Expr
    span: Span


class Binary(_Node):
    kind: Literal["binary"] = "binary"
    op: Literal["+", "-", "*", "/", "and", "or", "==", "!=", "<", "<=", ">", ">=", "in", "not in"]
    left: Expr
    right: Expr
    span: Span


class ListExpr(_Node):
    kind: Literal["list"] = "list"
    items: tuple[Expr, ...]
    span: Span


class Record(_Node):
    kind: Literal["record"] = "record"
    fields: dict[str, Expr]
    span: Span


class Text(_Node):
    """A text with interpolations: plain parts are strings."""

    kind: Literal["text"] = "text"
    parts: tuple[str | Expr, ...]
    span: Span


Expr = Annotated[
    Literal_ | Ref | Attr | Index | Call | Unary | Binary | ListExpr | Record | Text,
    Field(discriminator="kind"),
]


for _model in (ListType, Attr, Index, Call, Unary, Binary, ListExpr, Record, Text):
    _model.model_rebuild()
