"""The expression evaluator, exercised through processes compiled from their text."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from support import compile_text

import dsl
from engine import ir
from engine.client import resolve_inputs
from engine.ir import ProcessIR
from engine.workflow import evaluate as evaluator
from engine.workflow.campaign import SECRET_MARKER
from engine.workflow.evaluate import EvaluationError, evaluate
from engine.workflow.time_values import TimeProblem, as_duration
from engine.workflow.values import Money, from_json


def compiled(expression: str, inputs: str) -> ProcessIR:
    return compile_text(f"process calc\n{inputs}  output result = {expression}\n", name="calc.mops")


NOW = dt.datetime(2026, 3, 31, 22, 30, tzinfo=dt.UTC)
"""The campaign's current time in these tests (already 1 April in Berlin)."""


def value_of(expression: str, inputs: str = "", **given: str) -> Any:
    """The value of ``output result = <expression>`` with the inputs given as on a command
    line, evaluated at :data:`NOW`."""
    process = compiled(expression, inputs)
    resolved = resolve_inputs(process, texts=given)
    env = {decl.name: from_json(resolved[decl.name], decl.type) for decl in process.inputs}
    return evaluate(process.outputs[0].value, env, process.calendar, now=NOW)


def failure(expression: str, inputs: str = "", **given: str) -> tuple[str, str]:
    """The message of the evaluation error and the ``file:line:col`` it names."""
    process = compiled(expression, inputs)
    resolved = resolve_inputs(process, texts=given)
    env = {decl.name: from_json(resolved[decl.name], decl.type) for decl in process.inputs}
    with pytest.raises(EvaluationError) as raised:
        evaluate(process.outputs[0].value, env, now=NOW)
    return raised.value.message, process.location(raised.value.span)


MONEY_AB = "  input a: money\n  input b: money\n"


def test_the_evaluator_implements_exactly_the_functions_the_checker_knows() -> None:
    assert set(evaluator.FUNCTIONS) == set(dsl.FUNCTIONS)


def test_arithmetic_is_exact() -> None:
    assert value_of("0.1 + 0.2") == Decimal("0.3")
    assert value_of("0.1 + 0.2 == 0.3") is True
    assert value_of("2 * 3 - 10 / 4") == Decimal("3.5")
    assert value_of("-(2 - 5)") == Decimal("3")
    assert value_of("19.99 * 3") == Decimal("59.97")


def test_money_arithmetic_keeps_the_currency() -> None:
    assert value_of("19.99 EUR * 3") == Money(Decimal("59.97"), "EUR")
    assert value_of("3 * 19.99 EUR") == Money(Decimal("59.97"), "EUR")
    assert value_of("5 EUR + 2.50 EUR - 1 EUR") == Money(Decimal("6.50"), "EUR")
    assert value_of("10 EUR / 4") == Money(Decimal("2.5"), "EUR")
    assert value_of("10 EUR / 4 EUR") == Decimal("2.5")
    assert value_of("-(2 EUR)") == Money(Decimal("-2"), "EUR")


def test_money_in_different_currencies_does_not_combine() -> None:
    assert failure("a + b", MONEY_AB, a="5 EUR", b="2 USD") == (
        "cannot combine 5.00 EUR and 2.00 USD: the currencies differ",
        "calc.mops:4:19",
    )
    assert failure("a < b", MONEY_AB, a="5 EUR", b="2 USD") == (
        "cannot compare 5.00 EUR with 2.00 USD: the currencies differ",
        "calc.mops:4:19",
    )
    assert failure("max(a, b)", MONEY_AB, a="5 EUR", b="2 USD") == (
        "max(...) failed: cannot compare 5.00 EUR with 2.00 USD: the currencies differ",
        "calc.mops:4:19",
    )
    assert value_of("a == b", MONEY_AB, a="5 EUR", b="5 USD") is False


def test_comparisons() -> None:
    assert value_of("5 EUR > 2 EUR") is True
    assert value_of("2 <= 2 and 3 != 4") is True
    assert value_of('"apple" < "banana"') is True
    dates = "  input launch: date\n  input review: date\n"
    assert value_of("launch < review", dates, launch="2026-12-01", review="2026-12-15") is True


def test_membership_in_lists_and_texts() -> None:
    assert value_of('"paid" in ["free", "paid"]') is True
    assert value_of('"gold" not in ["free", "paid"]') is True
    assert value_of('"ell" in "hello"') is True
    assert (
        value_of('tier in ["paid"]', '  input tier: one of "free", "paid"\n', tier="free") is False
    )


