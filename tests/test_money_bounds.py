"""Money is exact and in a real currency (issue 16): ``5000 XYZ`` and amounts of more
than 28 significant digits were accepted and silently rounded (cents lost)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from dsl import Catalogue, SourceFile, check_source
from engine import ir
from engine.ir import ScalarType
from engine.workflow.evaluate import EvaluationError, evaluate
from engine.workflow.values import Money, ValueProblem, check_json, parse_text

MONEY, NUMBER = ScalarType(name="money"), ScalarType(name="number")


def test_the_checker_refuses_a_made_up_currency() -> None:
    text = 'process p "P"\n  input b: money = 5000 XYZ\n  output o = b\n'
    checked = check_source(SourceFile.from_text(text, "a.mops"), Catalogue([]))
    assert [(d.code, d.message) for d in checked.diagnostics] == [
        ("T002", "'XYZ' is not a currency: amounts are in ISO 4217 currencies")
    ]


@pytest.mark.parametrize(
    ("read", "reason"),
    [
        (lambda: parse_text("5000 XYZ", MONEY), "'XYZ' is not an ISO 4217 currency code"),
        (
            lambda: check_json({"amount": "5", "currency": "XYZ"}, MONEY),
            "'XYZ' is not an ISO 4217 currency code",
        ),
        (
            lambda: parse_text("12345678901234567890123456789.01 EUR", MONEY),
            "has more than 28 significant digits",
        ),
        (
            lambda: parse_text("1234567890.12345678901234567891", NUMBER),
            "has more than 28 significant digits",
        ),
    ],
)
def test_a_value_that_cannot_be_held_exactly_is_refused_at_the_door(
    read: object, reason: str
) -> None:
    with pytest.raises(ValueProblem, match=reason):
        read()  # type: ignore[operator]


def test_a_sum_that_would_need_rounding_fails_instead_of_losing_cents() -> None:
    env = {
        "big": Money(Decimal("1234567890123456789012345678"), "EUR"),
        "cent": Money(Decimal("0.01"), "EUR"),
    }
    span = ir.Span(line=3, col=11, end_line=3, end_col=21)
    total = ir.Binary(
        op="+", left=ir.Ref(name="big", span=span), right=ir.Ref(name="cent", span=span), span=span
    )
    with pytest.raises(EvaluationError, match="more than 28 significant digits"):
        evaluate(total, env)
    # Unbounded (campaigns recorded before the limits) it rounds, as it always did.
    assert evaluate(total, env, bounded=False) == env["big"]
