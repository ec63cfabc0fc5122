"""Every scenario-file diagnostic (X codes), as ``mops test`` prints it, and what the
checker finds in whole files: every problem at once, each at its own line."""

from __future__ import annotations

import pytest
from diagnostic_examples import SCENARIO_EXAMPLES, SCENARIO_PROCESS, SCENARIO_TEAM

from dsl import (
    Catalogue,
    SourceFile,
    ast,
    check_scenario_source,
    check_source,
    parse_directory,
    render_all,
)
from workers import builtin_registry

CATALOGUE = Catalogue(builtin_registry().signatures())
TEAM = parse_directory(SCENARIO_TEAM.encode(), "team.toml")


def _process() -> ast.Process:
    checked = check_source(SourceFile.from_text(SCENARIO_PROCESS, "example.mops"), CATALOGUE)
    assert checked.process is not None
    return checked.process


def _check(text: str) -> tuple[list[str], str]:
    source = SourceFile.from_text(text, "example.scenarios")
    checked = check_scenario_source(source, _process(), CATALOGUE, directory=TEAM)
    return [d.code for d in checked.diagnostics], render_all(checked.diagnostics, source)


@pytest.mark.parametrize("code", sorted(SCENARIO_EXAMPLES))
def test_each_scenario_code_has_its_message_position_and_hint(code: str) -> None:
    text, expected = SCENARIO_EXAMPLES[code]

    codes, shown = _check(text)

    assert codes == [code]
    assert shown == expected


GOOD = """\
# A test plan for the launch
scenario "Everything goes to plan"
  start 2035-03-05 10:30 Europe/Berlin
  input title = "Spring"
  input budget = 2500 EUR
  draft: completed by ana after 1 business day with doc_url = "https://cms.example/d/1"
  review: changes requested by ben after 2 business hours "Shorter", then approved by ben
  publish: fails "CMS is down" 2 times, then returns status = 201
  expect path draft, review, publish
  expect path includes review, publish
  expect outcome completed
  expect output status = 201
  expect review not escalated
  expect draft met deadline
  expect notified role lead
  expect not notified ana
  expect duration <= 3 business days

scenario "Nobody reviews"
  input title = "Spring"
  draft: completed by ana
  review: no answer
  expect review escalated to role lead
  expect review missed deadline
  expect outcome waiting
"""


def test_a_file_using_every_statement_checks_clean() -> None:
    assert _check(GOOD) == ([], "")


def test_every_problem_in_a_file_is_reported_at_once() -> None:
    text = """\
scenario "One"
  input title = 12
  reveiw: approved by ben
  draft: approved by ana
  expect output statuz = 1

scenario "One"
  input title = "x"
"""
    codes, shown = _check(text)

    assert codes == ["X004", "X002", "X003", "X005", "X008"]
    assert "example.scenarios:4:10: error[X003]: 'draft' is a work item: it is completed" in shown
    assert "hint: did you mean 'status'?" in shown
    assert 'there is already a scenario called "One" (line 1)' in shown


def test_every_syntax_error_is_reported_before_any_check() -> None:
    text = 'scenario "One"\n  input title "y"\n  reveiw: approved by ben\n  expect path draft,\n'

    codes, shown = _check(text)

    assert codes == ["X001", "X001"]
    assert 'example.scenarios:2:15: error[X001]: the text "y" is not expected here' in shown
    assert "example.scenarios:4:21: error[X001]: this line ends too early" in shown


def test_a_task_cannot_be_answered_and_a_person_cannot_return() -> None:
    codes, shown = _check(
        'scenario "x"\n  input title = "t"\n  review: returns ok = true\n'
        "  expect publish met deadline\n"
    )

    assert codes == ["X003", "X003"]
    assert "'review' is an approval: people answer it, it does not return or fail" in shown
    assert "'publish' is not a work item or approval: only those have a deadline" in shown


def test_values_are_checked_against_list_and_choice_types() -> None:
    codes, shown = _check(
        'scenario "x"\n  input title = "t"\n'
        "  draft: completed by ana with doc_url = 5\n"
        '  publish: returns status = "ok", truncated = false\n'
    )

    assert codes == ["X004", "X004"]
    assert "'doc_url' of 'draft' is url; the value given is a number" in shown
    assert "'status' of 'http.post' is number; the value given is a text" in shown


def test_a_tab_or_a_file_without_scenarios_is_reported() -> None:
    assert _check("# nothing yet\n")[0] == ["X001"]
    assert _check('scenario "x"\n\tinput title = "t"\n')[0] == ["X001"]


def test_refusals_exits_and_dotted_events_are_checked_against_the_process() -> None:
    codes, shown = _check(
        'scenario "x"\n  input title = "t"\n'
        "  expect refused cleo on review\n"
        "  expect refused ana on publish\n"
        "  expect exit lead.converted\n"
        "  expect no exit\n"
        '  event contact.converted key "t" after 1 day\n'
    )

    assert codes == ["X006", "X003", "X009", "X009"]
    assert "example.scenarios:7:9: error[X009]: 'launch' never waits for the event " in shown
    assert "'contact.converted'" in shown
    assert "example.scenarios:3:18: error[X006]: the team directory has no person 'cleo'" in shown
    assert "'publish' is not a work item or approval: only those can refuse an answer" in shown
    assert (
        "example.scenarios:5:15: error[X009]: 'launch' has no 'exit when' on the event "
        "'lead.converted'\n"
    ) in shown
    assert "hint: it has no 'exit when'" in shown