def test_and_or_stop_as_soon_as_the_answer_is_known() -> None:
    assert value_of("true or 1 / 0 > 1") is True
    assert value_of("false and 1 / 0 > 1") is False


def test_interpolation_shows_values_as_a_designer_writes_them() -> None:
    assert (
        value_of('"{1.50} | {1000000} | {0.1 + 0.2} | {0.0000001}"')
        == "1.5 | 1000000 | 0.3 | 0.0000001"
    )
    assert value_of('"{5000 EUR} and {-5 EUR}"') == "5,000.00 EUR and -5.00 EUR"
    assert value_of('"{[1, 2.5, 3]} / {["a", "b"]} / {true}"') == "1, 2.5, 3 / a, b / true"
    assert value_of('"{{literal}} {len("abc")}"') == "{literal} 3"
    assert value_of('"{r}"', "  input r: record\n", r='{"name": "Zoë"}') == '{"name": "Zoë"}'


FUNCTION_CASES: dict[str, list[tuple[str, Any]]] = {
    "len": [('len("héllo")', Decimal(5)), ('len(["a", "b"])', Decimal(2))],
    "lower": [('lower("Spring LAUNCH")', "spring launch")],
    "upper": [('upper("emea")', "EMEA")],
    "trim": [('trim("  hello  ")', "hello")],
    "round": [
        ("round(2.675, 2)", Decimal("2.68")),
        ("round(2.5)", Decimal("2")),
        ("round(3.5)", Decimal("4")),
        ("round(12.345 EUR, 1)", Money(Decimal("12.3"), "EUR")),
    ],
    "min": [("min(3, 1, 2)", Decimal(1)), ("min(5 EUR, 2 EUR)", Money(Decimal(2), "EUR"))],
    "max": [("max(3, 1, 2)", Decimal(3)), ("max(5 EUR, 2 EUR)", Money(Decimal(5), "EUR"))],
    "join": [('join(["linkedin", "newsletter"], " and ")', "linkedin and newsletter")],
    "contains": [('contains("spring launch", "launch")', True), ('contains("a", "b")', False)],
    "text": [("text(5 EUR)", "5.00 EUR"), ("text(0.1 + 0.2)", "0.3"), ("text(true)", "true")],
    # Only the reference, never the value (an output may not be a secret itself).
    "secret": [('{token: secret("cms_token")}', {"token": {SECRET_MARKER: "cms_token"}})],
    # The campaign's clock (NOW), never the machine's; no calendar: UTC.
    "today": [("today()", dt.date(2026, 3, 31)), ("today() + 1 day", dt.date(2026, 4, 1))],
    "now": [("now()", NOW), ("now() - 30 minutes", dt.datetime(2026, 3, 31, 22, tzinfo=dt.UTC))],
    "add_months": [
        ("add_months(2026-01-31, 1)", dt.date(2026, 2, 28)),
        ("add_months(2028-01-31, 1)", dt.date(2028, 2, 29)),
        ("add_months(2026-03-31, -1)", dt.date(2026, 2, 28)),
        ("add_months(2026-11-15, 3)", dt.date(2027, 2, 15)),
        ("add_months(2026-01-15, -13)", dt.date(2024, 12, 15)),
        ("add_months(today(), 12)", dt.date(2027, 3, 31)),
    ],
    "months_between": [
        ("months_between(2026-01-31, 2026-02-28)", Decimal(1)),
        ("months_between(2026-01-15, 2026-02-14)", Decimal(0)),
        ("months_between(2026-03-15, 2025-12-15)", Decimal(-3)),
        ("months_between(2026-01-01, today())", Decimal(2)),
    ],
}


def test_every_function_has_a_case_here() -> None:
    assert set(FUNCTION_CASES) == set(dsl.FUNCTIONS)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [case for cases in FUNCTION_CASES.values() for case in cases],
)
def test_each_function(expression: str, expected: Any) -> None:
    assert value_of(expression) == expected


def function_table() -> list[list[str]]:
    """The rows of the function table in docs/language.md, cell by cell."""
    text = (Path(__file__).parent.parent / "docs" / "language.md").read_text(encoding="utf-8")
    table = text.split("## Functions", 1)[1].split("\n\n")[1]
    return [[c.strip() for c in row.strip("|").split(" | ")] for row in table.splitlines()[2:]]


def test_the_docs_list_every_function() -> None:
    named = {re.match(r"`(\w+)\(", row[0]).group(1) for row in function_table()}  # type: ignore[union-attr]
    assert named == set(dsl.FUNCTIONS)


