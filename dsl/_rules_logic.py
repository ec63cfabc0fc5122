"""Conditions of decision rows as a small logic over comparisons with literals.

A condition is analysable when it compares, with literals, something whose
values the checker knows: an input (any value of its type), or the result of
an earlier ``decide`` whose rows all give literals (exactly those values: its
*outcomes*). Rows joined by ``and``, ``or`` and ``not`` stay analysable.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from dsl import _ast as ast
from dsl._types import BOOL, MONEY, NUMBER, PERCENT, TEXT, OneOf, Scalar, Type

_TEXT_LIKE = {"text", "email", "url"}
FLIP: dict[str, ast.BinaryOp] = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}
COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}

Cond = tuple[Any, ...]
"""("const", bool) | ("cmp", key, op, value, unit) | ("not", c) | ("and" | "or", a, b).

``key`` is an input's name, a decision's name, or ``decision.field`` for a
named result.
"""

Literal = tuple[object, str | None]
"""A literal's value and its unit (None: the type has no order)."""


@dataclass(frozen=True)
class Outcomes:
    """What an earlier decision can give: one record per row, ``None`` keying a single result."""

    name: str
    line: int
    types: Mapping[str | None, Type]
    rows: tuple[Mapping[str | None, Literal], ...]

    def show(self, row: Mapping[str | None, Literal]) -> str:
        def one(literal: Literal) -> str:
            value, unit = literal
            if isinstance(value, bool):
                return "true" if value else "false"
            if isinstance(value, str):
                return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
            return f"{value}{unit or ''}"

        if set(row) == {None}:
            return one(row[None])
        return ", ".join(f"{field} = {one(value)}" for field, value in row.items())


def outcomes_of(step: ast.Decide) -> Outcomes | None:
    """The values a decision can give, if every row gives literals (None otherwise)."""
    if step.hit_policy == "collect" or not step.rules:
        return None
    types: dict[str | None, Type] = {}
    rows: list[dict[str | None, Literal]] = []
    for rule in step.rules:
        row: dict[str | None, Literal] = {}
        for field, expr in rule.outputs:
            kind = _literal_kind(expr)
            if kind is None or types.setdefault(field, kind) != kind:
                return None
            literal = literal_of(expr, kind)
            if literal is None:
                return None
            row[field] = literal
        if row not in rows:
            rows.append(row)
    if any(row.keys() != types.keys() for row in rows):
        return None  # rows that give different results (T002): not one set of values
    units = {field: {row[field][1] for row in rows if field in row} for field in types}
    if any(len(found) > 1 for found in units.values()):
        return None  # amounts in several currencies: not one axis
    return Outcomes(step.name, step.span.line, types, tuple(rows))


def _literal_kind(expr: ast.Expr) -> Type | None:
    if isinstance(expr, ast.Unary) and expr.op == "-":
        expr = expr.operand
    match expr:
        case ast.TextLit() if expr.is_plain:
            return TEXT
        case ast.NumberLit():
            return NUMBER
        case ast.MoneyLit():
            return MONEY
        case ast.PercentLit():
            return PERCENT
        case ast.BoolLit():
            return BOOL
    return None


def condition(
    expr: ast.Expr, types: Mapping[str, Type], outcomes: Mapping[str, Outcomes]
) -> Cond | None:
    """The condition as logic over ``key op literal``, or None if it cannot be analysed."""
    match expr:
        case ast.BoolLit(value=value):
            return ("const", value)
        case ast.Name() | ast.Attribute() if _kind(expr, types, outcomes) == BOOL:
            return ("cmp", _key(expr), "==", True, None)
        case ast.Unary(op="not", operand=operand):
            inner = condition(operand, types, outcomes)
            return None if inner is None else ("not", inner)
        case ast.Binary(op="and" | "or" as op, left=left, right=right):
            a, b = condition(left, types, outcomes), condition(right, types, outcomes)
            return None if a is None or b is None else (op, a, b)
        case ast.Binary(op="in" | "not in" as op, left=left, right=ast.ListLit(items=items)):
            kind = _kind(left, types, outcomes)
            values = [literal_of(item, kind) for item in items]
            if not values or kind is None or None in values:
                return None
            any_of: Cond = ("const", False)
            for literal in values:
                any_of = ("or", any_of, ("cmp", _key(left), "==", *literal))  # type: ignore[misc]
            return any_of if op == "in" else ("not", any_of)
        case ast.Binary(op=op, left=left, right=right) if op in FLIP:
            if _kind(right, types, outcomes) is not None and _kind(left, types, outcomes) is None:
                left, right, op = right, left, FLIP[op]
            kind = _kind(left, types, outcomes)
            literal = literal_of(right, kind) if kind is not None else None
            if literal is None or (op not in ("==", "!=") and literal[1] is None):
                return None
            return ("cmp", _key(left), op, *literal)
    return None


def _key(expr: ast.Expr) -> str:
    if isinstance(expr, ast.Attribute) and isinstance(expr.obj, ast.Name):
        return f"{expr.obj.id}.{expr.name}"
    assert isinstance(expr, ast.Name)
    return expr.id


def _kind(
    expr: ast.Expr, types: Mapping[str, Type], outcomes: Mapping[str, Outcomes]
) -> Type | None:
    """The type of what ``expr`` names, if its values are known (an input or an outcome)."""
    if isinstance(expr, ast.Name):
        if expr.id in types:
            return types[expr.id]
        found = outcomes.get(expr.id)
        return None if found is None else found.types.get(None)
    if isinstance(expr, ast.Attribute) and isinstance(expr.obj, ast.Name):
        found = outcomes.get(expr.obj.id)
        return None if found is None else found.types.get(expr.name)
    return None


def literal_of(expr: ast.Expr, kind: Type | None) -> Literal | None:
    """A literal of the type ``kind``, and its unit (None: the type has no order)."""
    sign = _PLUS
    if isinstance(expr, ast.Unary) and expr.op == "-":
        sign, expr = _MINUS, expr.operand
    match kind, expr:
        case Scalar("number"), ast.NumberLit(value=value):
            return sign * value, ""
        case Scalar("percent"), ast.PercentLit(value=value):
            return sign * value, "%"
        case Scalar("money"), ast.MoneyLit(amount=amount, currency=currency):
            return sign * amount, " " + currency
        case Scalar("bool"), ast.BoolLit(value=value) if sign > 0:
            return value, None
        case (OneOf() | Scalar(), ast.TextLit()) if sign > 0 and expr.is_plain:
            if isinstance(kind, OneOf) or str(kind) in _TEXT_LIKE:
                return expr.plain, None
    return None


_PLUS, _MINUS = Decimal(1), Decimal(-1)


def atoms(cond: Cond) -> Iterator[Cond]:
    """The comparisons a condition is made of."""
    if cond[0] == "cmp":
        yield cond
    elif cond[0] != "const":
        for part in cond[1:]:
            yield from atoms(part)
