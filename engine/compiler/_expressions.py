"""AST -> IR for expressions, types, durations and spans."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable
from typing import Any, assert_never, get_args

from dsl import ListOf, OneOf, Scalar, Type, ast
from dsl import Span as SourceSpan
from engine import ir
from engine.ir._trusted import trusted_span
from engine.workflow.values import Money, to_json


def span_of(span: SourceSpan) -> ir.Span:
    """A source span as an IR span."""
    line, col, end_line, end_col = span
    return trusted_span(line, col, end_line, end_col)


def to_ir_type(type_: Type) -> ir.TypeRef:
    """A language type as its IR form."""
    match type_:
        case Scalar(name=name):
            return ir.unvalidated(ir.ScalarType)(name=name)
        case ListOf(item=item):
            return ir.unvalidated(ir.ListType)(item=to_ir_type(item))
        case OneOf(choices=choices):
            return ir.unvalidated(ir.OneOfType)(choices=choices)
        case _:
            assert_never(type_)


_UNTYPED_IN_JSON = frozenset({"number", "money", "percent", "date", "datetime", "duration"})


def needs_typing(type_: Type) -> bool:
    """Whether a value of ``type_`` sent as JSON reads back as something else (text)."""
    match type_:
        case Scalar(name=name):
            return name in _UNTYPED_IN_JSON
        case ListOf(item=item):
            return needs_typing(item)
        case OneOf():
            return False
        case _:
            assert_never(type_)


def duration(value: ast.Duration) -> ir.Duration:
    """A written duration as an IR duration."""
    return ir.unvalidated(ir.Duration)(amount=value.amount, unit=value.unit)


class ExprCompiler:
    """Compiles expressions; wall-clock literals are read in ``time_zone``."""

    def __init__(self, time_zone: str) -> None:
        self.time_zone = time_zone
        self.typed_fields: dict[str, dict[str, ir.TypeRef]] = {}
        """Step -> the fields of its result that JSON does not type (see :class:`ir.Attr`)."""

    def expr(self, expr: ast.Expr) -> ir.Expr:
        # By the node's class, looked up once: a match statement tried the classes
        # one by one (a name was the twelfth), on each of the 37,000 expressions
        # of 10,000 steps.
        return _COMPILE[type(expr)](self, expr, span_of(expr.span))

    def _number(self, expr: ast.NumberLit, span: ir.Span) -> ir.Expr:
        # As exact decimal text: a JSON float would round long numbers.
        return ir.unvalidated(ir.Literal_)(value=str(expr.value), type="number", span=span)

    def _money(self, expr: ast.MoneyLit, span: ir.Span) -> ir.Expr:
        return ir.unvalidated(ir.Literal_)(
            value=to_json(Money(expr.amount, expr.currency)), type="money", span=span
        )

    def _percent(self, expr: ast.PercentLit, span: ir.Span) -> ir.Expr:
        return ir.unvalidated(ir.Literal_)(value=str(expr.value), type="percent", span=span)

    def _duration(self, expr: ast.DurationLit, span: ir.Span) -> ir.Expr:
        return ir.unvalidated(ir.Literal_)(
            value=duration(expr.duration).model_dump(mode="json"), type="duration", span=span
        )

    def _date(self, expr: ast.DateLit, span: ir.Span) -> ir.Expr:
        return ir.unvalidated(ir.Literal_)(value=expr.value.isoformat(), type="date", span=span)

    def _datetime(self, expr: ast.DateTimeLit, span: ir.Span) -> ir.Expr:
        moment = expr.value.replace(tzinfo=zoneinfo.ZoneInfo(self.time_zone))
        utc = moment.astimezone(dt.UTC).isoformat()
        return ir.unvalidated(ir.Literal_)(value=utc, type="datetime", span=span)

    def _bool(self, expr: ast.BoolLit, span: ir.Span) -> ir.Expr:
        return ir.unvalidated(ir.Literal_)(value=expr.value, span=span)

    def _text(self, expr: ast.TextLit, span: ir.Span) -> ir.Expr:
        if expr.is_plain:
            return ir.unvalidated(ir.Literal_)(value=expr.plain, span=span)
        return ir.unvalidated(ir.Text)(
            parts=tuple(p if isinstance(p, str) else self.expr(p) for p in expr.parts),
            span=span,
        )

    def _list(self, expr: ast.ListLit, span: ir.Span) -> ir.Expr:
        return ir.unvalidated(ir.ListExpr)(items=tuple(self.expr(i) for i in expr.items), span=span)

    def _record(self, expr: ast.RecordLit, span: ir.Span) -> ir.Expr:
        return ir.unvalidated(ir.Record)(
            fields={n: self.expr(v) for n, v in expr.fields}, span=span
        )

    def _name(self, expr: ast.Name, span: ir.Span) -> ir.Expr:
        return ir.unvalidated(ir.Ref)(name=expr.id, span=span)

    def _attribute(self, expr: ast.Attribute, span: ir.Span) -> ir.Expr:
        obj, name = expr.obj, expr.name
        if isinstance(obj, ast.Name) and obj.id in self.typed_fields:
            declared = self.typed_fields[obj.id].get(name)
            return ir.unvalidated(ir.Attr)(obj=self.expr(obj), name=name, span=span, type=declared)
        return ir.unvalidated(ir.Attr)(obj=self.expr(obj), name=name, span=span)

    def _index(self, expr: ast.Index, span: ir.Span) -> ir.Expr:
        return ir.unvalidated(ir.Index)(
            obj=self.expr(expr.obj), index=self.expr(expr.index), span=span
        )

    def _call(self, expr: ast.Call, span: ir.Span) -> ir.Expr:
        return ir.unvalidated(ir.Call)(
            func=expr.func, args=tuple(self.expr(a) for a in expr.args), span=span
        )

    def _unary(self, expr: ast.Unary, span: ir.Span) -> ir.Expr:
        op: ast.UnaryOp = "-" if expr.op == "-" else "not"
        return ir.unvalidated(ir.Unary)(op=op, operand=self.expr(expr.operand), span=span)

    def _binary(self, expr: ast.Binary, span: ir.Span) -> ir.Expr:
        return ir.unvalidated(ir.Binary)(
            op=expr.op, left=self.expr(expr.left), right=self.expr(expr.right), span=span
        )


_COMPILE: dict[type, Callable[[ExprCompiler, Any, ir.Span], ir.Expr]] = {
    ast.NumberLit: ExprCompiler._number,
    ast.MoneyLit: ExprCompiler._money,
    ast.PercentLit: ExprCompiler._percent,
    ast.DurationLit: ExprCompiler._duration,
    ast.DateLit: ExprCompiler._date,
    ast.DateTimeLit: ExprCompiler._datetime,
    ast.BoolLit: ExprCompiler._bool,
    ast.TextLit: ExprCompiler._text,
    ast.ListLit: ExprCompiler._list,
    ast.RecordLit: ExprCompiler._record,
    ast.Name: ExprCompiler._name,
    ast.Attribute: ExprCompiler._attribute,
    ast.Index: ExprCompiler._index,
    ast.Call: ExprCompiler._call,
    ast.Unary: ExprCompiler._unary,
    ast.Binary: ExprCompiler._binary,
}
"""How each kind of expression (every class of :data:`dsl.ast.Expr`) is compiled."""
# What the match statement's assert_never made mypy prove: no kind is left out.
assert set(_COMPILE) == set(get_args(ast.Expr)), "an expression the compiler does not know"
