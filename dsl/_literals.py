"""The type each kind of literal value has, wherever it is written.

Shared by the expression checker (literals in a process) and the scenario
checker (values given in a scenario), so a ``2500 EUR`` is money in both.
"""

from __future__ import annotations

from dsl import _ast as ast
from dsl._types import BOOL, DATE, DATETIME, DURATION, MONEY, NUMBER, PERCENT, Type

# Literals whose type does not depend on what they hold (texts, lists and
# records do: each checker looks inside them its own way).
_SCALAR_TYPES: dict[type, Type] = {
    ast.NumberLit: NUMBER,
    ast.MoneyLit: MONEY,
    ast.PercentLit: PERCENT,
    ast.DurationLit: DURATION,
    ast.DateLit: DATE,
    ast.DateTimeLit: DATETIME,
    ast.BoolLit: BOOL,
}


def scalar_literal_type(expr: ast.Expr) -> Type | None:
    """The type of a number, money, percent, duration, date, date-time or true/false
    literal; None for any other expression."""
    return _SCALAR_TYPES.get(type(expr))
