"""Notices about a work item or approval bring people into the app: a link to the task
page, and an approve-by-email link that is signed for the recipient, expires, and
cannot be changed into another person's or another step's."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import json
import re
from pathlib import Path

import pytest
from smtpserver import smtp_server
from temporalio.testing import ActivityEnvironment

from engine.client import BadLink, email_link, read_link
from engine.contracts import NoticeFact, NoticeKind, TaskRequest
from workers import EgressConfig, SmtpConfig, WorkerConfig, builtin_registry

TEAM = """\
[roles]
editor = "Reviews drafts"

[people.ana]
name = "Ana Schmidt"
email = "ana@acme.com"
roles = ["editor"]
"""
KEY = b"k" * 32


async def test_a_notice_carries_the_task_page_and_a_signed_link_for_its_recipient(
    tmp_path: Path,
) -> None:
    (tmp_path / "team.toml").write_text(TEAM)
    (tmp_path / "links.key").write_bytes(KEY)
    with smtp_server() as mailbox:
        config = WorkerConfig(
            smtp=SmtpConfig(host="127.0.0.1", port=mailbox.port, sender="mops@acme.com"),
            directory_file=tmp_path / "team.toml",
            egress=EgressConfig(allow=("127.0.0.1",)),
            app_url="https://mops.acme.example",
            link_key_file=tmp_path / "links.key",
        )
        registry = builtin_registry()
        notify = dict(zip(registry.names, registry.activities(config=config), strict=True))[
            "notify.send"
        ]
        env = ActivityEnvironment()
        env.info = dataclasses.replace(env.info, workflow_id="webinar-1", activity_id="r.1")
        request = TaskRequest(
            step="review",
            title="Reminder: 'Review the landing page' waits for you",
            source="webinar.mops:12:3",
            arguments={"to": ["role:editor"], "message": "It waits for you."},
            notice=NoticeFact(kind=NoticeKind.REMINDER, step="review", to=("role:editor",)),
        )
        await env.run(notify, request)
        [mail] = mailbox.received
    part = mail.message.get_body()
    assert part is not None
    body = part.get_content()
    assert "Open it: https://mops.acme.example/tasks/webinar-1/review" in body
    found = re.search(r"https://mops\.acme\.example/email/(\S+)", body)
    assert found, body
    claim = read_link(KEY, found.group(1))
    assert (claim.campaign, claim.step, claim.person) == ("webinar-1", "review", "ana")
    assert claim.expires > dt.datetime.now(dt.UTC) + dt.timedelta(days=6)


def test_a_link_cannot_be_changed_forged_or_used_after_it_expires() -> None:
    url = email_link(KEY, "https://app", campaign="c-1", step="review", person="ana")
    token = url.rsplit("/", 1)[1]
    body, mac = token.split(".")
    # Another person's name in the same link: the signature no longer matches.
    claim = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    claim["person"] = "zoe"
    forged = base64.urlsafe_b64encode(json.dumps(claim).encode()).decode().rstrip("=")
    with pytest.raises(BadLink, match="changed"):
        read_link(KEY, f"{forged}.{mac}")
    with pytest.raises(BadLink, match="changed"):
        read_link(b"another key of 32 bytes........", token)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=8)
    with pytest.raises(BadLink, match="expired"):
        read_link(KEY, token, now=later)
    assert read_link(KEY, token).person == "ana"
