"""``mops simulate``: the same seed gives the same cohort; the assumptions change it."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.errors import UserError
from mops.cli._simulate import histogram_svg, simulate, text_summary

PROCESS = """\
process review "Review"
  input title: text
  work draft "Write"
    assign role writer
    deadline 2 business days
    escalate to role lead
    returns doc_url: url
  approval check "Check"
    by role editor
    deadline 1 business day
    escalate to role lead
    on reject -> draft
    at most 3 rounds, then fail "no agreement"
"""
TEAM = """\
[roles]
writer = "Writes"
editor = "Edits"
lead = "Leads"

[people.ana]
name = "Ana"
email = "ana@example.com"
roles = ["writer"]

[people.ben]
name = "Ben"
email = "ben@example.com"
roles = ["editor"]

[people.cleo]
name = "Cleo"
email = "cleo@example.com"
roles = ["lead"]
"""
RESPONSES = """\
[roles.writer]
answer = "lognormal(median=1 business day, p90=3 business days)"

[roles.editor]
answer = "lognormal(median=2 business hours, p90=1 business day)"
approve = 0.7
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "review.mops").write_text(PROCESS)
    (tmp_path / "team.toml").write_text(TEAM)
    (tmp_path / "responses.toml").write_text(RESPONSES)
    return tmp_path


async def test_the_same_seed_gives_the_same_cohort(folder: Path) -> None:
    args = {"runs": 6, "responses": folder / "responses.toml", "inputs": {"title": "Spring"}}

    first = await simulate(folder / "review.mops", seed=3, **args)  # type: ignore[arg-type]
    again = await simulate(folder / "review.mops", seed=3, **args)  # type: ignore[arg-type]
    other = await simulate(folder / "review.mops", seed=4, **args)  # type: ignore[arg-type]

    # The server's clock runs on by a few milliseconds while answers are given.
    assert first.as_json() == again.as_json()
    assert first.durations == pytest.approx(again.durations, abs=0.01)
    assert first.durations != pytest.approx(other.durations, abs=0.01)
    assert first.runs == 6
    assert sum(first.outcomes.values()) == 6
    assert set(first.work_items) == {"writer", "editor"}
    assert first.work_items["writer"] >= 6
    assert 0.0 <= first.escalation_rate["draft"] <= 1.0


async def test_the_summary_and_chart_show_the_spread(folder: Path) -> None:
    summary = await simulate(folder / "review.mops", runs=4, seed=1, inputs={"title": "x"})

    shown = text_summary(summary)
    chart = histogram_svg(summary)

    assert shown.startswith("4 campaigns: ")
    assert "duration (business days): p50 " in shown
    assert chart.startswith("<svg ") and chart.count("<rect ") == 20
    assert ">p90 " in chart
    # Both axes are labelled, and the count axis has ticks.
    assert ">business days from start to end</text>" in chart
    assert "rotate(-90" in chart and ">campaigns</text>" in chart
    assert '<text x="54" ' in chart  # a tick label left of the count axis


async def test_a_bad_responses_file_is_explained(folder: Path) -> None:
    (folder / "bad.toml").write_text('[roles.editor]\nanswer = "soon"\n')

    with pytest.raises(UserError) as raised:
        await simulate(
            folder / "review.mops",
            runs=1,
            seed=1,
            responses=folder / "bad.toml",
            inputs={"title": "x"},
        )

    assert "roles.editor.answer: cannot read 'soon'" in str(raised.value)


def _short(reasons: dict[str, int], folder: Path) -> dict[str, int]:
    """Reasons with the process file's folder left out."""
    return {why.replace(f"{folder}/", ""): n for why, n in reasons.items()}


QUORUM = """\
process budget_round "Budget round"
  input amount: money
  approval budget "Approve the budget"
    by 2 of role director
    deadline 3 business days
    remind every 1 business day
    escalate to role cfo
"""
DIRECTORS = """\
[roles]
director = "Directors"
cfo = "CFO"

[people.ana]
name = "Ana"
email = "ana@example.com"
roles = ["director"]

[people.ben]
name = "Ben"
email = "ben@example.com"
roles = ["director"]

[people.cleo]
name = "Cleo"
email = "cleo@example.com"
roles = ["director"]

[people.dan]
name = "Dan"
email = "dan@example.com"
roles = ["cfo"]
"""