def test_the_docs_examples_give_the_results_they_show() -> None:
    shown = [(row[2], row[3]) for row in function_table() if re.fullmatch(r"`[^`]+`", row[3])]
    assert len(shown) >= 8
    for example, result in shown:
        assert value_of(example.strip("`")) == value_of(result.strip("`")), example


BERLIN = """\
calendar berlin
  time zone "Europe/Berlin"

process calc
  calendar berlin
  input at: datetime = 2026-01-31 09:30
  output result = {}
"""


def berlin(expression: str) -> Any:
    process = compile_text(BERLIN.format(expression), name="calc.mops")
    env = {"at": from_json(resolve_inputs(process)["at"], process.inputs[0].type)}
    return evaluate(process.outputs[0].value, env, process.calendar, now=NOW)


def test_today_is_the_date_in_the_calendars_time_zone() -> None:
    assert berlin("today()") == dt.date(2026, 4, 1)


def test_months_keep_the_wall_clock_time_across_a_change_of_summer_time() -> None:
    # 09:30 in Berlin is 08:30 UTC in winter and 07:30 UTC in summer.
    assert berlin("add_months(at, 1)") == dt.datetime(2026, 2, 28, 8, 30, tzinfo=dt.UTC)
    assert berlin("add_months(at, 3)") == dt.datetime(2026, 4, 30, 7, 30, tzinfo=dt.UTC)
    assert berlin("months_between(at, add_months(at, 3))") == Decimal(3)
    assert berlin("months_between(at, add_months(at, 3) - 1 minute)") == Decimal(2)


def test_the_clock_is_only_read_from_the_campaign() -> None:
    process = compiled("today()", "")
    with pytest.raises(EvaluationError) as raised:
        evaluate(process.outputs[0].value, {})
    assert raised.value.message == (
        "today(...) failed: there is no current date here (only a running campaign has one)"
    )


def test_months_must_be_whole() -> None:
    assert failure("add_months(2026-01-31, 1.5)")[0] == (
        "add_months(...) failed: the number of months must be a whole number, not 1.5"
    )


def test_a_default_that_reads_the_clock_is_left_to_the_campaign() -> None:
    process = compiled("due", "  input due: date = add_months(today(), 1)\n  input n: number = 2\n")
    assert resolve_inputs(process) == {"n": 2}


def test_errors_name_the_expression_at_fault() -> None:
    numbers = "  input n: number\n  input tags: list of text\n"
    assert failure("1 + 10 / (n - n)", numbers, n="3", tags="a,b") == (
        "division by zero",
        "calc.mops:4:23",
    )
    assert failure("tags[5]", numbers, n="3", tags="a,b") == (
        "position 5 is outside a list of 2",
        "calc.mops:4:19",
    )
    assert failure('"share: {100 / (n - n)}"', numbers, n="3", tags="a,b") == (
        "division by zero",
        "calc.mops:4:28",
    )


def test_values_of_no_declared_type_fail_at_run_time_with_their_span() -> None:
    anything = "  input x: any\n"
    assert failure("x.name", anything, x="5") == ("the value has no field 'name'", "calc.mops:3:19")
    assert failure("x + 1", anything, x='"a"') == (
        "'+' does not work on 'a' and '1'",
        "calc.mops:3:19",
    )
    assert failure("x and true", anything, x="5") == (
        "expected true or false, got '5'",
        "calc.mops:3:19",
    )


def test_business_time_scales_both_ways() -> None:
    assert value_of("2 business days / 4") == ir.Duration(
        amount=Decimal("0.5"), unit="business_days"
    )
    assert value_of("3 * 2 business hours") == ir.Duration(amount=Decimal(6), unit="business_hours")
    assert failure("1 business day / 0")[0] == "division by zero"


def test_a_worked_out_duration_is_taken_as_a_step_takes_it() -> None:
    # Whole days stay calendar days (wall-clock days across a change of summer time).
    assert as_duration(dt.timedelta(days=2)) == ir.Duration(amount=Decimal(2), unit="days")
    assert as_duration(dt.timedelta(hours=36)) == ir.Duration(
        amount=Decimal(129600), unit="seconds"
    )
    with pytest.raises(TimeProblem, match="cannot be negative"):
        as_duration(dt.timedelta(hours=-1))
    with pytest.raises(TimeProblem, match="expected a duration, not a date"):
        as_duration(dt.date(2026, 1, 1))
