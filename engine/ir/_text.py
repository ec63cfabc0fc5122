"""An expression of the IR written back as a designer writes it: ``draft.assignee``,
``tier == "paid"``, ``budget >= 10000 EUR and vip``.

Used where a person reads which rule applied (a separation-of-duties refusal) or
which branch a campaign took (the report's path): the IR keeps no source text,
only spans, and the campaign's copy of the IR is what it ran.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any, assert_never

from engine.ir._expr import (
    Attr,
    Binary,
    Call,
    Expr,
    Index,
    ListExpr,
    Literal_,
    Record,
    Ref,
    Text,
    Unary,
)

__all__ = ["expr_text"]

# Lowest first: a part that binds less tightly than where it stands gets parentheses.
_BINDING = {
    "or": 1,
    "and": 2,
    "==": 4,
    "!=": 4,
    "<": 4,
    "<=": 4,
    ">": 4,
    ">=": 4,
    "in": 4,
    "not in": 4,
    "+": 5,
    "-": 5,
    "*": 6,
    "/": 6,
}
_NOT, _NEGATE, _ATOM = 3, 7, 8


def expr_text(expr: Expr) -> str:
    """``expr`` as it would be written in a ``.mops`` file."""
    return _text(expr)


def _binding(expr: Expr) -> int:
    if isinstance(expr, Binary):
        return _BINDING[expr.op]
    if isinstance(expr, Unary):
        return _NOT if expr.op == "not" else _NEGATE
    return _ATOM


def _part(expr: Expr, at_least: int) -> str:
    shown = _text(expr)
    return f"({shown})" if _binding(expr) < at_least else shown


def _text(expr: Expr) -> str:
    match expr:
        case Literal_():
            return _literal(expr.value, expr.type)
        case Ref():
            return expr.name
        case Attr():
            return f"{_part(expr.obj, _ATOM)}.{expr.name}"
        case Index():
            return f"{_part(expr.obj, _ATOM)}[{_text(expr.index)}]"
        case Call():
            return f"{expr.func}({', '.join(_text(a) for a in expr.args)})"
        case Unary():
            if expr.op == "not":
                return f"not {_part(expr.operand, _NOT)}"
            return f"-{_part(expr.operand, _NEGATE)}"
        case Binary():
            binding = _BINDING[expr.op]
            # Left-associative: an equal binding on the right needs parentheses.
            left, right = _part(expr.left, binding), _part(expr.right, binding + 1)
            return f"{left} {expr.op} {right}"
        case ListExpr():
            return "[" + ", ".join(_text(item) for item in expr.items) + "]"
        case Record():
            return "{" + ", ".join(f"{k}: {_text(v)}" for k, v in expr.fields.items()) + "}"
        case Text():
            inner = "".join(
                part.replace('"', '\\"') if isinstance(part, str) else "{" + _text(part) + "}"
                for part in expr.parts
            )
            return f'"{inner}"'
        case _:
            assert_never(expr)


def _literal(value: Any, kind: str | None) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if kind == "money" and isinstance(value, dict):
        return f"{value.get('amount')} {value.get('currency')}"
    if kind == "percent":
        return f"{value}%"
    if kind == "duration" and isinstance(value, dict):
        count, unit = _count(value.get("amount")), str(value.get("unit", ""))
        words = unit.replace("business_", "business ")
        return f"{count} {words[:-1] if count == '1' else words}"
    if kind in ("number", "date", "datetime"):
        return str(value)
    if isinstance(value, str):
        return '"' + value.replace('"', '\\"') + '"'
    if value is None:
        return "nothing"
    return str(value)


def _count(amount: Any) -> str:
    try:
        exact = Decimal(str(amount))
    except InvalidOperation:
        return str(amount)
    return str(int(exact)) if exact == exact.to_integral_value() else f"{exact.normalize():f}"
