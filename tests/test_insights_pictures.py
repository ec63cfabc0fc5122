"""The pictures of docs/insights.md are this code's real output.

They are drawn from the histories of a seeded cohort of 100 webinar campaigns
run by ``mops simulate`` (the real interpreter on the time-skipping server),
read back through the same reader ``mops insights`` uses; their facts are kept
in tests/histories/webinar_cohort.sqlite3 (an analytics store) so the check needs
no server. Run
with MOPS_UPDATE_PICTURES=1 to run the cohort and draw them again.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
from collections.abc import Sequence
from pathlib import Path

import pytest
from temporalio.client import Client

from engine.audit import campaign_histories
from engine.insights import CampaignFacts, Store, charts, facts_of, report

ROOT = Path(__file__).resolve().parent.parent
PICTURES = ROOT / "docs" / "pictures"
COHORT = Path(__file__).parent / "histories" / "webinar_cohort.sqlite3"
NOW = dt.datetime(2035, 6, 1, tzinfo=dt.UTC)
UPDATE = bool(os.environ.get("MOPS_UPDATE_PICTURES"))
NAMES = ("bottlenecks", "response", "load")


async def _run_cohort() -> None:
    from bench.simulate import WEBINAR_RESPONSES
    from mops.cli._simulate import histogram_svg, simulate

    found: list[CampaignFacts] = []

    async def read(client: Client, campaigns: Sequence[str]) -> None:
        for campaign in campaigns:
            found.append(facts_of(await campaign_histories(client, campaign)))

    responses = PICTURES / "webinar.toml"
    responses.write_text(WEBINAR_RESPONSES)
    try:
        summary = await simulate(
            ROOT / "processes" / "webinar.mops",
            runs=100,
            seed=1,
            responses=responses,
            before_shutdown=read,
        )
    finally:
        responses.unlink()
    (PICTURES / "simulate-durations.svg").write_text(histogram_svg(summary))
    COHORT.unlink(missing_ok=True)
    store = Store(COHORT)
    store.save(found, None)
    store.close()


def _drawn() -> dict[str, str]:
    store = Store(COHORT)
    try:
        campaigns = store.load()
    finally:
        store.close()
    assert len(campaigns) == 100
    return charts(report(campaigns, now=NOW)["versions"][0])


@pytest.fixture(scope="module")
def drawn() -> dict[str, str]:
    if UPDATE:
        PICTURES.mkdir(exist_ok=True)
        asyncio.run(_run_cohort())
        for name, svg in _drawn().items():
            (PICTURES / f"insights-{name}.svg").write_text(svg)
    return _drawn()


@pytest.mark.parametrize("name", NAMES)
def test_the_pictures_in_the_docs_are_what_the_code_draws(name: str, drawn: dict[str, str]) -> None:
    path = PICTURES / f"insights-{name}.svg"

    assert path.read_text() == drawn[name]
    assert f"pictures/insights-{name}.svg" in (ROOT / "docs" / "insights.md").read_text()


def test_the_duration_histogram_in_the_docs_comes_from_a_simulation() -> None:
    drawn = (PICTURES / "simulate-durations.svg").read_text()

    assert "100 simulated campaigns" in drawn
    assert ">business days from start to end</text>" in drawn and ">campaigns</text>" in drawn
