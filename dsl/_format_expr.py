"""How ``mops fmt`` writes expressions, texts, types, times of day and weekdays.

Expressions are written with canonical spacing and only the brackets their
operators need; a text is written exactly as it stands in the source (its
escapes and interpolations) when it can be found there, else quoted anew.

An expression that would make its line longer than :data:`MAX_WIDTH` is broken
where the language lets a line break, inside brackets: a list, a record or a
function call gets one item per line, and a chain of ``and`` / ``or`` (or of
``+``, ``*`` ...) goes in parentheses with one operand per line, each after
its operator. Every piece is broken again if it is still too long. A text, a
name or a date cannot be broken; its line stays long.
"""

from __future__ import annotations

import datetime as dt
import re

from dsl import _ast as ast
from dsl._source import SourceFile
from dsl._types import ListOf, OneOf, Type

_STRING = re.compile(r'"([^"\\\n{]|\\.|\{\{|\{[^{}\n]*\})*"')  # as STRING in grammar.lark
_NAME = re.compile(r"[a-z_][a-z0-9_]*")
_WORDS = {"true", "false", "not", "and", "or", "in"}
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# How tightly each operator binds (higher binds tighter); atoms are 9.
_LEVEL = {"or": 1, "and": 2, "+": 5, "-": 5, "*": 6, "/": 6}
_COMPARE = 4  # == != < <= > >= in, not in: both sides are sums
_NOT, _NEGATE, _POSTFIX, _ATOM = 3, 7, 8, 9

MAX_WIDTH = 100
"""The longest line ``mops fmt`` writes where the line can be broken."""

Lines = list[tuple[int, str, int | None]]
"""Lines to write: each with its depth (two spaces a level), its text and the
source line it comes from (comments before that line go with it), if any."""


def fits(depth: int, text: str) -> bool:
    """Whether ``text`` at ``depth`` stays within :data:`MAX_WIDTH`."""
    return len("  " * depth + text) <= MAX_WIDTH


def _quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("{", "{{").replace("}", "}}")
    return '"' + escaped.replace("\n", "\\n").replace("\t", "\\t") + '"'


def _title(title: str | None) -> str:
    return "" if title is None else " " + _quote(title)


def _split(line: str) -> tuple[str, str | None]:
    """A source line as its code and its comment (texts may hold '#')."""
    i = 0
    while i < len(line):
        if line[i] == '"':
            match = _STRING.match(line, i)
            i = match.end() if match else len(line)
        elif line[i] == "#":
            return line[:i].rstrip(), line[i:].rstrip()
        else:
            i += 1
    return line.rstrip(), None


def _key(name: str) -> str:
    """A record's key: bare where it can be, else quoted."""
    return name if _NAME.fullmatch(name) and name not in _WORDS else _quote(name)


def _clock(value: dt.time) -> str:
    return f"{value.hour:02d}:{value.minute:02d}"


def _type(kind: Type) -> str:
    match kind:
        case ListOf(item=item):
            return "list of " + _type(item)
        case OneOf(choices=choices):
            return "one of " + ", ".join(_quote(c) for c in choices)
    return str(kind)


def _days(days: tuple[int, ...]) -> str:
    runs: list[list[int]] = []
    for day in days:
        if runs and runs[-1][-1] == day - 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    if len(runs) > 1 and runs[0][0] == 0 and runs[-1][-1] == 6:  # a week wraps: sat to mon
        runs = [runs[-1] + runs[0], *runs[1:-1]]
    return ", ".join(
        f"{_DAYS[r[0]]} to {_DAYS[r[-1]]}" if len(r) > 2 else ", ".join(_DAYS[d] for d in r)
        for r in runs
    )


