"""Who acts and which calendar counts, chosen when the campaign runs (issue 18, items 1
and 2): ``by role from route.team``, ``escalate to person from route.manager``,
``calendar from region``, ``wait ... in calendar emea``. Checked where the values are
known, pinned into the IR, checked again by the campaign where they are not."""

from __future__ import annotations

from pathlib import Path

import pytest

from dsl import Catalogue, SourceFile, check_source, parse_directory
from dsl._format import format_source
from engine.compiler import compile_process
from engine.ir import EventStep, HumanStep, NotifyStep, WaitStep
from mops.scenarios import ScenarioResult, run_files
from workers import builtin_registry

CATALOGUE = Catalogue(builtin_registry().signatures())

TEAM = """\
[roles]
ent_emea = "Enterprise, EMEA"
ent_amer = "Enterprise, Americas"
mid_market = "Mid-market"

[people.eli]
name = "Eli"
email = "eli@example.com"
roles = ["ent_emea"]

[people.eva]
name = "Eva"
email = "eva@example.com"

[people.amy]
name = "Amy"
email = "amy@example.com"
roles = ["ent_amer"]

[people.raj]
name = "Raj"
email = "raj@example.com"

[people.mia]
name = "Mia"
email = "mia@example.com"
roles = ["mid_market"]
"""

ROUTE = """\
calendar emea "EMEA sales office"
  time zone "Europe/Berlin"
  office hours 09:00 to 17:00

calendar americas "Americas sales office"
  time zone "America/New_York"
  office hours 09:00 to 17:00

process route "Route a lead"
  calendar "UTC"

  input lead_email: email
  input region: one of "emea", "americas"
  input employees: number = 0
  input backup: text = "mia"

  decide owner "Who takes the lead"
    when employees >= 1000 and region == "emea" -> team = "ent_emea", manager = "eva"
    when employees >= 1000 -> team = "ent_amer", manager = "raj"
    otherwise -> team = "mid_market", manager = "mia"

  approval accept "Accept the lead"
    by role from owner.team
    calendar from region
    deadline 4 business hours
    escalate to person from owner.manager

  wait 1 business day in calendar americas
  notify person from owner.manager, person from backup "{lead_email} went to {owner.team}"
"""


def _check(text: str, team: str = TEAM) -> list[tuple[str, int, str]]:
    directory = parse_directory(team.encode(), "team.toml")
    checked = check_source(SourceFile.from_text(text, "route.mops"), CATALOGUE, directory=directory)
    return [(d.code, d.span.line, d.message) for d in checked.diagnostics]


def test_a_routing_policy_is_one_approval_checked_against_the_directory() -> None:
    assert _check(ROUTE) == []


def test_every_value_the_checker_knows_is_checked_where_it_is_written() -> None:
    bad = (
        ROUTE.replace('manager = "raj"', 'manager = "rajesh"')
        .replace(
            '  input region: one of "emea", "americas"', '  input region: one of "emea", "apac"'
        )
        .replace(
            "  wait 1 business day in calendar americas", "  wait 1 business day in calendar amer"
        )
    )

    assert _check(bad) == [
        (
            "R005",
            19,
            "this row gives 'rajesh', a person for 'person from' on line 26, but the "
            "team directory has no person 'rajesh'",
        ),
        ("N009", 24, "there is no calendar 'apac' (a value it can take)"),
        ("N009", 28, "there is no calendar 'amer'"),
    ]


def test_a_value_that_cannot_name_anyone_is_a_type_error() -> None:
    bad = ROUTE.replace("    calendar from region", "    calendar from employees")
    owner = ROUTE.replace(
        'process route "Route a lead"\n', 'process route "Route a lead"\n  owner role from region\n'
    )

    assert _check(bad) == [
        ("T002", 24, "'calendar from' takes a text naming a calendar; this is number"),
    ]
    assert ("T002", 10, "the owner of a process is named as written, not worked out") in _check(
        owner
    )


def test_the_layout_keeps_what_is_chosen_at_run_time() -> None:
    messy = ROUTE.replace("by role from owner.team", "by role  from   owner.team").replace(
        "in calendar americas", "in calendar   americas"
    )

    assert format_source(messy) == ROUTE
    assert format_source(ROUTE) == ROUTE


