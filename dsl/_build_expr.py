"""Grammar rules -> AST for expressions, texts with interpolation, durations and dates."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from dsl import _ast as ast
from dsl._diagnostics import Diagnostic
from dsl._source import Span
from dsl._token import Token

if TYPE_CHECKING:
    from lark import Token as LarkToken
    from lark.tree import Meta

ExprParser = Callable[[str, int, int], "tuple[ast.Expr | None, list[Diagnostic]]"]
"""Parses the text of an interpolation found at (line, col) into an expression."""

_SPECIAL = re.compile(r"[\\{}]")
_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t", "{": "{", "}": "}"}
_UNITS: dict[str, ast.DurationUnit] = {
    "second": "seconds",
    "minute": "minutes",
    "hour": "hours",
    "day": "days",
    "week": "weeks",
}
# The operators of the grammar's COMPARATOR, ADD_OP and MUL_OP tokens.
_OPERATORS: dict[str, ast.BinaryOp] = {
    "==": "==",
    "!=": "!=",
    "<=": "<=",
    ">=": ">=",
    "<": "<",
    ">": ">",
    "+": "+",
    "-": "-",
    "*": "*",
    "/": "/",
}
_SHORT_UNITS: dict[str, ast.DurationUnit] = {
    "s": "seconds",
    "m": "minutes",
    "h": "hours",
    "d": "days",
    "w": "weeks",
}


_tuple = tuple.__new__


def token_span(token: Token | LarkToken) -> Span:
    """The span of one token."""
    line = token.line or 1
    col = token.column or 1
    where = (line, col, token.end_line or line, token.end_column or col + len(token))
    return _tuple(Span, where)  # Span(*where) without the named tuple's Python-level __new__


def meta_span(meta: Meta) -> Span:
    """The span of a tree node, for parsers that build a tree with positions
    (the scenario files' parser)."""
    if getattr(meta, "empty", True):
        return Span(1, 1, 1, 2)
    return Span(meta.line, meta.column, meta.end_line, meta.end_column)


def shift(span: Span, line: int, col: int) -> Span:
    """Move a span parsed from a one-line snippet to where the snippet sits."""
    return Span(line, col + span.col - 1, line, col + span.end_col - 1)


class ExprBuilder:
    """Builds expression nodes as the parser reduces them; collects problems.

    Each method builds the node of one grammar rule from the span of the rule
    and its children (see :mod:`dsl._callbacks`). Problems are collected, not
    raised, so one parse reports every one of them.
    """

    def __init__(self, parse_interpolation: ExprParser, origin: tuple[int, int] = (1, 1)) -> None:
        self.diagnostics: list[Diagnostic] = []
        self._parse_interpolation = parse_interpolation
        # Where the parsed snippet starts in the file (for interpolations).
        self._origin = origin

    def _span(self, token: Token) -> Span:
        span = token_span(token)
        if self._origin == (1, 1):
            return span
        return shift(span, *self._origin)

    def _error(self, code: str, message: str, span: Span, *, hint: str | None = None) -> None:
        self.diagnostics.append(Diagnostic(code, message, span, hint=hint))

    # ---- literals of time ----------------------------------------------------------

    def plain_duration(self, span: Span, children: list[Token]) -> ast.Duration:
        amount, unit = children
        name = _UNITS[str(unit).rstrip("s")]
        return ast.Duration(Decimal(str(amount)), name, f"{amount} {unit}", span)

    def business_duration(self, span: Span, children: list[Token]) -> ast.Duration:
        amount, unit = children
        name: ast.DurationUnit = (
            "business_days" if str(unit).startswith("day") else "business_hours"
        )
        text = f"{amount} business {unit}"
        return ast.Duration(Decimal(str(amount)), name, text, span)

    def short_duration(self, span: Span, children: list[Token]) -> ast.Duration:
        text = str(children[0])
        unit = _SHORT_UNITS[text[-1]]
        return ast.Duration(Decimal(text[:-1]), unit, text, span)

    def duration_lit(self, span: Span, children: list[ast.Duration]) -> ast.DurationLit:
        return ast.DurationLit(children[0], span)

    def percent(self, span: Span, children: list[Token]) -> ast.PercentLit:
        return ast.PercentLit(Decimal(str(children[0])), span)

    def date(self, span: Span, children: list[Token]) -> ast.Expr:
        day = self.parse_date(children[0])
        # A bad date was reported; a stand-in date keeps the type checks quiet.
        return ast.DateLit(day or dt.date.min, span)

    def datetime(self, span: Span, children: list[Token]) -> ast.Expr:
        day = self.parse_date(children[0])
        clock = self.parse_time(children[1])
        moment = dt.datetime.combine(day or dt.date.min, clock or dt.time())
        return ast.DateTimeLit(moment, span)

    def parse_date(self, token: Token) -> dt.date | None:
        """A DATE token as a date, or None after reporting C002."""
        try:
            return dt.date.fromisoformat(str(token))
        except ValueError:
            self._error(
                "C002",
                f"{token} is not a date in the calendar",
                self._span(token),
                hint="write dates as YYYY-MM-DD, e.g. 2026-12-01",
            )
            return None

    def parse_time(self, token: Token) -> dt.time | None:
        """A TIME token as a time of day, or None after reporting C002."""
        try:
            return dt.time.fromisoformat(str(token))
        except ValueError:
            self._error(
                "C002",
                f"{token} is not a time of day",
                self._span(token),
                hint="write times as HH:MM on a 24-hour clock, e.g. 09:00 or 17:30",
            )
            return None

    # ---- expressions -----------------------------------------------------------------

    def number(self, span: Span, children: list[Token]) -> ast.NumberLit:
        return ast.NumberLit(Decimal(str(children[0])), span)

    def money(self, span: Span, children: list[Token]) -> ast.MoneyLit:
        return ast.MoneyLit(Decimal(str(children[0])), str(children[1]), span)

    def true(self, span: Span, children: list[Any]) -> ast.BoolLit:
        return ast.BoolLit(True, span)

    def false(self, span: Span, children: list[Any]) -> ast.BoolLit:
        return ast.BoolLit(False, span)

    def name(self, span: Span, children: list[Token]) -> ast.Name:
        return ast.Name(str(children[0]), self._span(children[0]))

    def list_lit(self, span: Span, children: list[Any]) -> ast.ListLit:
        return ast.ListLit(tuple(c for c in children if c is not None), span)

    def record_lit(self, span: Span, children: list[Any]) -> ast.RecordLit:
        fields = tuple(c for c in children if c is not None)
        seen: set[str] = set()
        for name, _value in fields:
            if name in seen:
                self._error("N002", f"the field '{name}' is given twice", span)
            seen.add(name)
        return ast.RecordLit(fields, span)

    def field(self, span: Span, children: list[Any]) -> tuple[str, ast.Expr]:
        key = children[0]
        return (key.plain if isinstance(key, ast.TextLit) else str(key)), children[1]

    def attribute(self, span: Span, children: list[Any]) -> ast.Attribute:
        obj, name_tok = children
        return ast.Attribute(obj, str(name_tok), span, self._span(name_tok))

    def index(self, span: Span, children: list[Any]) -> ast.Index:
        return ast.Index(children[0], children[1], span)

    def call(self, span: Span, children: list[Any]) -> ast.Call:
        func, *args = children
        return ast.Call(str(func), tuple(a for a in args if a is not None), span, self._span(func))

    def negate(self, span: Span, children: list[Any]) -> ast.Unary:
        return ast.Unary("-", children[0], span)

    def not_op(self, span: Span, children: list[Any]) -> ast.Unary:
        return ast.Unary("not", children[0], span)

    def binary(self, span: Span, children: list[Any]) -> ast.Binary:
        left, op, right = children
        return ast.Binary(_OPERATORS[str(op)], left, right, span)

    compare = binary

    def member(self, span: Span, children: list[Any]) -> ast.Binary:
        return ast.Binary("in", children[0], children[1], span)

    def not_member(self, span: Span, children: list[Any]) -> ast.Binary:
        return ast.Binary("not in", children[0], children[1], span)

    def and_op(self, span: Span, children: list[Any]) -> ast.Binary:
        return ast.Binary("and", children[0], children[1], span)

    def or_op(self, span: Span, children: list[Any]) -> ast.Binary:
        return ast.Binary("or", children[0], children[1], span)

    def string(self, span: Span, children: list[ast.TextLit]) -> ast.TextLit:
        return children[0]  # already built by text_token

    def text_token(self, token: Token) -> ast.TextLit:
        """A STRING token as a text, with its interpolations parsed."""
        return self._text(token)

    # ---- texts with interpolation ---------------------------------------------------

    def _text(self, token: Token) -> ast.TextLit:
        span = self._span(token)
        body = token[1:-1]  # a slice of a str subclass is a str
        if _SPECIAL.search(body) is None:
            return ast.TextLit((body,), span)  # no escape, no brace: the commonest text
        parts: list[str | ast.Expr] = []
        buf: list[str] = []
        i = 0
        while i < len(body):
            ch = body[i]
            if ch == "\\" and i + 1 < len(body):
                buf.append(_ESCAPES.get(body[i + 1], "\\" + body[i + 1]))
                i += 2
            elif ch == "{" and body.startswith("{{", i):
                buf.append("{")
                i += 2
            elif ch == "}" and body.startswith("}}", i):
                buf.append("}")
                i += 2
            elif ch == "{":
                end = body.find("}", i + 1)
                col = span.col + 1 + i  # column of the '{' in the file
                if end < 0 or not body[i + 1 : end].strip():
                    why = "is not closed with '}'" if end < 0 else "is empty"
                    self._error(
                        "S008",
                        f"the interpolation at column {col} {why}",
                        Span.point(span.line, col, (end - i + 1) if end > 0 else 1),
                        hint="write {name} to insert a value, or {{ for a literal brace",
                    )
                    i = len(body) if end < 0 else end + 1
                    continue
                if buf:
                    parts.append("".join(buf))
                    buf = []
                expr, problems = self._parse_interpolation(body[i + 1 : end], span.line, col + 1)
                self.diagnostics.extend(problems)
                if expr is not None:
                    parts.append(expr)
                i = end + 1
            else:
                # Plain text up to the next backslash or brace, in one piece.
                special = _SPECIAL.search(body, i + 1)
                stop = len(body) if special is None else special.start()
                buf.append(body[i:stop])
                i = stop
        if buf or not parts:
            parts.append("".join(buf))
        return ast.TextLit(tuple(parts), span)
