"""Approve by e-mail, decisions with no worker running, the JSON API with personal and
integration tokens, and signed inbound events: each promise attacked the way an
outsider (or a mail scanner) would, on the real embedded server."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import re
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from waiting import eventually
from web_support import Harness, act, open_review, running, text

from engine.client import campaign_status, email_link
from mops.web import Integration, integration_signer

pytestmark = pytest.mark.e2e


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[Harness]:
    async with running(Harness(tmp_path)) as harness:
        yield harness


async def test_an_email_link_decides_only_on_its_confirmation_button_and_only_once(
    app: Harness,
) -> None:
    campaign = await open_review(app)
    url = email_link(
        app.backend.link_key, "https://testserver", campaign=campaign, step="review", person="ana"
    )
    path = url.removeprefix("https://testserver")
    async with app.browser() as scanner:
        # A mail scanner opens the link (twice): a page, and nothing decided.
        for _ in range(2):
            opened = await scanner.get(path)
            assert opened.status_code == 200
            assert "Nothing has been decided yet" in text(opened.text)
        status = await campaign_status(app.client, campaign)
        assert [i.step for i in status.open_items] == ["review"]
        assert not status.open_items[0].decisions
        # A POST that did not come from the page is refused.
        forged = await scanner.post(path, data={"action": "approve"})
        assert forged.status_code == 403
        confirm = re.search(r'name="confirm" value="([^"]+)"', opened.text)
        assert confirm
        done = await scanner.post(path, data={"action": "approve", "confirm": confirm.group(1)})
        assert done.status_code == 200
        assert "'Review the landing page' is approved" in text(done.text)
        again = await scanner.post(path, data={"action": "approve", "confirm": confirm.group(1)})
        assert again.status_code == 410
        assert "already used" in again.text
        expired = email_link(
            app.backend.link_key,
            "https://testserver",
            campaign=campaign,
            step="review",
            person="ana",
            now=dt.datetime.now(dt.UTC) - dt.timedelta(days=8),
        )
        assert (await scanner.get(expired.removeprefix("https://testserver"))).status_code == 410
    log = [e.detail for e in app.backend.store.security_log()]
    assert any("replayed" in d for d in log)
    assert any("expired" in d for d in log)
    assert any("without its form" in d for d in log)

    async def completed() -> None:
        assert (await campaign_status(app.client, campaign)).state == "completed"

    await eventually(completed)


async def test_with_no_worker_the_inbox_answers_and_a_decision_is_pending_then_confirmed(
    app: Harness,
) -> None:
    campaign = await open_review(app)
    await app.stop_worker()
    async with app.signed_in("ana") as ana:
        inbox = await ana.get("/")  # from visibility: no worker needed
        assert "Review the landing page" in inbox.text
        page = await ana.get(f"/tasks/{campaign}/review")
        assert "cannot take your decision now" in text(page.text)
        sent = await act(ana, campaign, "review", "approve", comment="Fine")
        assert "Pending:" in text(sent.text)
        update = re.search(r'hx-get="/decisions/([0-9a-f]+)"', sent.text)
        assert update, sent.text
        still = await ana.get(f"/decisions/{update.group(1)}", headers={"HX-Request": "true"})
        assert 'data-state="pending"' in still.text
        app.start_worker()

        async def confirmed() -> None:
            found = await ana.get(f"/decisions/{update.group(1)}", headers={"HX-Request": "true"})
            assert 'data-state="confirmed"' in found.text, found.text

        await eventually(confirmed)

    async def completed() -> None:
        assert (await campaign_status(app.client, campaign)).state == "completed"

    await eventually(completed)


async def test_the_json_api_with_personal_tokens(app: Harness) -> None:
    campaign = await open_review(app)
    async with app.browser() as script:
        assert (await script.get("/api/tasks")).status_code == 401
        bad = await script.get("/api/tasks", headers={"Authorization": "Bearer mops_pat_nope"})
        assert bad.status_code == 401
        wrong = await script.post("/api/tokens", json={"person": "ana", "password": "no"})
        assert wrong.status_code == 401
        made = await script.post(
            "/api/tokens", json={"person": "ana", "password": "correct horse battery"}
        )
        token = made.json()["token"]
        assert token.startswith("mops_pat_")
        auth = {"Authorization": f"Bearer {token}"}
        tasks = (await script.get("/api/tasks", headers=auth)).json()
        assert [(t["campaign"], t["step"], t["via"]) for t in tasks] == [
            (campaign, "review", "role editor")
        ]
        # An editor is no operator: the API refuses her operator calls.
        refused = await script.post(
            "/api/operate", headers=auth, json={"verb": "pause", "campaign": campaign}
        )
        assert refused.status_code == 403
        decided = await script.post(
            f"/api/tasks/{campaign}/review/decision",
            headers=auth,
            json={"action": "approve", "comment": "by script", "decision_id": "script-0001"},
        )
        assert decided.json()["state"] == "confirmed", decided.json()
        # The same decision id again: the same decision, not a second one.
        repeated = await script.post(
            f"/api/tasks/{campaign}/review/decision",
            headers=auth,
            json={"action": "approve", "decision_id": "script-0001"},
        )
        assert repeated.json()["update_id"] == "script-0001"
        assert repeated.json()["state"] == "confirmed"
        schema = (await script.get("/api/openapi.json")).json()
        assert "/api/tasks/{campaign}/{step}/decision" in schema["paths"]
        assert "/events/{name}" in schema["paths"]
    assert app.backend.store.token(token) is not None
    rows = app.backend.store._all("SELECT digest FROM tokens")
    assert all(token not in str(row) for row in rows)  # only its hash is kept


def standard_webhook(secret: str, body: bytes, *, stamp: int | None = None) -> dict[str, str]:
    message_id = f"msg_{time.time_ns()}"
    stamp = stamp or int(time.time())
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{message_id}.{stamp}.".encode() + body
    signature = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(stamp),
        "webhook-signature": f"v1,{signature}",
        "X-Mops-Integration": "crm",
        "Content-Type": "application/json",
    }


async def test_inbound_events_are_signed_per_integration_or_refused(app: Harness) -> None:
    secret = "whsec_" + base64.b64encode(b"s" * 32).decode()
    app.backend.store.set_integration(
        Integration(name="crm", secret=secret, scheme="standard-webhooks", events=("lead.*",))
    )
    integration_signer(app.settings.state_dir, "crm")
    # The worker reads the trust file when it starts: start it again to trust the new key.
    await app.stop_worker()
    app.start_worker()
    campaign = await app.start_campaign("lead", email="jo@news.example")
    body = json.dumps({"key": "jo@news.example", "data": {"answer": "Will attend"}}).encode()
    async with app.browser() as crm:
        unsigned = await crm.post("/events/lead.replied", content=body)
        assert unsigned.status_code == 401
        headers = standard_webhook(secret, body)
        tampered = await crm.post("/events/lead.replied", content=body + b" ", headers=headers)
        assert tampered.status_code == 401
        old = standard_webhook(secret, body, stamp=int(time.time()) - 3600)
        assert (
            await crm.post("/events/lead.replied", content=body, headers=old)
        ).status_code == 401
        other = standard_webhook(secret, body)
        assert (await crm.post("/events/deal.won", content=body, headers=other)).status_code == 403

        async def delivered() -> None:
            fresh = standard_webhook(secret, body)
            sent = await crm.post("/events/lead.replied", content=body, headers=fresh)
            assert sent.status_code == 200, sent.text
            assert sent.json()["delivered_to"] == [campaign]
            replay = await crm.post("/events/lead.replied", content=body, headers=fresh)
            assert replay.status_code == 401

        await eventually(delivered)

    async def completed() -> None:
        status = await campaign_status(app.client, campaign)
        assert status.state == "completed" and status.outputs["said"] == "Will attend"

    await eventually(completed)
    refusals = [e.detail for e in app.backend.store.security_log() if e.kind == "refused"]
    assert any("bad signature" in d for d in refusals)
    assert any("too old" in d for d in refusals)