def test_the_ir_pins_every_calendar_a_campaign_may_count_in() -> None:
    checked = check_source(SourceFile.from_text(ROUTE, "route.mops"), CATALOGUE)
    process = compile_process(checked, CATALOGUE)
    accept = next(s for s in process.body if isinstance(s, HumanStep))
    wait = next(s for s in process.body if isinstance(s, WaitStep))
    notify = next(s for s in process.body if isinstance(s, NotifyStep))

    assert process.calendar is not None and process.calendar.name == "UTC"
    assert sorted(process.calendars or {}) == ["americas", "emea"]
    assert (process.calendars or {})["emea"].time_zone == "Europe/Berlin"
    assert accept.parties == () and [p.kind for p in accept.parties_from or ()] == ["role"]
    assert accept.calendar_expr is not None and accept.calendar is None
    assert [p.kind for p in accept.escalations[0].to_from or ()] == ["person"]
    assert wait.calendar == "americas"
    assert len(notify.parties_from or ()) == 2
    # A preset the rows of a decision name is pinned too.
    preset = ROUTE.replace("    calendar from region", "    calendar from office.name").replace(
        "  approval accept",
        '  decide office\n    when region == "emea" -> name = "DE"\n'
        '    otherwise -> name = "US"\n\n  approval accept',
    )
    pinned = compile_process(
        check_source(SourceFile.from_text(preset, "route.mops"), CATALOGUE), CATALOGUE
    )
    assert sorted(pinned.calendars or {}) == ["DE", "US", "americas", "emea"]
    event = check_source(
        SourceFile.from_text(
            'calendar emea "EMEA"\n  time zone "Europe/Berlin"\n\n'
            "process p\n  input k: text\n"
            '  wait for event "x" key k, deadline 2 business days in calendar emea\n',
            "p.mops",
        ),
        CATALOGUE,
    )
    step = compile_process(event, CATALOGUE).body[0]
    assert isinstance(step, EventStep) and step.calendar == "emea"


SCENARIOS = """\
scenario "An EMEA enterprise lead: EMEA office hours, the EMEA team"
  input lead_email = "jo@big.example"
  input region = "emea"
  input employees = 2000
  accept: approved by mia, eli after 3 business hours
  expect refused mia on accept "not among who may act"
  expect accept met deadline
  expect notified eva
  expect notified mia

scenario "The same lead in the Americas: New York hours, so 3 hours is late"
  start 2035-01-08 09:00 Europe/Berlin
  input lead_email = "jo@big.example"
  input region = "americas"
  input employees = 2000
  accept: approved by raj after 10 hours
  expect accept escalated to raj
  expect accept missed deadline

scenario "A backup nobody knows fails the campaign at its line"
  input lead_email = "jo@small.example"
  input region = "emea"
  input backup = "nobody"
  accept: approved by mia
  expect outcome failed "the team directory (version"
"""


@pytest.fixture(scope="module")
async def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, ScenarioResult]:
    folder: Path = tmp_path_factory.mktemp("route")
    (folder / "route.mops").write_text(ROUTE)
    (folder / "team.toml").write_text(TEAM)
    (folder / "route.scenarios").write_text(SCENARIOS)
    return {r.name: r for r in await run_files([folder / "route.scenarios"])}


def test_the_approval_goes_to_the_team_a_rule_chose_in_its_regions_hours(
    runs: dict[str, ScenarioResult],
) -> None:
    emea = runs["An EMEA enterprise lead: EMEA office hours, the EMEA team"]
    americas = runs["The same lead in the Americas: New York hours, so 3 hours is late"]

    assert emea.passed, emea.failures
    assert americas.passed, americas.failures


def test_a_value_nobody_checked_before_fails_the_campaign_with_the_line(
    runs: dict[str, ScenarioResult],
) -> None:
    failed = runs["A backup nobody knows fails the campaign at its line"]

    assert failed.passed, failed.failures
    assert failed.error is not None
    assert "route.mops:29:49: step 'notify_line_29': the team directory (version " in failed.error
    assert failed.error.endswith("has no person 'nobody'")


def test_the_plan_counts_each_step_in_its_own_calendar() -> None:
    from dsl import resolve_calendar
    from dsl._graph import build_graph
    from dsl._plan import plan

    short = ROUTE.replace(
        '  office hours 09:00 to 17:00\n\ncalendar americas "Americas sales office"\n'
        '  time zone "America/New_York"\n  office hours 09:00 to 17:00',
        '  office hours 09:00 to 17:00\n\ncalendar americas "Americas sales office"\n'
        '  time zone "America/New_York"\n  office hours 10:00 to 14:00',
    )
    checked = check_source(SourceFile.from_text(short, "route.mops"), CATALOGUE)
    assert checked.process is not None and checked.file is not None
    week = resolve_calendar(checked.file, "UTC")

    worst = plan(
        checked.process,
        build_graph(checked.process),
        week,
        catalogue=CATALOGUE,
        file=checked.file,
    )
    without = plan(checked.process, build_graph(checked.process), week, catalogue=CATALOGUE)

    # Four-hour days in the Americas: the approval's worst case is counted there.
    assert str(worst.total) == "1 business day in americas + 8 business hours in americas"
    assert worst.steps[0].why.endswith("; in calendar americas, the longest of americas, emea")
    assert str(without.total) == "1 business day + 8 business hours"
