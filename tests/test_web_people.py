"""The people's app on the real embedded server: signed-in people work through their
inbox and task pages; what they decide is signed by the app for them, checked by the
campaign, and shown to the auditor as theirs; people without the role see nothing and
are refused. The browser here is httpx over the app's ASGI interface (cookies, forms,
CSRF tokens); tests/test_web_browser.py drives a real Chromium."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from waiting import eventually
from web_support import Harness, act, csrf, running, text

from engine.audit import campaign_timeline
from engine.client import campaign_status

pytestmark = pytest.mark.e2e


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[Harness]:
    async with running(Harness(tmp_path)) as harness:
        yield harness


async def test_the_webinar_flow_in_the_app_with_rework_and_signed_decisions(
    app: Harness,
) -> None:
    campaign = await app.start_campaign(title="Spring webinar", budget="25000 EUR")

    async with app.signed_in("cleo") as cleo:

        async def cleo_sees_the_draft() -> str:
            inbox = await cleo.get("/")
            assert "Write the landing page" in inbox.text, inbox.text
            return inbox.text

        inbox = await eventually(cleo_sees_the_draft)
        assert "<title>(1) Inbox" in inbox
        assert "role writer" in text(inbox)
        page = await cleo.get(f"/tasks/{campaign}/draft")
        assert "Spring webinar launch" in page.text
        assert "25,000.00 EUR" in text(page.text)  # the inputs, as people read them

        # A wrong value is shown beside its field; nothing is sent.
        wrong = await act(cleo, campaign, "draft", "complete", doc_url="not-a-url", words="420")
        assert wrong.status_code == 422
        assert "is not a web address" in text(wrong.text)
        done = await act(
            cleo, campaign, "draft", "complete", doc_url="https://docs.acme.example/v1", words="420"
        )
        assert done.status_code == 200, done.text
        assert "Confirmed: 'Write the landing page' is completed" in text(done.text)

    async with app.signed_in("ana") as ana:

        async def ana_sees_the_review() -> None:
            assert "Review the landing page" in (await ana.get("/")).text

        await eventually(ana_sees_the_review)
        rejected = await act(
            ana, campaign, "review", "reject", comment="Remove the 'best in class' claim"
        )
        assert "Confirmed: 'Review the landing page' is rejected" in text(rejected.text)

    async with app.signed_in("cleo") as cleo:
        # Round 2 of the draft: the rejection's comment reaches the author on the task.
        async def draft_again() -> str:
            page = await cleo.get(f"/tasks/{campaign}/draft")
            assert page.status_code == 200 and "round 2" in page.text
            return page.text

        draft = await eventually(draft_again)
        assert "Remove the 'best in class' claim" in text(draft)
        assert "ana rejected" in text(draft)
        done = await act(
            cleo, campaign, "draft", "complete", doc_url="https://docs.acme.example/v2", words="400"
        )
        assert "is completed" in done.text
        # The author may not review her own draft: the inbox does not offer it.
        assert "Review the landing page" not in (await cleo.get("/")).text

    async with app.signed_in("ana") as ana:
        await eventually(ana_sees_the_review)
        approved = await act(ana, campaign, "review", "approve", comment="Good to go")
        assert "is approved" in approved.text

    async def completed() -> None:
        assert (await campaign_status(app.client, campaign)).state == "completed"

    await eventually(completed)
    timeline = await campaign_timeline(app.client, campaign)
    ana_approves = [e for e in timeline.entries if e.what == "approved" and e.actor == "ana"]
    assert ana_approves, timeline.entries
    auth = ana_approves[-1].auth
    assert auth is not None
    assert auth.method == "web_login"
    assert auth.key_id == app.backend.signer.key_id
    assert auth.asserted_by is None  # the person's own act, vouched for by the app


async def test_a_person_without_the_role_sees_no_task_and_a_forged_post_is_refused(
    app: Harness,
) -> None:
    campaign = await app.start_campaign(title="Spring webinar")
    async with app.signed_in("cleo") as cleo:

        async def open_for_cleo() -> str:
            page = await cleo.get(f"/tasks/{campaign}/draft")
            assert page.status_code == 200
            return page.text

        cleos_page = await eventually(open_for_cleo)
    async with app.signed_in("zoe") as zoe:
        inbox = await zoe.get("/")
        assert "Nothing waits for you" in inbox.text
        assert (await zoe.get(f"/tasks/{campaign}/draft")).status_code == 404
        home = await zoe.get("/account")
        forged = await zoe.post(
            f"/tasks/{campaign}/draft",
            data={
                "csrf": csrf(home.text),
                "action": "complete",
                "doc_url": "https://evil.example",
                "words": "1",
                "decision_id": "forged0000000001",
            },
        )
        assert forged.status_code == 403
        # Zoe's own CSRF token on Cleo's form does not pass either way round.
        stolen = await zoe.post(
            f"/tasks/{campaign}/draft",
            data={"csrf": csrf(cleos_page), "action": "complete"},
        )
        assert stolen.status_code == 403
    log = app.backend.store.security_log()
    assert any(e.kind == "refused" and e.person == "zoe" and "draft" in e.detail for e in log)
    assert any("bad CSRF token" in e.detail for e in log)

    async def refusal_recorded() -> None:
        status = await campaign_status(app.client, campaign)
        assert any(r.actor == "zoe" for r in status.refused), status.refused

    await eventually(refusal_recorded)
    status = await campaign_status(app.client, campaign)
    assert [i.step for i in status.open_items] == ["draft"]  # nothing was decided


async def test_sessions_cookies_csrf_and_the_sign_in_rate_limit(app: Harness) -> None:
    async with app.browser() as browser:
        first = await browser.get("/")
        assert first.status_code == 303 and first.headers["location"].startswith("/login")
        form = await browser.get("/login")
        token = csrf(form.text)
        wrong = {"person": "ana", "password": "nope", "csrf": token, "next": "/"}
        for _ in range(5):
            refused = await browser.post("/login", data=wrong)
            assert refused.status_code == 401
            assert "Wrong name or password" in refused.text
        # The right password, but too many failures just before: paused.
        right = {**wrong, "password": "correct horse battery"}
        paused = await browser.post("/login", data=right)
        assert paused.status_code == 429
        # A sign-in form without its token is refused, whatever the password.
        assert (await browser.post("/login", data={**right, "csrf": "x"})).status_code == 403
    kinds = [e.kind for e in app.backend.store.security_log()]
    assert kinds.count("sign_in_failed") == 5 and "rate_limited" in kinds

    # Another address: the pause holds for ana and for the address that failed.
    async with app.browser("127.0.0.2") as browser:
        form = await browser.get("/login")
        done = await browser.post(
            "/login",
            data={"person": "cleo", "password": "correct horse battery", "csrf": csrf(form.text)},
        )
        cookie = done.headers["set-cookie"]
        assert "mops_session=" in cookie
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
        assert any(
            e.kind == "sign_in" and e.person == "cleo" for e in app.backend.store.security_log()
        )
        # Every POST needs the session's CSRF token.
        no_token = await browser.post("/away", data={"to": "ana"})
        assert no_token.status_code == 403
        # Signing out ends the session on the server, not only in the browser.
        page = await browser.get("/")
        stale = browser.cookies.get("mops_session")
        await browser.post("/logout", data={"csrf": csrf(page.text)})
        browser.cookies.set("mops_session", stale or "", domain="testserver")
        assert (await browser.get("/")).status_code == 303
