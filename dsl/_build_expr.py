"""Parse tree -> AST for expressions, texts with interpolation, durations and dates."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from lark import Token, Transformer, Tree, v_args
from lark.tree import Meta

from dsl import _ast as ast
from dsl._diagnostics import Diagnostic
from dsl._source import Span

ExprParser = Callable[[str, int, int], "tuple[ast.Expr | None, list[Diagnostic]]"]
"""Parses the text of an interpolation found at (line, col) into an expression."""

_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t", "{": "{", "}": "}"}
_UNITS = {
    "second": "seconds",
    "minute": "minutes",
    "hour": "hours",
    "day": "days",
    "week": "weeks",
}
_SHORT_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def token_span(token: Token) -> Span:
    """The span of one token."""
    line = token.line or 1
    col = token.column or 1
    return Span(line, col, token.end_line or line, token.end_column or col + len(token))


def meta_span(meta: Meta) -> Span:
    """The span of a tree node (positions are propagated by the parser)."""
    if getattr(meta, "empty", True):
        return Span(1, 1, 1, 2)
    return Span(meta.line, meta.column, meta.end_line, meta.end_column)


def shift(span: Span, line: int, col: int) -> Span:
    """Move a span parsed from a one-line snippet to where the snippet sits."""
    return Span(line, col + span.col - 1, line, col + span.end_col - 1)


@v_args(meta=True)
class ExprBuilder(Transformer[Token, Any]):
    """Builds expression nodes; collects problems instead of raising them.

    Lark would wrap an exception raised here in ``VisitError``; collecting keeps
    every problem and avoids that trap.
    """

    def __init__(self, parse_interpolation: ExprParser, origin: tuple[int, int] = (1, 1)) -> None:
        super().__init__()
        self.diagnostics: list[Diagnostic] = []
        self._parse_interpolation = parse_interpolation
        # Where the parsed snippet starts in the file (for interpolations).
        self._origin = origin

    def _span(self, meta_or_token: Meta | Token) -> Span:
        span = (
            token_span(meta_or_token)
            if isinstance(meta_or_token, Token)
            else meta_span(meta_or_token)
        )
        if self._origin == (1, 1):
            return span
        return shift(span, *self._origin)

    def _error(self, code: str, message: str, span: Span, *, hint: str | None = None) -> None:
        self.diagnostics.append(Diagnostic(code, message, span, hint=hint))

    # ---- literals of time ----------------------------------------------------------

    def plain_duration(self, meta: Meta, children: list[Token]) -> ast.Duration:
        amount, unit = children
        name = _UNITS[str(unit).rstrip("s")]
        return ast.Duration(Decimal(str(amount)), name, f"{amount} {unit}", self._span(meta))

    def business_duration(self, meta: Meta, children: list[Token]) -> ast.Duration:
        amount, unit = children
        name = "business_days" if str(unit).startswith("day") else "business_hours"
        text = f"{amount} business {unit}"
        return ast.Duration(Decimal(str(amount)), name, text, self._span(meta))

    def short_duration(self, meta: Meta, children: list[Token]) -> ast.Duration:
        text = str(children[0])
        unit = _SHORT_UNITS[text[-1]]
        return ast.Duration(Decimal(text[:-1]), unit, text, self._span(meta))

    def duration_lit(self, meta: Meta, children: list[ast.Duration]) -> ast.DurationLit:
        return ast.DurationLit(children[0], self._span(meta))

    def percent(self, meta: Meta, children: list[Token]) -> ast.PercentLit:
        return ast.PercentLit(Decimal(str(children[0])), self._span(meta))

    def date(self, meta: Meta, children: list[Token]) -> ast.Expr:
        day = self.parse_date(children[0])
        # A bad date was reported; a stand-in date keeps the type checks quiet.
        return ast.DateLit(day or dt.date.min, self._span(meta))

    def datetime(self, meta: Meta, children: list[Token]) -> ast.Expr:
        day = self.parse_date(children[0])
        clock = self.parse_time(children[1])
        moment = dt.datetime.combine(day or dt.date.min, clock or dt.time())
        return ast.DateTimeLit(moment, self._span(meta))

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

    def number(self, meta: Meta, children: list[Token]) -> ast.NumberLit:
        return ast.NumberLit(Decimal(str(children[0])), self._span(meta))

    def money(self, meta: Meta, children: list[Token]) -> ast.MoneyLit:
        return ast.MoneyLit(Decimal(str(children[0])), str(children[1]), self._span(meta))

    def true(self, meta: Meta, children: list[Any]) -> ast.BoolLit:
        return ast.BoolLit(True, self._span(meta))

    def false(self, meta: Meta, children: list[Any]) -> ast.BoolLit:
        return ast.BoolLit(False, self._span(meta))

    def name(self, meta: Meta, children: list[Token]) -> ast.Name:
        return ast.Name(str(children[0]), self._span(children[0]))

    def list_lit(self, meta: Meta, children: list[Any]) -> ast.ListLit:
        return ast.ListLit(tuple(c for c in children if c is not None), self._span(meta))

    def record_lit(self, meta: Meta, children: list[Any]) -> ast.RecordLit:
        fields = tuple(c for c in children if c is not None)
        seen: set[str] = set()
        for name, _value in fields:
            if name in seen:
                self._error("N002", f"the field '{name}' is given twice", self._span(meta))
            seen.add(name)
        return ast.RecordLit(fields, self._span(meta))

    def field(self, meta: Meta, children: list[Any]) -> tuple[str, ast.Expr]:
        key = children[0]
        return (key.plain if isinstance(key, ast.TextLit) else str(key)), children[1]

    def attribute(self, meta: Meta, children: list[Any]) -> ast.Attribute:
        obj, name_tok = children
        return ast.Attribute(obj, str(name_tok), self._span(meta), self._span(name_tok))

    def index(self, meta: Meta, children: list[Any]) -> ast.Index:
        return ast.Index(children[0], children[1], self._span(meta))

    def call(self, meta: Meta, children: list[Any]) -> ast.Call:
        func, *args = children
        return ast.Call(
            str(func), tuple(a for a in args if a is not None), self._span(meta), self._span(func)
        )

    def negate(self, meta: Meta, children: list[Any]) -> ast.Unary:
        return ast.Unary("-", children[0], self._span(meta))

    def not_op(self, meta: Meta, children: list[Any]) -> ast.Unary:
        return ast.Unary("not", children[0], self._span(meta))

    def binary(self, meta: Meta, children: list[Any]) -> ast.Binary:
        left, op, right = children
        return ast.Binary(str(op), left, right, self._span(meta))

    compare = binary

    def member(self, meta: Meta, children: list[Any]) -> ast.Binary:
        return ast.Binary("in", children[0], children[1], self._span(meta))

    def not_member(self, meta: Meta, children: list[Any]) -> ast.Binary:
        return ast.Binary("not in", children[0], children[1], self._span(meta))

    def and_op(self, meta: Meta, children: list[Any]) -> ast.Binary:
        return ast.Binary("and", children[0], children[1], self._span(meta))

    def or_op(self, meta: Meta, children: list[Any]) -> ast.Binary:
        return ast.Binary("or", children[0], children[1], self._span(meta))

    def string(self, meta: Meta, children: list[ast.TextLit]) -> ast.TextLit:
        return children[0]  # already built by __default_token__

    def __default_token__(self, token: Token) -> Any:
        if token.type == "STRING":
            return self._text(token)
        return token

    # ---- texts with interpolation ---------------------------------------------------

    def _text(self, token: Token) -> ast.TextLit:
        span = self._span(token)
        body = str(token)[1:-1]
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
                buf.append(ch)
                i += 1
        if buf or not parts:
            parts.append("".join(buf))
        return ast.TextLit(tuple(parts), span)


def unwrap_expr(tree: Tree[Token] | ast.Expr) -> ast.Expr:
    """The built expression of an interpolation parse."""
    if isinstance(tree, Tree):
        raise TypeError("expression was not transformed")
    return tree
