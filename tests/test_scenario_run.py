"""Scenarios run on the time-skipping server: exact business time, real validators,
scripted stand-ins, and the verdicts a designer reads."""

from __future__ import annotations

from pathlib import Path

import pytest

from mops.scenarios import ScenarioResult, run_files

PROCESS = """\
calendar office "Office"
  time zone "Europe/Berlin"
  working days mon to fri
  office hours 09:00 to 17:00

process launch "Launch"
  calendar office
  input title: text
  input budget: money = 0 EUR

  task brief = log.info(message: "Brief for {title}")
  work draft "Write the draft"
    assign person ana
    deadline 2 business days
    escalate to person cleo
    returns doc_url: url
  approval check "Check the draft"
    by person ben
    deadline 1 business day
    escalate to person cleo
    on reject -> draft
    at most 3 rounds, then fail "The draft did not converge"
  wait for event "go_live" key title, deadline 10 days
  set via = "by hand"
  task publish = http.post(url: draft.doc_url, json: {title: title})
    retry 3 times backoff 1m
    on error -> fallback
  set via = "cms"
  decide fallback
    when via == "cms" -> "cms"
    otherwise -> "by hand"
  notify role lead "Published '{title}'"
  output route = fallback
"""

TEAM = """\
[roles]
lead = "Leads"

[people.ana]
name = "Ana"
email = "ana@example.com"

[people.ben]
name = "Ben"
email = "ben@example.com"

[people.cleo]
name = "Cleo"
email = "cleo@example.com"
roles = ["lead"]

[people.dan]
name = "Dan"
email = "dan@example.com"
"""

SCENARIOS = """\
scenario "On time"
  input title = "Spring"
  draft: completed by ana after 1 business day with doc_url = "https://cms.example/d/1"
  check: approved by ben after 4 business hours
  event go_live key "Spring" after 3 days
  publish: returns status = 201
  expect path brief, draft, check, publish
  expect output route = "cms"
  expect draft met deadline
  expect check not escalated
  expect notified role lead
  expect notified cleo
  expect notified ana
  expect not notified dan
  expect duration <= 3 business days
  expect duration > 2.9 business days

scenario "Late review, rejected once, then approved by the escalation target"
  input title = "Spring"
  draft: completed by ana after 3 business days
  check: rejected by ben after 2 business days "Too long", \\
    then approved by cleo after 2 business days
  event go_live key "Spring" after 1 day
  expect path brief, draft, check, draft, check, publish
  expect draft missed deadline
  expect check escalated to cleo
  expect notified cleo

scenario "Refused: cleo acts before the escalation"
  input title = "Spring"
  draft: completed by ana
  check: approved by cleo after 1 business hour
  expect outcome waiting

scenario "CMS down twice, then up"
  input title = "Spring"
  draft: completed by ana
  check: approved by ben
  publish: fails "503 Service Unavailable" 2 times, then returns status = 201
  expect output route = "cms"

scenario "CMS down for good"
  input title = "Spring"
  draft: completed by ana
  check: approved by ben
  publish: fails "503 Service Unavailable"
  expect path includes draft, publish
  expect output route = "by hand"

scenario "Wrong expectations"
  input title = "Spring"
  draft: completed by ana
  check: rejected by ben
  expect path brief, draft, check, publish
  expect output route = "cms"
  expect check escalated
"""


@pytest.fixture(scope="module")
async def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, ScenarioResult]:
    folder = tmp_path_factory.mktemp("scenarios")
    (folder / "launch.mops").write_text(PROCESS)
    (folder / "team.toml").write_text(TEAM)
    (folder / "launch.scenarios").write_text(SCENARIOS)
    return {r.name: r for r in await run_files([folder / "launch.scenarios"])}


def test_answers_fall_due_in_exact_business_time(results: dict[str, ScenarioResult]) -> None:
    on_time = results["On time"]

    # Mon 09:00 start; draft Tue 09:00; check Tue 13:00; the event Thu 09:00.
    assert on_time.passed, on_time.failures
    assert on_time.business_days == pytest.approx(3.0, abs=0.01)
    assert on_time.deadlines == {"draft": "met", "check": "met"}


def test_rework_rounds_deadlines_and_escalations(results: dict[str, ScenarioResult]) -> None:
    late = results["Late review, rejected once, then approved by the escalation target"]

    assert late.passed, late.failures
    assert late.escalated == ("draft", "check")


def test_the_real_validator_refuses_a_person_who_may_not_act(
    results: dict[str, ScenarioResult],
) -> None:
    refused = results["Refused: cleo acts before the escalation"]

    assert not refused.passed
    assert refused.outcome == "waiting"
    assert refused.failures[0] == (
        "refused: cleo on 'check': cleo is not among who may act on 'Check the draft' (person:ben)"
    )


def test_a_task_fails_as_scripted_and_its_retries_run(results: dict[str, ScenarioResult]) -> None:
    assert results["CMS down twice, then up"].passed, results["CMS down twice, then up"].failures
    down = results["CMS down for good"]
    assert down.passed, down.failures
    assert down.path == ("brief", "draft", "check", "publish")


def test_a_failed_scenario_names_each_unmet_expectation(
    results: dict[str, ScenarioResult],
) -> None:
    wrong = results["Wrong expectations"]

    assert not wrong.passed
    assert wrong.expected_path == ("brief", "draft", "check", "publish")
    assert wrong.path[:4] == ("brief", "draft", "check", "draft")
    assert wrong.failures[0] == (
        "step 4 of the path: expected 'publish', the campaign took 'draft'"
    )
    assert "was not escalated" in " ".join(wrong.failures)


async def test_a_scenario_starting_in_the_past_is_refused(tmp_path: Path) -> None:
    (tmp_path / "launch.mops").write_text(PROCESS)
    (tmp_path / "team.toml").write_text(TEAM)
    (tmp_path / "launch.scenarios").write_text(
        'scenario "Old"\n  start 2020-03-02 09:00\n  input title = "x"\n'
    )
    from mops.scenarios import BadScenarioFile

    with pytest.raises(BadScenarioFile) as raised:
        await run_files([tmp_path / "launch.scenarios"])

    assert "'Old' starts in the past (2020-03-02 08:00 UTC)" in str(raised.value)
