"""Values typed on a command line, given by a script, and checked before a campaign starts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from support import compile_text

from dsl import parse_type
from engine.client import parse_assignments, resolve_inputs
from engine.compiler import to_ir_type
from engine.errors import UserError
from engine.ir import TypeRef
from engine.workflow.values import (
    Money,
    ValueProblem,
    check_json,
    display,
    from_json,
    parse_text,
    to_json,
)


def typed(text: str) -> TypeRef:
    """A type as a designer writes it, in its IR form."""
    return to_ir_type(parse_type(text))


@pytest.mark.parametrize(
    ("type_text", "given", "expected"),
    [
        ("text", "  Spring launch ", "  Spring launch "),
        ("number", "12.50", 12.5),
        ("number", " 7 ", 7),
        ("number", "1e3", 1000),
        ("bool", "Yes", True),
        ("bool", "on", True),
        ("bool", "1", True),
        ("bool", "n", False),
        ("bool", "OFF", False),
        ("money", "5000 EUR", {"amount": "5000", "currency": "EUR"}),
        ("money", "EUR 5000", {"amount": "5000", "currency": "EUR"}),
        ("money", "12.50 USD", {"amount": "12.50", "currency": "USD"}),
        ("money", "-3 GBP", {"amount": "-3", "currency": "GBP"}),
        ("date", "2026-11-22", "2026-11-22"),
        ("datetime", "2026-11-22T09:30:00+01:00", "2026-11-22T09:30:00+01:00"),
        ("datetime", "2026-11-22T09:30:00Z", "2026-11-22T09:30:00+00:00"),
        ("duration", "90", 90.0),
        ("email", "ana@example.com", "ana@example.com"),
        ("url", "https://example.com/spring?utm=x", "https://example.com/spring?utm=x"),
        ("list of text", '["linkedin", "newsletter"]', ["linkedin", "newsletter"]),
        ("list of text", "linkedin, newsletter ,x", ["linkedin", "newsletter", "x"]),
        ("list of text", "", []),
        ("list of number", "1, 2.5", [1, 2.5]),
        (
            "list of money",
            "5 EUR, EUR 7",
            [{"amount": "5", "currency": "EUR"}, {"amount": "7", "currency": "EUR"}],
        ),
        ('one of "free", "paid"', "paid", "paid"),
        ("record", '{"name": "Ana", "score": 3}', {"name": "Ana", "score": 3}),
        ("any", '{"a": [1, true]}', {"a": [1, True]}),
        ("any", "not json", "not json"),
    ],
)
def test_a_value_typed_on_the_command_line(type_text: str, given: str, expected: Any) -> None:
    assert parse_text(given, typed(type_text)) == expected


@pytest.mark.parametrize(
    ("type_text", "given", "message"),
    [
        ("number", "lots", "'lots' is not a number"),
        ("number", "1,000", "'1,000' is not a number"),
        ("number", "NaN", "'NaN' is not a finite number"),
        ("bool", "maybe", "'maybe' is not true or false"),
        ("money", "5000", "'5000' is not an amount with a currency, such as '5000 EUR'"),
        ("money", "5000 eur", "'5000 eur' is not an amount with a currency, such as '5000 EUR'"),
        ("date", "22/11/2026", '"22/11/2026" is not a date (YYYY-MM-DD)'),
        (
            "datetime",
            "2026-11-22T09:30:00",
            '"2026-11-22T09:30:00" has no time zone offset, e.g. +01:00 or Z',
        ),
        ("datetime", "tomorrow", '"tomorrow" is not a date and time (ISO 8601)'),
        ("email", "ana.example.com", "'ana.example.com' is not an e-mail address"),
        (
            "url",
            "ftp://example.com",
            "'ftp://example.com' is not a web address (http:// or https://)",
        ),
        ("list of number", "1, two", "'two' is not a number"),
        ("list of number", "[1,", "'[1,' is not a JSON list: Expecting value"),
        ('one of "free", "paid"', "gold", '"gold" is not one of: free, paid'),
        ("record", "[1, 2]", "[1, 2] is not a record"),
        ("record", "name=Ana", "'name=Ana' is not a JSON object"),
    ],
)
def test_a_wrong_value_says_what_was_expected(type_text: str, given: str, message: str) -> None:
    with pytest.raises(ValueProblem) as raised:
        parse_text(given, typed(type_text))
    assert str(raised.value) == message


def test_json_from_a_script_is_checked_and_made_canonical() -> None:
    assert check_json({"amount": 5, "currency": "EUR"}, typed("money")) == {
        "amount": "5",
        "currency": "EUR",
    }
    assert check_json("EUR 5", typed("money")) == {"amount": "5", "currency": "EUR"}
    assert check_json(["a@x.org"], typed("list of email")) == ["a@x.org"]
    for value, type_text, message in [
        (True, "number", "true is not a number"),
        (5, "text", "5 is not a text"),
        ("x", "list of text", '"x" is not a list'),
        ({"amount": "5", "currency": "euro"}, "money", "'euro' is not a currency code such as EUR"),
    ]:
        with pytest.raises(ValueProblem) as raised:
            check_json(value, typed(type_text))
        assert str(raised.value) == message


def test_run_time_values_and_json_convert_both_ways() -> None:
    money = from_json({"amount": "12.50", "currency": "EUR"}, typed("money"))
    assert money == Money(Decimal("12.50"), "EUR")
    assert to_json(money) == {"amount": "12.50", "currency": "EUR"}
    assert from_json("2026-11-22", typed("date")) == dt.date(2026, 11, 22)
    assert to_json(from_json(90, typed("duration"))) == 90.0
    assert to_json([Decimal("2.50"), Decimal("3")]) == [2.5, 3]


def test_values_are_displayed_as_a_designer_writes_them() -> None:
    assert display(Decimal("0.1") + Decimal("0.2")) == "0.3"
    assert display(Decimal("0.0000001")) == "0.0000001"
    assert display(Decimal("123456789.123456789")) == "123456789.123456789"
    assert display(Decimal("2.50")) == "2.5"
    assert display(Money(Decimal("1234.5"), "EUR")) == "1,234.50 EUR"
    assert display([Decimal(1), "two", True]) == "1, two, true"
    assert display({"name": "Zoë", "score": Decimal("3.5")}) == '{"name": "Zoë", "score": 3.5}'
    assert display(None) == ""


# ---- campaign inputs -----------------------------------------------------------------

LAUNCH = compile_text(
    "process launch\n"
    "  input title: text\n"
    "  input budget: money = 0 EUR\n"
    '  input channels: list of text = ["linkedin", "newsletter"]\n'
    '  input tier: one of "free", "paid"\n'
    "  input send_at: datetime\n"
    "  output planned = title\n"
)


def test_given_inputs_are_read_and_defaults_filled_in() -> None:
    resolved = resolve_inputs(
        LAUNCH, texts={"title": "Spring", "tier": "paid", "send_at": "2026-12-01T09:00:00Z"}
    )
    assert resolved == {
        "title": "Spring",
        "budget": {"amount": "0", "currency": "EUR"},
        "channels": ["linkedin", "newsletter"],
        "tier": "paid",
        "send_at": "2026-12-01T09:00:00+00:00",
    }


def test_inputs_from_a_script_are_json() -> None:
    resolved = resolve_inputs(
        LAUNCH,
        json_values={
            "title": "Spring",
            "tier": "free",
            "send_at": "2026-12-01T09:00:00+01:00",
            "budget": {"amount": 250, "currency": "USD"},
            "channels": ["blog"],
        },
    )
    assert resolved["budget"] == {"amount": "250", "currency": "USD"}
    assert resolved["channels"] == ["blog"]


def resolve_error(**texts: str) -> str:
    with pytest.raises(UserError) as raised:
        resolve_inputs(LAUNCH, texts=texts)
    return str(raised.value)


def test_an_unknown_input_is_named_with_the_closest_real_one() -> None:
    message = resolve_error(title="x", tier="free", send_at="2026-12-01T09:00:00Z", bugdet="5 EUR")
    assert message == "'launch' has no input 'bugdet' (did you mean 'budget'?)"


def test_a_missing_required_input_says_how_to_give_it() -> None:
    message = resolve_error(title="x", tier="free")
    assert message == "input 'send_at': is required (datetime); give it with --input send_at=..."


def test_several_problems_with_the_inputs_are_listed_together() -> None:
    message = resolve_error(titel="x", budget="lots", tier="gold", send_at="2026-12-01T09:00")
    assert message == (
        "5 problems with the inputs:\n"
        "  'launch' has no input 'titel' (did you mean 'title'?)\n"
        "  input 'title': is required (text); give it with --input title=...\n"
        "  input 'budget': 'lots' is not an amount with a currency, such as '5000 EUR'\n"
        "  input 'tier': \"gold\" is not one of: free, paid\n"
        "  input 'send_at': \"2026-12-01T09:00\" has no time zone offset, e.g. +01:00 or Z"
    )


def test_command_line_assignments() -> None:
    assert parse_assignments(["title=Hello", "budget=5000 EUR", "query=a=b"]) == {
        "title": "Hello",
        "budget": "5000 EUR",
        "query": "a=b",
    }
    for pairs, message in [
        (["title"], "--input 'title' should be written name=value"),
        (["=x"], "--input '=x' should be written name=value"),
        (["a=1", "a=2"], "--input 'a' is given twice"),
    ]:
        with pytest.raises(UserError) as raised:
            parse_assignments(pairs)
        assert str(raised.value) == message
