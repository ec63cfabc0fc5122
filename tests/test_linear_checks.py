"""The language checker and the campaign check what people write in time linear in it.

Issue 16: a check-time e-mail default of 30,000 dots took 23 s (a quadratic
regular expression), and the text literal of the grammar took 2^n steps to refuse
an unclosed text of n ``{{}``. Each case times an adversarial input against the same
pattern 1,000 times smaller (tests/ratio.py): linear time gives a ratio near 1,000,
the old checks a million or (for the text literal) never finish.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from ratio import BUDGET, LARGE, ratio

from dsl import Catalogue, DirectoryError, SourceFile, check_source, parse_directory
from engine.ir import ScalarType
from engine.workflow.values import ValueProblem, from_json, from_result, parse_text

NO_ACTIONS = Catalogue([])


def _check(text: str) -> object:
    return check_source(SourceFile.from_text(text, "abuse.mops"), NO_ACTIONS)


def _with_default(kind: str, literal: str) -> str:
    return f'process p "P"\n  input a: {kind} = {literal}\n  output b = a\n'


PROCESSES: dict[str, Callable[[int], str]] = {
    "an e-mail default of dots (the issue's)": lambda n: _with_default(
        "email", '"a@' + "." * n + ' "'
    ),
    "an unclosed text of '{{}'": lambda n: _with_default("text", '"' + "{{}" * (n // 3)),
    "an unclosed text of '{{a}'": lambda n: _with_default("text", '"' + "{{a}" * (n // 4)),
    "an unclosed text": lambda n: _with_default("text", '"' + "a" * n),
    "a text of braces": lambda n: _with_default("text", '"' + "{" * n + '"'),
    "a url default of spaces": lambda n: _with_default("url", '"https://' + " " * n + 'x"'),
    "a line of quotes": lambda n: _with_default("text", '"' * n),
    "a number of n digits": lambda n: _with_default("number", "1" * n + "."),
}


@pytest.mark.parametrize("make", PROCESSES.values(), ids=PROCESSES.keys())
def test_the_checker_takes_linear_time_on_adversarial_files(make: Callable[[int], str]) -> None:
    assert _ratio_of(_check, make) < BUDGET


def _ratio_of(check: Callable[[str], object], make: Callable[[int], str]) -> float:
    # The checker's fixed cost per file is large: compare 400 with 40,000 characters,
    # and scale the ratio to the 1,000 times larger input the budget is for.
    return ratio(check, make, small=LARGE // 100) * 10


def test_an_e_mail_default_of_dots_is_reported_briefly() -> None:
    checked = check_source(
        SourceFile.from_text(_with_default("email", '"a@' + "." * 30_000 + '"'), "a.mops"),
        NO_ACTIONS,
    )
    assert [d.code for d in checked.diagnostics] == ["T002"]
    assert len(checked.diagnostics[0].message) < 300


def _directory(email: str) -> object:
    team = f'[roles]\nwriter = "Writes"\n[people.ana]\nname = "Ana"\nemail = "{email}"\n'
    return parse_directory(team.encode(), "team.toml")


def test_a_team_directory_e_mail_is_checked_in_linear_time() -> None:
    def make(n: int) -> str:
        return "a@" + "." * n

    with pytest.raises(DirectoryError, match="is not an e-mail address") as refused:
        _directory(make(LARGE))
    assert len(str(refused.value)) < 300
    assert ratio(_directory, make) < BUDGET


EMAIL, MONEY, DURATION = (ScalarType(name=n) for n in ("email", "money", "duration"))
VALUES: dict[str, tuple[Callable[[str], object], Callable[[int], str]]] = {
    "an e-mail input of dots": (lambda v: from_json(v, EMAIL), lambda n: "a@" + "." * n),
    "an e-mail input of @": (lambda v: from_json(v, EMAIL), lambda n: "a" + "@" * n),
    "an amount of digits then spaces": (
        lambda v: parse_text(v, MONEY),
        lambda n: "1" * (n // 2) + " " * (n // 2) + "x",
    ),
    "a duration of digits": (lambda v: parse_text(v, DURATION), lambda n: "1" * n + " x"),
    "an ISO duration of digits": (lambda v: from_result(v, DURATION), lambda n: "PT" + "1" * n),
}


@pytest.mark.parametrize(("check", "make"), VALUES.values(), ids=VALUES.keys())
def test_campaign_values_are_checked_in_linear_time(
    check: Callable[[str], object], make: Callable[[int], str]
) -> None:
    with pytest.raises(ValueProblem):
        check(make(LARGE))
    assert ratio(check, make) < BUDGET