async def test_a_quorum_of_two_directors_completes(tmp_path: Path) -> None:
    (tmp_path / "quorum.mops").write_text(QUORUM)
    (tmp_path / "team.toml").write_text(DIRECTORS)
    (tmp_path / "all.toml").write_text("[roles.director]\napprove = 1\n")

    summary = await simulate(
        tmp_path / "quorum.mops",
        runs=10,
        seed=1,
        responses=tmp_path / "all.toml",
        inputs={"amount": "5000 EUR"},
    )

    assert summary.outcomes == {"completed": 10}
    assert summary.reasons == {}
    assert summary.refusals == {}


LINE_UP = """\
process line_up "Line-up"
  input topic: text
  input speakers: number
  work check "Check the line-up"
    assign role writer
    deadline 2 business days
    escalate to role lead
    returns go_ahead: bool
  if not check.go_ahead
    fail "No line-up for {topic}"
"""


async def test_every_campaign_that_does_not_complete_says_why(folder: Path) -> None:
    (folder / "line_up.mops").write_text(LINE_UP)

    summary = await simulate(
        folder / "line_up.mops", runs=5, seed=1, inputs={"topic": "Spring", "speakers": "2"}
    )

    # A simulated person completes the work item with typed defaults: go_ahead is false.
    assert summary.outcomes == {"failed": 5}
    assert _short(summary.reasons, folder) == {
        "failed: line_up.mops:10:5: No line-up for Spring": 5
    }
    assert summary.as_json()["reasons"] == summary.reasons
    assert "why not completed:\n      5  failed: " in text_summary(summary)


async def test_outputs_drawn_from_the_responses_file_change_the_outcomes(folder: Path) -> None:
    (folder / "line_up.mops").write_text(LINE_UP)
    (folder / "go.toml").write_text(
        "[steps.check.outputs]\ngo_ahead = {one_of = [true, true, true, false]}\n"
    )

    summary = await simulate(
        folder / "line_up.mops",
        runs=12,
        seed=2,
        responses=folder / "go.toml",
        inputs={"topic": "Spring", "speakers": "2"},
    )

    assert set(summary.outcomes) == {"completed", "failed"}
    assert summary.outcomes["completed"] > summary.outcomes["failed"]


async def test_input_on_the_command_line_is_merged_into_the_scenarios(folder: Path) -> None:
    (folder / "line_up.mops").write_text(LINE_UP)
    (folder / "line_up.scenarios").write_text(
        'scenario "One"\n  input topic = "Autumn"\n  input speakers = 3\n'
        "  check: completed by ana after 1 business day with go_ahead = true\n"
        "  expect outcome completed\n"
    )

    summary = await simulate(folder / "line_up.mops", runs=2, seed=1, inputs={"speakers": "4"})

    # 'topic' still comes from the scenario: only 'speakers' was given.
    assert _short(summary.reasons, folder) == {
        "failed: line_up.mops:10:5: No line-up for Autumn": 2
    }


TIERS = """\
process tiers "Tiers"
  input budget: money
  decide tier
    when budget >= 10000 EUR -> "paid"
    otherwise -> "organic"
  if tier == "paid"
    fail "paid: {budget}"
"""


async def test_each_campaign_takes_its_inputs_from_a_case_or_a_draw(tmp_path: Path) -> None:
    (tmp_path / "tiers.mops").write_text(TIERS)
    (tmp_path / "cases.csv").write_text("budget\n500 EUR\n20000 EUR\n700 EUR\n")
    (tmp_path / "draw.toml").write_text('[inputs.budget]\nuniform = [0, 20000]\ncurrency = "EUR"\n')

    from_cases = await simulate(
        tmp_path / "tiers.mops", runs=6, seed=1, cases=tmp_path / "cases.csv"
    )
    drawn = await simulate(
        tmp_path / "tiers.mops", runs=20, seed=1, responses=tmp_path / "draw.toml"
    )

    assert from_cases.outcomes == {"completed": 4, "failed": 2}
    assert _short(from_cases.reasons, tmp_path) == {
        "failed: tiers.mops:7:5: paid: 20,000.00 EUR": 2
    }
    assert set(drawn.outcomes) == {"completed", "failed"}
    assert len(drawn.reasons) == drawn.outcomes["failed"]  # each drawn budget its own


FETCH = """\
process fetch "Fetch"
  input url: url = "https://example.com/api"
  task get = http.request(method: "GET", url: url)
  if get.status != 200
    fail "status {get.status}"
"""


