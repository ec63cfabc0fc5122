"""Operators and auditors in the app: the start form typed from the process's inputs,
campaigns, one campaign with its report and signed export, pause/resume/cancel with a
preview first; and an escalation reaching the escalation target's inbox."""

from __future__ import annotations

import asyncio
import re
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from mops_cli import MOPS
from waiting import eventually
from web_support import Harness, csrf, text

from engine.client import campaign_status

pytestmark = pytest.mark.e2e

QUICK = """\
process quick "A review that escalates at once"
  input title: text
  approval review "Review the quick page"
    by role editor
    deadline 2 seconds
    escalate to role cmo
"""


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[Harness]:
    harness = Harness(tmp_path)
    (tmp_path / "processes" / "quick.mops").write_text(QUICK)
    await harness.start()
    harness.start_worker()
    try:
        yield harness
    finally:
        await harness.close()


async def test_operators_start_watch_pause_and_cancel_with_a_preview(
    app: Harness, tmp_path: Path
) -> None:
    async with app.signed_in("ana") as ana:
        assert (await ana.get("/campaigns")).status_code == 403  # an editor is no operator
        assert (await ana.get("/start/webinar")).status_code == 403
    async with app.signed_in("olga") as olga:
        listing = await olga.get("/start")
        assert "webinar" in listing.text and "lead" in listing.text
        form = await olga.get("/start/webinar")
        assert "(money, optional)" in text(form.text)
        bad = await olga.post(
            "/start/webinar", data={"csrf": csrf(form.text), "title": "", "budget": "lots"}
        )
        assert bad.status_code == 422
        assert "required" in text(bad.text)
        assert "is not an amount with a currency" in text(bad.text)
        started = await olga.post(
            "/start/webinar",
            data={"csrf": csrf(form.text), "title": "Spring webinar", "budget": "25000 EUR"},
        )
        campaign = re.search(r'/campaigns/([^"]+)"', started.text)
        assert campaign
        run = campaign.group(1)

        async def listed() -> None:
            rows = await olga.get("/campaigns?process=webinar")
            assert run in rows.text

        await eventually(listed)
        page = await olga.get(f"/campaigns/{run}")
        assert "25,000.00 EUR" in text(page.text)
        assert "Write the landing page" in page.text
        report = await olga.get(f"/campaigns/{run}/report")
        assert report.status_code == 200 and "<svg" in report.text
        export = await olga.get(f"/campaigns/{run}/export?format=jsonl")
        assert export.headers["content-disposition"] == f'attachment; filename="{run}.jsonl"'
        (tmp_path / "export.jsonl").write_text(export.text)
        verified = await asyncio.to_thread(
            subprocess.run,
            [
                str(MOPS),
                "audit",
                "verify",
                str(tmp_path / "export.jsonl"),
                "--head",
                export.headers["x-mops-chain-head"],
                "--trust",
                str(app.settings.state_dir / "trust.toml"),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        assert verified.returncode == 0, verified.stdout + verified.stderr
        assert "intact" in verified.stdout

        # Pause: a preview first (a GET changes nothing), then the button.
        preview = await olga.get("/operate?verb=pause&process=webinar")
        assert run in preview.text and "This would pause 1 campaign" in text(preview.text)
        assert (await campaign_status(app.client, run)).state != "paused"
        done = await olga.post(
            "/operate",
            data={"csrf": csrf(preview.text), "verb": "pause", "process": "webinar", "reason": "x"},
        )
        assert "Pause: 1 campaign" in text(done.text)

        async def paused() -> None:
            assert (await campaign_status(app.client, run)).state == "paused"

        await eventually(paused)
        cancel = await olga.get(f"/operate?verb=cancel&campaign={run}")
        done = await olga.post(
            "/operate",
            data={"csrf": csrf(cancel.text), "verb": "cancel", "campaign": run, "reason": "test"},
        )
        assert "Cancel: 1 campaign" in text(done.text)

        async def cancelled() -> None:
            assert (await campaign_status(app.client, run)).state == "cancelled"

        await eventually(cancelled)


async def test_an_escalation_appears_in_the_escalation_targets_inbox(app: Harness) -> None:
    campaign = await app.start_campaign("quick", title="Quick")
    async with app.signed_in("max") as cmo:

        async def escalated() -> str:
            inbox = await cmo.get("/")
            assert "Review the quick page" in inbox.text
            return inbox.text

        inbox = await eventually(escalated)
        assert "escalated to you" in text(inbox)
        assert "overdue" in text(inbox)
        page = await cmo.get(f"/tasks/{campaign}/review")
        assert page.status_code == 200
