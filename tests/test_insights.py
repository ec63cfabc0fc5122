"""``mops insights``' figures, from recorded campaign histories (no server needed)."""

from __future__ import annotations

import datetime as dt
import math
import random
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory

from engine.insights import (
    CampaignFacts,
    Store,
    calibrate,
    charts,
    facts_of,
    fit_times,
    html,
    report,
    text,
)

HISTORIES = Path(__file__).parent / "histories"
NOW = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)


def _facts(name: str) -> CampaignFacts:
    path = next(HISTORIES.rglob(name))
    return facts_of([WorkflowHistory.from_json(path.stem, path.read_text())])


def test_a_campaign_with_people_gives_rounds_answers_and_where_the_time_went() -> None:
    facts = _facts("article_review.json")

    assert facts.state == "completed"
    assert [(r.step, r.number) for r in facts.rounds] == [
        ("draft", 1),
        ("review", 1),
        ("draft", 2),
        ("review", 2),
    ]
    assert {a.actor for a in facts.answers} == {"ana", "cleo", "eve"}
    # The business time of the whole campaign is the sum of what its steps took here.
    assert facts.business_seconds == pytest.approx(sum(s.business_seconds for s in facts.spans))


def test_the_figures_rank_the_bottlenecks_and_find_rule_rows_that_never_fire() -> None:
    figures = report([_facts("article_review.json")], now=NOW)
    article = figures["versions"][0]

    assert article["campaigns"]["started"] == 1
    assert article["campaigns"]["completed"] == 1
    assert [b["step"] for b in article["bottlenecks"]][:2] == ["draft", "wait_line_20"]
    assert article["bottlenecks"][0]["mostly"] == "people"
    draft = next(s for s in article["steps"] if s["step"] == "draft")
    assert draft["escalation_rate"] == 1.0
    assert draft["rework_rounds"] == 1.0
    assert draft["deadline"] == {"met": 1, "missed": 1}
    assert [(r["line"], r["fired"]) for r in article["rules"]] == [(17, 0), (18, 1), (19, 0)]
    shown = text(figures)
    assert "rows that never fired: tier line 17, tier line 19" in shown
    assert "eve" in shown and "covered" in shown


def test_two_versions_of_a_process_are_compared_side_by_side() -> None:
    old = _facts("article_review.json")
    new = _facts("article_review.json")
    new.version = "f" * 64
    new.started_at += dt.timedelta(days=30)

    figures = report([old, new], now=NOW)

    assert [pair["process"] for pair in figures["compared"]] == ["article"]
    pair = figures["compared"][0]
    assert pair["before"]["version"] == old.version and pair["after"]["version"] == new.version
    assert f"version {old.version[:12]} -> ffffffffffff" in text(figures)


def test_the_store_gives_back_what_it_was_given(tmp_path: Path) -> None:
    campaigns = [_facts("article_review.json"), _facts("completed_with_people.json")]
    store = Store(tmp_path / "insights.sqlite3")
    store.save(campaigns, NOW)
    store.close()

    again = Store(tmp_path / "insights.sqlite3")
    loaded = again.load()
    only = again.load(process="article")

    assert again.watermark == NOW
    assert loaded == campaigns
    assert [f.process for f in only] == ["article"]
    assert report(loaded, now=NOW) == report(campaigns, now=NOW)


def test_the_page_has_charts_with_axes_and_labels() -> None:
    figures = report([_facts("article_review.json")], now=NOW)

    page = html(figures)
    pictures = charts(figures["versions"][0])

    assert page.count("<svg ") == 3 and "<script" not in page
    assert ">business hours, all campaigns together</text>" in pictures["bottlenecks"]
    assert ">waiting for people</text>" in pictures["bottlenecks"]
    assert ">open work items</text>" in pictures["load"]


def test_a_lognormal_is_fitted_back_from_its_samples() -> None:
    rng = random.Random(7)
    median, p90 = 6.0, 20.0
    sigma = math.log(p90 / median) / 1.2815515655446004
    samples = [rng.lognormvariate(math.log(median), sigma) for _ in range(400)]

    fitted = fit_times(samples)

    assert fitted is not None
    assert fitted.median == pytest.approx(median, rel=0.1)
    assert fitted.p90 == pytest.approx(p90, rel=0.15)


def test_calibration_reads_people_and_actions_from_the_facts() -> None:
    campaigns = [_facts("article_review.json"), _facts("completed_with_people.json")]

    found = calibrate(campaigns * 2)

    assert set(found.roles) >= {"writer", "editor"}
    assert found.roles["editor"]["approvals"] > 0
    assert "[roles.writer]" in found.toml()
    assert all(0 <= a["fail"] <= 1 for a in found.actions.values())


def test_the_store_keeps_the_figures_of_one_selection(tmp_path: Path) -> None:
    store = Store(tmp_path / "insights.sqlite3")
    figures = report([_facts("article_review.json")], now=NOW)

    store.keep_figures("a", figures)
    store.keep_figures("b", {"versions": []})

    assert store.figures("a") is None  # only the latest selection is kept
    assert store.figures("b") == {"versions": []}
    store.clear()
    assert store.figures("b") is None
