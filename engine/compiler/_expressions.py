"""AST -> IR for expressions, types, durations and spans."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import assert_never

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
        span = span_of(expr.span)
        match expr:
            case ast.NumberLit(value=value):
                # As exact decimal text: a JSON float would round long numbers.
                return ir.unvalidated(ir.Literal_)(value=str(value), type="number", span=span)
            case ast.MoneyLit(amount=amount, currency=currency):
                return ir.unvalidated(ir.Literal_)(
                    value=to_json(Money(amount, currency)), type="money", span=span
                )
            case ast.PercentLit(value=value):
                return ir.unvalidated(ir.Literal_)(value=str(value), type="percent", span=span)
            case ast.DurationLit(duration=written):
                return ir.unvalidated(ir.Literal_)(
                    value=duration(written).model_dump(mode="json"),
                    type="duration",
                    span=span,
                )
            case ast.DateLit(value=day):
                return ir.unvalidated(ir.Literal_)(value=day.isoformat(), type="date", span=span)
            case ast.DateTimeLit(value=wall):
                moment = wall.replace(tzinfo=zoneinfo.ZoneInfo(self.time_zone))
                utc = moment.astimezone(dt.UTC).isoformat()
                return ir.unvalidated(ir.Literal_)(value=utc, type="datetime", span=span)
            case ast.BoolLit(value=value):
                return ir.unvalidated(ir.Literal_)(value=value, span=span)
            case ast.TextLit(parts=parts):
                if expr.is_plain:
                    return ir.unvalidated(ir.Literal_)(value=expr.plain, span=span)
                return ir.unvalidated(ir.Text)(
                    parts=tuple(p if isinstance(p, str) else self.expr(p) for p in parts),
                    span=span,
                )
            case ast.ListLit(items=items):
                return ir.unvalidated(ir.ListExpr)(
                    items=tuple(self.expr(i) for i in items), span=span
                )
            case ast.RecordLit(fields=fields):
                return ir.unvalidated(ir.Record)(
                    fields={n: self.expr(v) for n, v in fields}, span=span
                )
            case ast.Name(id=name):
                return ir.unvalidated(ir.Ref)(name=name, span=span)
            case ast.Attribute(obj=ast.Name(id=step), name=name) if step in self.typed_fields:
                declared = self.typed_fields[step].get(name)
                return ir.unvalidated(ir.Attr)(
                    obj=self.expr(expr.obj), name=name, span=span, type=declared
                )
            case ast.Attribute(obj=obj, name=name):
                return ir.unvalidated(ir.Attr)(obj=self.expr(obj), name=name, span=span)
            case ast.Index(obj=obj, index=index):
                return ir.unvalidated(ir.Index)(
                    obj=self.expr(obj), index=self.expr(index), span=span
                )
            case ast.Call(func=func, args=args):
                return ir.unvalidated(ir.Call)(
                    func=func, args=tuple(self.expr(a) for a in args), span=span
                )
            case ast.Unary(op="-", operand=operand):
                return ir.unvalidated(ir.Unary)(op="-", operand=self.expr(operand), span=span)
            case ast.Unary(operand=operand):
                return ir.unvalidated(ir.Unary)(op="not", operand=self.expr(operand), span=span)
            case ast.Binary(op=op, left=left, right=right):
                return ir.unvalidated(ir.Binary)(
                    op=op, left=self.expr(left), right=self.expr(right), span=span
                )
            case _:
                assert_never(expr)
