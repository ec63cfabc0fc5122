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

    assert first == again
    assert first.durations != other.durations
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
    assert ">p90</text>" in chart


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