class ExprPrinter:
    """Writes expressions; texts are taken from ``source`` where they are written."""

    def __init__(self, source: SourceFile) -> None:
        self.src = source

    def expr(self, node: ast.Expr, need: int = 0) -> str:
        text, level = self.term(node)
        return f"({text})" if level < need else text

    def term(self, node: ast.Expr) -> tuple[str, int]:
        match node:
            case ast.NumberLit(value=value):
                return f"{value:f}", _ATOM
            case ast.MoneyLit(amount=amount, currency=currency):
                return f"{amount:f} {currency}", _ATOM
            case ast.PercentLit(value=value):
                return f"{value:f}%", _ATOM
            case ast.DurationLit(duration=duration):
                return duration.text, _ATOM
            case ast.DateLit(value=value):
                return value.isoformat(), _ATOM
            case ast.DateTimeLit(value=value):
                return f"{value.date().isoformat()} {_clock(value.time())}", _ATOM
            case ast.TextLit():
                return self.text(node), _ATOM
            case ast.BoolLit(value=value):
                return ("true" if value else "false"), _ATOM
            case ast.Name(id=name):
                return name, _ATOM
            case ast.ListLit(items=items):
                return "[" + ", ".join(self.expr(i) for i in items) + "]", _ATOM
            case ast.RecordLit(fields=fields):
                return "{" + ", ".join(f"{_key(k)}: {self.expr(v)}" for k, v in fields) + "}", _ATOM
            case ast.Attribute(obj=obj, name=name):
                return f"{self.expr(obj, _POSTFIX)}.{name}", _POSTFIX
            case ast.Index(obj=obj, index=index):
                return f"{self.expr(obj, _POSTFIX)}[{self.expr(index)}]", _POSTFIX
            case ast.Call(func=func, args=args):
                return f"{func}({', '.join(self.expr(a) for a in args)})", _POSTFIX
            case ast.Unary(op="not", operand=operand):
                return f"not {self.expr(operand, _NOT)}", _NOT
            case ast.Unary(operand=operand):
                return f"-{self.expr(operand, _NEGATE)}", _NEGATE
            case ast.Binary(op=op, left=left, right=right):
                level = _LEVEL.get(op, _COMPARE)
                sides = (level + 1, level + 1) if level == _COMPARE else (level, level + 1)
                return f"{self.expr(left, sides[0])} {op} {self.expr(right, sides[1])}", level
        raise AssertionError(f"no layout for {type(node).__name__}")

    def broken(
        self,
        node: ast.Expr,
        head: str,
        tail: str,
        depth: int,
        need: int = 0,
        anchor: int | None = None,
    ) -> Lines:
        """``head``, the expression and ``tail`` as lines, broken if they are too long.

        A break is made only where the expression is longer than what follows
        it on the line and breaking brings the first and the last line within
        the width: ``when x > 0`` stays whole in a row whose results are long.
        An expression with a comment among its items stays broken, one item per
        line, so that the comment stays with its item. ``need`` is how tightly
        the expression must bind where it stands (see :meth:`expr`); a broken
        chain is in parentheses anyway. ``anchor`` is the source line of the
        first line; each item's first line has the item's own.
        """
        written = self.expr(node, need)
        one = head + written + tail
        commented = self._forced(node)
        if not commented and (fits(depth, one) or len(written) < len(tail)):
            return [(depth, one, anchor)]  # short enough, or it is what follows that is long
        lines = self._break(node, head, tail, depth, need, anchor)
        if lines and (commented or (fits(*lines[0][:2]) and fits(*lines[-1][:2]))):
            return lines
        return [(depth, one, anchor)]

    def _forced(self, node: ast.Expr) -> bool:
        """Whether a comment stands among the items of the expression, or of one inside it."""
        items = self._items(node)
        return bool(items) and (
            self._commented(node.span.line, items[-1].span.line)
            or any(self._forced(item) for item in items)
        )

    def _commented(self, first: int, last: int) -> bool:
        """Whether a comment stands on a line after ``first``, up to ``last``."""
        return any(_split(self.src.line(n))[1] is not None for n in range(first + 1, last + 1))

    def _items(self, node: ast.Expr) -> list[ast.Expr]:
        """The parts of an expression that a break puts on lines of their own."""
        match node:
            case ast.ListLit(items=values):
                return list(values)
            case ast.RecordLit(fields=fields):
                return [value for _key_name, value in fields]
            case ast.Call(args=args):
                return list(args)
            case ast.Binary():
                return [operand for _op, operand, _need in _operands(node)]
            case ast.Unary(operand=operand):
                return self._items(operand)
        return []

    def _break(
        self, node: ast.Expr, head: str, tail: str, depth: int, need: int, anchor: int | None
    ) -> Lines:
        match node:
            case ast.ListLit(items=values) if values:
                items = [("", v) for v in values]
                return self._bracketed(f"{head}[", items, f"]{tail}", depth, anchor)
            case ast.RecordLit(fields=fields) if fields:
                pairs = [(f"{_key(k)}: ", v) for k, v in fields]
                return self._bracketed(f"{head}{{", pairs, f"}}{tail}", depth, anchor)
            case ast.Call(func=func, args=args) if args:
                # A function call takes no comma after its last argument.
                given = [("", a) for a in args]
                opening = f"{head}{func}("
                return self._bracketed(opening, given, f"){tail}", depth, anchor, last=False)
            case ast.Binary():
                return self._chain(node, head, tail, depth, need, anchor)
            case ast.Unary(op="not", operand=operand) if need <= _NOT:
                return self.broken(operand, f"{head}not ", tail, depth, _NOT, anchor)
            case ast.Unary(op="-", operand=operand) if need <= _NEGATE:
                return self.broken(operand, f"{head}-", tail, depth, _NEGATE, anchor)
        return []

    def _bracketed(
        self,
        opening: str,
        items: list[tuple[str, ast.Expr]],
        closing: str,
        depth: int,
        anchor: int | None,
        *,
        last: bool = True,
    ) -> Lines:
        lines: Lines = [(depth, opening, anchor)]
        for n, (lead, item) in enumerate(items, start=1):
            comma = "," if last or n < len(items) else ""
            lines += self.broken(item, lead, comma, depth + 1, anchor=item.span.line)
        return [*lines, (depth, closing, None)]

    def _chain(
        self, node: ast.Binary, head: str, tail: str, depth: int, need: int, anchor: int | None
    ) -> Lines:
        level = _LEVEL.get(node.op, _COMPARE)
        parts = _operands(node)
        lines: Lines = []
        lead, last, _ = parts[-1]
        if (
            need <= level >= _COMPARE
            and isinstance(last, ast.ListLit | ast.RecordLit | ast.Call)
            and not self._commented(node.span.line, last.span.line)
            and not any(self._forced(operand) for _op, operand, _need in parts[:-1])
        ):
            # x in [...]: break the brackets at the end, if what comes before them fits
            # (and the chain needs no brackets of its own where it stands).
            before = " ".join(f"{op}{self.expr(e, binds)}" for op, e, binds in parts[:-1])
            lines = self.broken(last, f"{head}{before} {lead}", tail, depth, anchor=anchor)
            if len(lines) > 1:
                return lines
        lines = [(depth, f"{head}(", anchor)]
        for lead, operand, binds in parts:
            lines += self.broken(operand, lead, "", depth + 1, binds, operand.span.line)
        return [*lines, (depth, f"){tail}", None)]

    def text(self, node: ast.TextLit) -> str:
        """A text exactly as written (its escapes and interpolations), else re-escaped."""
        span = node.span
        written = self.src.line(span.line)[span.col - 1 : span.end_col - 1]
        if span.end_line == span.line and _STRING.fullmatch(written):
            return written
        return _quote(node.plain)


def _operands(node: ast.Binary) -> list[tuple[str, ast.Expr, int]]:
    """The operands of a run of operators of one level (``a and b and c``): each with
    the operator before it and how tightly it must bind."""
    level = _LEVEL.get(node.op, _COMPARE)
    parts: list[tuple[str, ast.Expr, int]] = []
    left: ast.Expr = node
    while isinstance(left, ast.Binary) and _LEVEL.get(left.op, _COMPARE) == level:
        parts.insert(0, (f"{left.op} ", left.right, level + 1))
        left = left.left
        if level == _COMPARE:
            break  # a comparison does not chain: a == b == c is no expression
    parts.insert(0, ("", left, level + 1 if level == _COMPARE else level))
    return parts
