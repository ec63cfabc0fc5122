"""What a scenario can expect besides the path (issue 18): a refusal, a notice reaching
the members of a role, which exit fired, and dotted event names written without quotes.
Run on the time-skipping server, decided by the campaign's real validator."""

from __future__ import annotations

import pytest

from mops.scenarios import ScenarioResult, run_files

PROCESS = """\
process review "Review with an unsubscribe"
  input title: text
  input lead: email = "jo@example.com"

  exit when event "lead.unsubscribed" key lead

  work draft "Write the draft"
    assign person ana
    deadline 2 business days
    escalate to role lead
  approval check "Check the draft"
    by role editor
    not by draft.assignee
    deadline 1 business day
    escalate to role lead
  wait 3 days
  notify role lead "'{title}' is out"
"""

TEAM = """\
[roles]
editor = "Checks drafts"
lead = "Leads"

[people.ana]
name = "Ana"
email = "ana@example.com"
roles = ["editor"]

[people.ben]
name = "Ben"
email = "ben@example.com"
roles = ["editor"]

[people.cleo]
name = "Cleo"
email = "cleo@example.com"
roles = ["lead"]

[people.dan]
name = "Dan"
email = "dan@example.com"
"""

SCENARIOS = """\
scenario "Ana may not check her own draft: expected"
  input title = "Spring"
  draft: completed by ana
  check: approved by ana, ben after 1 business hour
  expect refused ana on check "separation of duties"
  expect path draft, check
  expect notified cleo
  expect notified role lead
  expect notified ben
  expect not notified dan
  expect no exit
  expect outcome completed

scenario "A refusal nobody expected fails the scenario"
  input title = "Spring"
  draft: completed by ana
  check: approved by ana, ben

scenario "The expected refusal gives another reason"
  input title = "Spring"
  draft: completed by ana
  check: approved by ana, ben
  expect refused ana on check "deadline"

scenario "An expected refusal that does not happen"
  input title = "Spring"
  draft: completed by ana
  check: approved by ben
  expect refused ana on check

scenario "The lead unsubscribes: the exit fires, the campaign completes"
  input title = "Spring"
  draft: completed by ana after 1 business hour
  event lead.unsubscribed key "jo@example.com" after 1 day
  expect exit lead.unsubscribed
  expect outcome completed
  expect outcome exited
  expect path draft, check
  expect not notified cleo

scenario "An exit expected that did not fire"
  input title = "Spring"
  draft: completed by ana
  check: approved by ben
  expect exit lead.unsubscribed
"""


@pytest.fixture(scope="module")
async def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, ScenarioResult]:
    folder = tmp_path_factory.mktemp("expectations")
    (folder / "review.mops").write_text(PROCESS)
    (folder / "team.toml").write_text(TEAM)
    (folder / "review.scenarios").write_text(SCENARIOS)
    return {r.name: r for r in await run_files([folder / "review.scenarios"])}


def test_an_expected_refusal_passes_and_a_notice_to_a_role_reaches_its_members(
    results: dict[str, ScenarioResult],
) -> None:
    expected = results["Ana may not check her own draft: expected"]

    assert expected.passed, expected.failures
    assert expected.refused == (
        "ana on 'check': ana may not act on 'Check the draft': separation of duties "
        "(not by draft.assignee)",
    )
    # The notice went to the role; cleo holds it, ben does not.
    assert "role:lead" in expected.notified


def test_a_refusal_nobody_expected_still_fails_the_scenario(
    results: dict[str, ScenarioResult],
) -> None:
    unexpected = results["A refusal nobody expected fails the scenario"]

    assert not unexpected.passed
    assert unexpected.failures == (
        "refused: ana on 'check': ana may not act on 'Check the draft': separation of duties "
        "(not by draft.assignee)",
    )


def test_an_expected_refusal_must_happen_and_for_the_reason_given(
    results: dict[str, ScenarioResult],
) -> None:
    other = results["The expected refusal gives another reason"]
    missing = results["An expected refusal that does not happen"]

    assert other.failures == (
        "refused: ana on 'check': ana may not act on 'Check the draft': separation of duties "
        "(not by draft.assignee)",
        "ana was refused on 'check' with \"ana may not act on 'Check the draft': separation "
        'of duties (not by draft.assignee)", expected "deadline"',
    )
    assert missing.failures == ("ana was not refused on 'check'",)


def test_an_exit_completes_the_campaign_in_scenarios_as_in_real_runs(
    results: dict[str, ScenarioResult],
) -> None:
    exited = results["The lead unsubscribes: the exit fires, the campaign completes"]
    not_fired = results["An exit expected that did not fire"]

    assert exited.passed, exited.failures
    assert exited.outcome == "completed"
    assert exited.exits == ("lead.unsubscribed",)
    assert exited.outcome_text == "completed, exit lead.unsubscribed"
    assert not_fired.failures == ("no exit on 'lead.unsubscribed' fired (exits that fired: none)",)