async def test_action_results_are_scripted_or_drawn(tmp_path: Path) -> None:
    (tmp_path / "fetch.mops").write_text(FETCH)
    (tmp_path / "ok.toml").write_text("[steps.get.returns]\nstatus = 200\n")
    (tmp_path / "mixed.toml").write_text(
        '[actions."http.request".returns]\nstatus = {one_of = [200, 503]}\n'
    )

    ok = await simulate(tmp_path / "fetch.mops", runs=4, seed=1, responses=tmp_path / "ok.toml")
    mixed = await simulate(
        tmp_path / "fetch.mops", runs=12, seed=1, responses=tmp_path / "mixed.toml"
    )

    assert ok.outcomes == {"completed": 4}
    assert set(mixed.outcomes) == {"completed", "failed"}
    assert set(_short(mixed.reasons, tmp_path)) == {"failed: fetch.mops:5:5: status 503"}


CONFIRM = """\
process confirm "Confirm"
  input speakers: list of email
  for each speaker in speakers
    set answer = "none"
    wait for event "speaker.confirmed" key speaker, deadline 5 business days -> verdict
    set answer = "yes"
    decide verdict
      when answer == "yes" -> "confirmed"
      otherwise -> "silent"
    if verdict == "silent"
      fail "{speaker} did not confirm"
"""


async def test_events_arrive_with_the_key_the_campaign_waits_for(tmp_path: Path) -> None:
    (tmp_path / "confirm.mops").write_text(CONFIRM)
    (tmp_path / "events.toml").write_text(
        '[events."speaker.confirmed"]\narrives = 1\n'
        'after = "lognormal(median=1 business day, p90=2 business days)"\n'
    )
    given = {"speakers": "a@example.com,b@example.com"}

    without = await simulate(tmp_path / "confirm.mops", runs=3, seed=1, inputs=given)
    with_events = await simulate(
        tmp_path / "confirm.mops", runs=3, seed=1, inputs=given, responses=tmp_path / "events.toml"
    )

    assert without.outcomes == {"failed": 3}
    assert set(_short(without.reasons, tmp_path)) == {
        "failed: confirm.mops:11:7: a@example.com did not confirm"
    }
    assert with_events.outcomes == {"completed": 3}
    # Each speaker confirmed in a day or two, not at the 5-day deadline.
    assert max(with_events.durations) < min(without.durations)


async def test_a_campaign_nobody_answers_is_reported_as_stuck(folder: Path) -> None:
    (folder / "nobody.mops").write_text(
        PROCESS.replace("assign role writer", "assign role ghost").replace(
            "escalate to role lead\n    returns", "escalate to role ghost\n    returns"
        )
    )
    (folder / "team.toml").write_text(
        TEAM.replace('lead = "Leads"', 'lead = "Leads"\nghost = "No one"')
    )

    summary = await simulate(folder / "nobody.mops", runs=2, seed=1, inputs={"title": "x"})

    assert summary.outcomes == {"waiting": 2}
    # Nobody holds the role: nothing more will ever happen to it.
    assert list(summary.reasons) == ["waiting: still waits at 'draft' after 365 days"]


async def test_a_case_with_a_bad_value_names_the_case(tmp_path: Path) -> None:
    (tmp_path / "tiers.mops").write_text(TIERS)
    (tmp_path / "cases.csv").write_text("budget\n500 EUR\nlots\n")

    with pytest.raises(UserError) as raised:
        await simulate(tmp_path / "tiers.mops", runs=2, seed=1, cases=tmp_path / "cases.csv")

    assert "budget" in str(raised.value) and "(case 2)" in str(raised.value)


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[steps.check]\napprove = 0.9\nchanges = 0.2\n", "approve + changes must be at most 1"),
        ("[inputs.title]\none_of = []\n", "inputs.title.one_of must be a list of values"),
        ('[events."x"]\narrives = 0.5\n', "[events.x] needs 'after'"),
        ("[budget]\nx = 1\n", "no table [budget]"),
    ],
)
async def test_a_responses_file_mistake_is_explained(folder: Path, toml: str, message: str) -> None:
    (folder / "bad.toml").write_text(toml)

    with pytest.raises(UserError) as raised:
        await simulate(
            folder / "review.mops",
            runs=1,
            seed=1,
            responses=folder / "bad.toml",
            inputs={"title": "x"},
        )

    assert message in str(raised.value)
