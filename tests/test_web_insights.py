"""Insights in the people's app, on the real embedded server: an operator or auditor sees
the figures of finished campaigns (the same as ``mops insights --json``), filtered as
the command filters them, with no worker running; anyone else is refused and the
refusal is in the auditors' log."""

from __future__ import annotations

import asyncio
import json
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from mops_cli import MOPS
from waiting import eventually
from web_support import PASSWORD, WEBINAR, Harness, act, csrf, open_review, running, text

from engine.insights import brought_up_to_date
from mops.web import _insights, hash_password

pytestmark = pytest.mark.e2e


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[Harness]:
    async with running(Harness(tmp_path)) as harness:
        yield harness


async def _cancel(operator: httpx.AsyncClient, campaign: str) -> None:
    preview = await operator.get(f"/operate?verb=cancel&campaign={campaign}")
    done = await operator.post(
        "/operate",
        data={"csrf": csrf(preview.text), "verb": "cancel", "campaign": campaign, "reason": "-"},
    )
    assert "Cancel: 1 campaign" in text(done.text)


async def _ended(operator: httpx.AsyncClient, state: str, *campaigns: str) -> list[dict[str, Any]]:
    """Wait until the campaigns are listed in ``state`` (visibility lags a little)."""

    async def listed() -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = (
            await operator.get(f"/api/campaigns?process=webinar&state={state}")
        ).json()
        assert {r["id"] for r in rows} >= set(campaigns)
        return rows

    return await eventually(listed)


def _mops_insights(app: Harness, *args: str) -> Any:
    done = subprocess.run(
        [str(MOPS), "insights", "--json", *args],
        env=app.env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


async def test_an_operator_reads_the_figures_of_finished_campaigns(app: Harness) -> None:
    approved = await open_review(app)
    async with app.signed_in("ana") as ana:
        done = await act(ana, approved, "review", "approve", comment="Good")
        assert "is approved" in text(done.text)
    cancelled = await app.start_campaign(title="Autumn webinar")
    # A second version of the process: the same steps, another title.
    webinar = app.folder / "processes" / "webinar.mops"
    webinar.write_text(WEBINAR.replace("Spring webinar launch", "Webinar launch"))
    newer = await app.start_campaign(title="Winter webinar")
    async with app.signed_in("olga") as olga:
        await _cancel(olga, cancelled)
        await _cancel(olga, newer)
        first = (await _ended(olga, "completed", approved))[0]["version"]
        rows = await _ended(olga, "cancelled", cancelled, newer)
        second = next(r["version"] for r in rows if r["id"] == newer)
        assert first != second
        await app.stop_worker()  # insights need no worker

        page = await olga.get("/insights?process=webinar")
        assert page.status_code == 200, page.text
        assert 'href="/insights"' in page.text  # in the navigation
        shown = text(page.text)
        assert f"version {first[:12]}" in shown
        assert "2 campaigns: 1 completed, 0 failed, 1 cancelled, 0 running" in shown
        assert "1 campaigns: 0 completed, 0 failed, 1 cancelled, 0 running" in shown
        assert "Where the time goes" in shown and "<svg" in page.text
        assert "review" in shown  # a step of the process, in the steps' table
        assert "two versions side by side" in shown

        # The same filters as the command: a version, two versions, start dates.
        only = text((await olga.get(f"/insights?process=webinar&version={first[:6]}")).text)
        assert f"version {first[:12]}" in only and f"version {second[:12]}" not in only
        both = await olga.get(f"/insights?process=webinar&version={first}&version={second}")
        assert "two versions side by side" in text(both.text)
        later = await olga.get("/insights?process=webinar&since=2100-01-01")
        assert "No campaign matches." in text(later.text)
        assert "No campaign matches." in text((await olga.get("/insights?process=lead")).text)

        # The JSON API answers what `mops insights --json` prints for the same filters.
        api = await olga.get("/api/insights?process=webinar")
        assert api.status_code == 200
        figures = api.json()
        (pair,) = figures["compared"]
        assert (pair["before"]["version"][:12], pair["after"]["version"][:12]) == (first, second)
        review = next(s for s in figures["versions"][0]["steps"] if s["step"] == "review")
        assert review["outcomes"] == {"approved": 1}
        command = await asyncio.to_thread(_mops_insights, app, "--process", "webinar")
        assert command == figures
        picked = await olga.get(f"/api/insights?process=webinar&version={second[:5]}")
        assert (
            picked.json()["versions"]
            == (
                await asyncio.to_thread(
                    _mops_insights, app, "--process", "webinar", "--version", second[:5]
                )
            )["versions"]
        )


async def test_only_operators_and_auditors_read_insights(
    app: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with app.signed_in("ana") as ana:
        assert 'href="/insights"' not in (await ana.get("/")).text
        refused = await ana.get("/insights")
        assert refused.status_code == 403
        assert "Insights are for operators and auditors" in text(refused.text)
        assert (await ana.get("/api/insights")).status_code == 403
    refusals = [e for e in app.backend.store.security_log() if e.kind == "refused"]
    assert {(e.person, e.detail.split(":")[0]) for e in refusals} == {
        ("ana", "403 GET /insights"),
        ("ana", "403 GET /api/insights"),
    }

    # An auditor reads them; a refresh that takes long is said, not waited for.
    app.backend.store.set_account("max", hash_password(PASSWORD), ("audit",))
    slow = asyncio.Event()

    async def slow_refresh(*args: Any, **kwargs: Any) -> Any:
        await slow.wait()
        return await brought_up_to_date(*args, **kwargs)

    monkeypatch.setattr(_insights, "brought_up_to_date", slow_refresh)
    monkeypatch.setattr(_insights, "PATIENCE", 0.1)
    async with app.signed_in("max") as auditor:
        first = await auditor.get("/insights")
        assert first.status_code == 200
        assert "being brought up to date" in text(first.text)
        api = await auditor.get("/api/insights")
        assert api.json()["versions"] == []
        assert "being brought up" in api.headers["x-mops-insights-behind"]
        slow.set()

        async def caught_up() -> None:
            again = await auditor.get("/insights")
            assert "being brought up" not in again.text

        await eventually(caught_up)

        # The API's figures are described field by field in its OpenAPI document.
        schema = (await auditor.get("/api/openapi.json")).json()
        answer = schema["paths"]["/api/insights"]["get"]["responses"]["200"]
        assert answer["content"]["application/json"]["schema"]["$ref"].endswith("/Figures")
        assert "escalation_rate" in schema["components"]["schemas"]["StepFigures"]["properties"]

        # A filter that is not one is a 422 that says why, never a traceback.
        for query, why in (
            ("since=last+week", "since 'last week' is not a date"),
            ("since=2026-12-01&until=2026-11-01", "since must come before until"),
            ("version=v1.2", "version 'v1.2' is not a version"),
        ):
            page = await auditor.get(f"/insights?{query}")
            assert page.status_code == 422 and why in text(page.text), query
            answer = await auditor.get(f"/api/insights?{query}")
            assert answer.status_code == 422 and why in answer.json()["detail"], query
