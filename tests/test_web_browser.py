"""The webinar flow in a real browser (Playwright driving Debian's Chromium, headless),
end to end on the embedded server, with ``mops serve --with-worker`` as a user starts
it, a real SMTP server for the notices, and a real OpenID Connect provider process for
single sign-on. Screenshots of the inbox, a task page and a campaign page are taken
on the way; with ``MOPS_UPDATE_SCREENSHOTS=1`` they replace those in docs/images."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from mops_cli import ROOT, free_port
from smtpserver import Mailbox, smtp_server
from waiting import wait_until
from web_serve import PASSWORD, Served

pytestmark = pytest.mark.e2e

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = ("app-inbox.png", "app-task.png", "app-campaign.png")

WEBINAR = """\
process webinar "Spring webinar launch"
  input title: text
  input budget: money = 0 EUR

  work draft "Write the landing page"
    assign role writer
    returns doc_url: url, words: number
    deadline 2 business days
    remind every 20 seconds
    escalate to role cmo

  approval review "Review the landing page"
    by role editor
    not by draft.assignee
    deadline 1 business day
    escalate to role cmo after 4 seconds
    on reject -> draft
    at most 3 rounds, then fail "The review did not converge"

  output page = draft.doc_url
"""


def serve(folder: Path, mailbox: Mailbox, issuer: str) -> Served:
    """``mops serve --with-worker`` with the webinar, a real SMTP server for its notices
    and the OIDC provider for single sign-on."""
    return Served(
        folder,
        {"webinar": WEBINAR},
        env={
            "MOPS_SMTP_HOST": "127.0.0.1",
            "MOPS_SMTP_PORT": str(mailbox.port),
            "MOPS_OIDC_ISSUER": issuer,
            "MOPS_OIDC_CLIENT_ID": "mops-flow",
            "MOPS_OIDC_CLIENT_SECRET": "not-so-secret",
        },
    )


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    with smtp_server() as server:
        yield server


@pytest.fixture
def issuer() -> Iterator[str]:
    """A real OpenID Connect provider process that knows Ana by her e-mail."""
    port = free_port()
    claims = json.dumps({"sub": "ana-sso", "email": "ana@acme.example", "name": "Ana"})
    provider = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "oidc-provider-mock"),
            "--port",
            str(port),
            "--user-claims",
            claims,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"

    def up() -> bool:
        try:
            return httpx.get(f"{url}/.well-known/openid-configuration", timeout=5).is_success
        except httpx.HTTPError:
            return False

    wait_until(up, what="the OIDC provider")
    try:
        yield url
    finally:
        provider.terminate()
        provider.wait(timeout=60)


@pytest.mark.skipif(not CHROMIUM.exists(), reason="chromium is not installed (dev.py installs it)")
def test_the_webinar_flow_in_chromium(tmp_path: Path, mailbox: Mailbox, issuer: str) -> None:
    from playwright.sync_api import Page, expect, sync_playwright

    app = serve(tmp_path, mailbox, issuer)
    shots = tmp_path / "shots"
    shots.mkdir()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)

            def person(who: str) -> Page:
                page = browser.new_context(viewport={"width": 1200, "height": 800}).new_page()
                page.goto(f"{app.url}/")
                page.fill("#person", who)
                page.fill("#password", PASSWORD)
                page.click("button:has-text('Sign in')")
                expect(page).to_have_title(re.compile(r"Inbox"))
                return page

            def reload_until(page: Page, text: str, url: str = "/") -> None:
                def shown() -> bool:
                    page.goto(f"{app.url}{url}")
                    return text in page.content()

                wait_until(shown, what=f"'{text}' on {page.url}")

            # An operator starts the campaign from the typed form.
            olga = person("olga")
            olga.click("text=Start a campaign")
            olga.click("text=webinar")
            olga.fill("#f-title", "Spring webinar")
            olga.fill("#f-budget", "25000 EUR")
            olga.click("button:has-text('Start')")
            expect(olga.locator(".banner.ok")).to_contain_text("started")
            campaign = olga.locator(".banner.ok a").inner_text()

            # The assignee signs in and completes the work item.
            cleo = person("cleo")
            reload_until(cleo, "Write the landing page")
            expect(cleo).to_have_title("(1) Inbox · MOps Flow")
            cleo.screenshot(path=str(shots / "app-inbox.png"), full_page=True)
            cleo.click("text=Write the landing page")
            expect(cleo.locator("dl.facts").first).to_contain_text("Spring webinar launch")
            cleo.fill("#f-doc_url", "not a url")
            cleo.fill("#f-words", "420")
            cleo.click("button:has-text('Complete')")
            expect(cleo.locator("#error-doc_url")).to_contain_text("web address")
            cleo.fill("#f-doc_url", "https://docs.acme.example/webinar-v1")
            cleo.fill("#f-words", "420")
            cleo.click("button:has-text('Complete')")
            expect(cleo.locator("#decision")).to_contain_text("is completed")

            # A person without the role sees no task and a forged POST is refused.
            zoe = person("zoe")
            expect(zoe.locator("main")).to_contain_text("Nothing waits for you")
            forged = zoe.request.post(
                f"{app.url}/tasks/{campaign}/review",
                form={"action": "approve", "csrf": _csrf(zoe), "decision_id": "forged-0001"},
            )
            assert forged.status == 403

            # The approver rejects with a comment.
            ana = person("ana")
            reload_until(ana, "Review the landing page")
            ana.click("text=Review the landing page")
            ana.fill("#comment", "Remove the 'best in class' claim")
            ana.click("button:has-text('Reject')")
            expect(ana.locator("#decision")).to_contain_text("is rejected")

            # The author sees the comment on the task, and a notice brings her to it.
            reload_until(cleo, "round 2")
            cleo.click("text=Write the landing page")
            expect(cleo.locator("#conversation")).to_contain_text(
                "Remove the 'best in class' claim"
            )
            cleo.screenshot(path=str(shots / "app-task.png"), full_page=True)

            def notice_for_cleo() -> bool:
                return any(
                    "cleo@acme.example" in m.rcpt_tos
                    and f"/tasks/{campaign}/draft" in _body(m)
                    and "Remove the 'best in class' claim" in _body(m)
                    for m in mailbox.received
                )

            wait_until(notice_for_cleo, what="a notice to Cleo with the comment and the task link")
            cleo.fill("#f-doc_url", "https://docs.acme.example/webinar-v2")
            cleo.fill("#f-words", "400")
            cleo.click("button:has-text('Complete')")
            expect(cleo.locator("#decision")).to_contain_text("is completed")

            # The review escalates to the CMO: it appears in his inbox, and his
            # e-mail's approve link, opened without its button, decides nothing.
            max_ = person("max")
            reload_until(max_, "Review the landing page")
            expect(max_.locator("#inbox")).to_contain_text("escalated to you")

            def link_for_max() -> str | None:
                for message in mailbox.received:
                    if "max@acme.example" in message.rcpt_tos:
                        found = re.search(r"(http://\S+/email/\S+)", _body(message))
                        if found:
                            return found.group(1)
                return None

            wait_until(lambda: link_for_max() is not None, what="the CMO's escalation e-mail")
            link = link_for_max()
            assert link is not None
            scanner = browser.new_context().new_page()
            scanner.goto(link)
            expect(scanner.locator("main")).to_contain_text("Nothing has been decided yet")
            scanner.goto(link)  # and again: still nothing decided
            status = app.mops.json("status", campaign)
            assert status["state"] == "running"
            assert [i["step"] for i in status["open_items"]] == ["review"]
            assert not status["open_items"][0]["decisions"]

            # Ana signs in with single sign-on this time and approves.
            sso = browser.new_context().new_page()
            sso.goto(f"{app.url}/login")
            sso.click("text=Sign in with single sign-on")
            sso.click("button:has-text('ana-sso')")
            expect(sso).to_have_title(re.compile(r"Inbox"))
            expect(sso.locator("header")).to_contain_text("sso")
            reload_until(sso, "Review the landing page")
            sso.click("text=Review the landing page")
            sso.fill("#comment", "Good to go")
            sso.click("button:has-text('Approve')")
            expect(sso.locator("#decision")).to_contain_text("is approved")

            # The campaign completes; the operator's campaign page shows it.
            app.mops.wait_for_state(campaign, {"completed"})
            olga.goto(f"{app.url}/campaigns/{campaign}")
            expect(olga.locator("h1")).to_contain_text("completed")
            # The audit report (diagram, path taken, timeline) is in its frame.
            report = olga.frame_locator("iframe.report")
            expect(report.locator("h1")).to_contain_text("Spring webinar launch")
            expect(report.locator("svg").first).to_be_visible()
            olga.screenshot(path=str(shots / "app-campaign.png"), full_page=True)
            browser.close()
        history = app.mops.json("history", campaign)
        approved = [e for e in history["entries"] if e["what"] == "approved"]
        assert approved[-1]["actor"] == "ana"
        assert approved[-1]["auth"]["method"] == "sso"
    finally:
        app.stop()
    if os.environ.get("MOPS_UPDATE_SCREENSHOTS") == "1":
        for name in SHOTS:
            shutil.copy(shots / name, ROOT / "docs" / "images" / name)
    for name in SHOTS:
        assert (shots / name).stat().st_size > 10_000
        assert f"images/{name}" in (ROOT / "docs" / "inbox.md").read_text()


def _csrf(page: object) -> str:
    content: str = page.content()  # type: ignore[attr-defined]
    found = re.search(r'name="csrf" value="([^"]+)"', content)
    assert found
    return found.group(1)


def _body(received: object) -> str:
    message = received.message  # type: ignore[attr-defined]
    part = message.get_body(preferencelist=("plain",))
    return str(part.get_content()) if part is not None else ""
