"""Choosing the campaigns of the figures (shared by ``mops insights`` and the people's app),
and the figures' documented shape; from recorded histories, no server needed."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

from test_insights import NOW, _facts

from engine.insights import Figures, Selection, Store, figures_of, report, store_file


@dataclasses.dataclass(frozen=True)
class _Where:
    address: str
    namespace: str
    embedded: bool


def _three_versions(tmp_path: Path) -> Path:
    """A store with one campaign of each of three versions of ``article``, a month apart."""
    campaigns = []
    for n, version in enumerate(("a" * 64, "b" * 64, "c" * 64)):
        facts = _facts("article_review.json")
        facts.version = version
        facts.campaign += f"-{n}"
        facts.started_at += dt.timedelta(days=30 * n)
        campaigns.append(facts)
    store = Store(tmp_path / "insights.sqlite3")
    store.save([*campaigns, _facts("completed_with_people.json")], NOW)
    store.close()
    return tmp_path / "insights.sqlite3"


def test_two_versions_named_are_put_side_by_side(tmp_path: Path) -> None:
    path = _three_versions(tmp_path)

    figures = figures_of(path, Selection(versions=("aaaa", "cccccc")), [], now=NOW)

    assert [v["version"][:1] for v in figures["versions"]] == ["a", "c"]
    (pair,) = figures["compared"]
    assert (pair["before"]["version"][:1], pair["after"]["version"][:1]) == ("a", "c")


def test_a_selection_by_process_and_start_date(tmp_path: Path) -> None:
    path = _three_versions(tmp_path)
    first = _facts("article_review.json").started_at
    since = first + dt.timedelta(days=15)

    figures = figures_of(path, Selection(process="article", since=since), [], now=NOW)

    assert [v["version"][:1] for v in figures["versions"]] == ["b", "c"]
    assert figures_of(path, Selection(process="nothing"), [], now=NOW)["versions"] == []


def test_the_figures_of_closed_campaigns_are_given_back_as_they_were_made(
    tmp_path: Path,
) -> None:
    path = _three_versions(tmp_path)

    made = figures_of(path, Selection(process="article"), [], now=NOW)
    again = figures_of(path, Selection(process="article"), [], now=NOW + dt.timedelta(days=1))

    assert again == made  # generated_at included: kept, not made again


def test_the_figures_have_the_documented_shape() -> None:
    figures = report([_facts("article_review.json"), _facts("completed_with_people.json")], now=NOW)

    checked = Figures.model_validate(figures)

    assert checked.model_dump(mode="json") == json.loads(json.dumps(figures))


def test_each_cluster_and_namespace_has_a_store_of_its_own(tmp_path: Path) -> None:
    embedded = store_file(tmp_path, _Where("127.0.0.1:7233", "default", embedded=True))
    moved = store_file(tmp_path, _Where("127.0.0.1:7299", "default", embedded=True))
    cluster = store_file(tmp_path, _Where("temporal.acme:7233", "marketing", embedded=False))
    other = store_file(tmp_path, _Where("temporal.acme:7233", "sales", embedded=False))

    assert embedded == moved == tmp_path / "insights.sqlite3"
    assert len({embedded, cluster, other}) == 3
