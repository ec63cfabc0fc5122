"""Notices about work items and approvals, worded on the worker from the campaign's typed
facts and delivered through real local SMTP and chat servers (issue 15: nobody was told
when a step opened, and subjects said nothing about what to do)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from httpserver import RecordingServer
from smtpserver import Mailbox, smtp_server
from support import (
    NOTICES,
    act,
    compile_text,
    new_task_queue,
    recorded_notify,
    registry_replacing,
    start,
    worker_for,
)
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment
from waiting import wait_open

from engine.contracts import NoticeFact, NoticeKind, TaskRequest
from engine.workflow.facts import Remark, Returned, TaskPurpose
from engine.workflow.team import Member, TeamSnapshot
from engine.workflow.work_items import Act
from workers import EgressConfig, SecretStore, SmtpConfig, WorkerConfig, builtin_registry

TEAM = """\
[roles]
writer = "Writes"
legal = "Checks claims"

[people.cleo]
name = "Cleo Park"
email = "cleo@acme.com"
roles = ["writer", "legal"]
time_zone = "Europe/Berlin"

[people.priya]
name = "Priya Nair"
email = "priya@acme.com"
roles = ["legal"]
time_zone = "America/New_York"

[people.ben]
name = "Ben Okafor"
email = "ben@acme.com"
roles = ["legal"]
notify = "webhook"
webhook_secret = "chat_ben"
time_zone = "Europe/Berlin"
"""

DUE = dt.datetime(2026, 3, 12, 16, 0, tzinfo=dt.UTC)  # 17:00 in Berlin


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    with smtp_server() as server:
        yield server


@pytest.fixture
def chat() -> Iterator[RecordingServer]:
    with RecordingServer.running() as server:
        yield server


async def deliver(
    tmp_path: Path,
    mailbox: Mailbox,
    chat: RecordingServer,
    notice: NoticeFact,
    *,
    app_url: str | None = "https://mops.acme.com/",
) -> dict[str, Any]:
    team = tmp_path / "team.toml"
    team.write_text(TEAM)
    config = WorkerConfig(
        smtp=SmtpConfig(host="127.0.0.1", port=mailbox.port, sender="mops@acme.com"),
        directory_file=team,
        egress=EgressConfig(allow=("127.0.0.1",)),
        app_url=app_url,
    )
    secrets = SecretStore(
        env={
            "MOPS_SECRET_CHAT_BEN": chat.url + "/hooks/ben",
            "MOPS_SECRET_CHAT_BEN_SEND_TO": chat.url + "/hooks",
        }
    )
    registry = builtin_registry()
    activities = registry.activities(config=config, secrets=secrets)
    notify = dict(zip(registry.names, activities, strict=True))["notify.send"]
    env = ActivityEnvironment()
    env.info = dataclasses.replace(
        env.info, workflow_id="webinar-20260309-0900-3fa2c1", activity_id="legal.notice.1"
    )
    request = TaskRequest(
        step=notice.step,
        title=f"Opened: '{notice.title}'",
        source="webinar.mops:30:3",
        # The campaign sends no sentence: the worker words the notice from its facts.
        arguments={"to": list(notice.to), "message": ""},
        purpose=TaskPurpose.NOTICE,
        notice=notice,
    )
    result: dict[str, Any] = await env.run(notify, request)
    return result


def opened(**more: Any) -> NoticeFact:
    facts: dict[str, Any] = {
        "kind": NoticeKind.OPENED,
        "step": "legal",
        "to": ("role:legal",),
        "title": "Legal review",
        "form": "approval",
        "round": 1,
        "process": "Webinar launch",
        "about": "Spring webinar",
        "deadline": DUE,
        "zone": "Europe/Berlin",
        "calendar": "DE",
    }
    return NoticeFact(**(facts | more))


def mail_to(mailbox: Mailbox, address: str) -> tuple[str, str]:
    [mail] = [m for m in mailbox.received if m.rcpt_tos == [address]]
    part = mail.message.get_body()
    assert part is not None
    # A long subject is folded onto two header lines: read it as one.
    content = str(part.get_content()).replace("\r\n", "\n")
    return " ".join(str(mail.message["Subject"]).split()), content


async def test_an_approval_that_opens_tells_each_approver_what_to_do_by_when_in_their_zone(
    tmp_path: Path, mailbox: Mailbox, chat: RecordingServer
) -> None:
    # Cleo wrote the draft: barred by separation of duties, she is not asked.
    result = await deliver(tmp_path, mailbox, chat, opened(barred=("cleo",)))
    assert result == {"delivered": ["priya by email", "ben by webhook"]}
    subject, body = mail_to(mailbox, "priya@acme.com")
    assert subject == "Approval needed: Legal review of 'Spring webinar' by Thu 12 Mar 12:00 EDT"
    assert "Due: Thu 12 Mar 2026, 12:00 EDT (counted in business time of the calendar DE)" in (body)
    assert "What to do: approve it, reject it or request changes" in body
    link = "https://mops.acme.com/tasks/webinar-20260309-0900-3fa2c1/legal"
    assert f"Open it: {link}" in body
    [post] = chat.requests
    assert post.json["text"].startswith(
        "*Approval needed: Legal review of 'Spring webinar' by Thu 12 Mar 17:00 CET*"
    )
    assert link in post.json["text"]


async def test_a_round_sent_back_carries_the_comments_to_the_author(
    tmp_path: Path, mailbox: Mailbox, chat: RecordingServer
) -> None:
    returned = Returned(
        step="legal",
        title="Legal review",
        outcome="rejected",
        round=1,
        remarks=(Remark(by="priya", action="reject", comment="Remove the 'best in class' claim"),),
    )
    notice = opened(
        step="draft",
        to=("role:writer",),
        title="Write the copy",
        form="work",
        round=2,
        returns=("doc_url",),
        returned=returned,
    )
    await deliver(tmp_path, mailbox, chat, notice, app_url=None)
    subject, body = mail_to(mailbox, "cleo@acme.com")
    assert body.strip() == _documented_notice().split("\n\nOpen it:")[0]
    assert (
        subject
        == "Rework needed: Write the copy of 'Spring webinar' (round 2) by Thu 12 Mar 17:00 CET"
    )
    assert "'Legal review' (round 1) sent it back: rejected." in body
    assert "priya (reject): \"Remove the 'best in class' claim\"" in body
    assert "What to do: complete it and hand in doc_url." in body
    assert "mops complete webinar-20260309-0900-3fa2c1 draft --as YOU -o doc_url=..." in body
    assert "Open it" not in body  # MOPS_APP_URL unset: no link


def _documented_notice() -> str:
    """The notice text docs/people.md shows (section "Notices")."""
    text = (Path(__file__).resolve().parent.parent / "docs" / "people.md").read_text()
    block = text.split("The text says the rest:\n\n```\n", 1)[1].split("\n```", 1)[0]
    return block


async def test_the_notice_docs_show_is_the_one_a_person_gets(
    tmp_path: Path, mailbox: Mailbox, chat: RecordingServer
) -> None:
    returned = Returned(
        step="legal",
        title="Legal review",
        outcome="rejected",
        round=1,
        remarks=(Remark(by="priya", action="reject", comment="Remove the 'best in class' claim"),),
    )
    notice = opened(
        step="draft",
        to=("person:cleo",),
        title="Write the copy",
        form="work",
        round=2,
        returns=("doc_url",),
        returned=returned,
    )
    await deliver(tmp_path, mailbox, chat, notice)
    _subject, body = mail_to(mailbox, "cleo@acme.com")
    assert body.strip() == _documented_notice()


@pytest.mark.parametrize(
    ("more", "subject", "said"),
    [
        (
            {"kind": NoticeKind.REMINDER},
            "Reminder: Legal review of 'Spring webinar' waits for you by Thu 12 Mar 12:00 EDT",
            "What to do: approve it",
        ),
        (
            {"kind": NoticeKind.ESCALATION, "to": ("person:priya",)},
            "Escalated to you: Legal review of 'Spring webinar', due Thu 12 Mar 12:00 EDT",
            "It is past its deadline; you may act on it now.",
        ),
        (
            {"kind": NoticeKind.DELEGATED, "to": ("person:priya",), "by": "ben", "comment": "Fair"},
            "Delegated to you by ben: Legal review of 'Spring webinar' by Thu 12 Mar 12:00 EDT",
            'ben handed it to you: "Fair"',
        ),
        (
            {"subject": "Sign off {title} now", "body": "Written by the designer."},
            "Sign off {title} now",
            "Written by the designer.",
        ),
    ],
    ids=["reminder", "escalation", "delegated", "designer-written"],
)
async def test_every_notice_of_a_step_says_what_it_is(
    tmp_path: Path,
    mailbox: Mailbox,
    chat: RecordingServer,
    more: dict[str, Any],
    subject: str,
    said: str,
) -> None:
    await deliver(tmp_path, mailbox, chat, opened(to=("person:priya",)).model_copy(update=more))
    found, body = mail_to(mailbox, "priya@acme.com")
    assert found == subject
    assert said in body


# ---- the campaign sends them: on the time-skipping server -------------------------------

REVIEW = """\
process webinar "Webinar launch"
  calendar "DE"
  input topic: text
  work draft "Write the copy"
    assign role writer
    deadline 2 days
    returns doc_url: url
  approval legal "Legal review"
    by role legal
    not by draft.assignee
    deadline 1 day
    on reject -> draft
    at most 3 rounds
"""

WORKFLOW_TEAM = TeamSnapshot(
    version="v1-test",
    people={
        "cleo": Member(roles=("writer", "legal")),
        "priya": Member(roles=("legal",)),
        "lena": Member(roles=()),
    },
)


async def test_each_opening_tells_its_people_and_a_rejection_reaches_the_author(
    time_env: WorkflowEnvironment,
) -> None:
    """Issue 15: nobody was told when a step opened, and a rejection's comment never
    reached the author. Each opening sends a notice (typed facts, no sentence); the
    round sent back tells its author why, with the approver's comment."""
    NOTICES.clear()
    client = time_env.client
    registry = registry_replacing(recorded_notify)
    process = compile_text(REVIEW, registry)
    queue = new_task_queue()
    async with worker_for(client, registry, queue):
        handle = await start(
            client, process, {"topic": "Spring webinar"}, queue, team=WORKFLOW_TEAM
        )
        await wait_open(handle, "draft")
        done = {"doc_url": "https://docs.example.com/v1"}
        await act(
            client, handle.id, Act(step="draft", actor="cleo", action="complete", outputs=done)
        )
        await wait_open(handle, "legal")
        await act(
            client,
            handle.id,
            Act(step="legal", actor="priya", action="delegate", to="lena", comment="Your call"),
        )
        comment = "Remove the 'best in class' claim"
        await act(
            client, handle.id, Act(step="legal", actor="lena", action="reject", comment=comment)
        )
        item = await wait_open(handle, "draft")
        # The reopened round says why, for mops status and mops tasks.
        assert item.round == 2
        assert item.returned is not None
        assert [(r.by, r.action, r.comment) for r in item.returned.remarks] == [
            ("lena", "reject", comment)
        ]
        await act(
            client, handle.id, Act(step="draft", actor="cleo", action="complete", outputs=done)
        )
        await wait_open(handle, "legal")
        await act(client, handle.id, Act(step="legal", actor="priya", action="approve"))
        await handle.result()
    told = [(n["kind"], n["notice"].step, tuple(n["notice"].to)) for n in NOTICES]
    assert told == [
        ("opened", "draft", ("role:writer",)),
        ("opened", "legal", ("role:legal",)),
        ("delegated", "legal", ("person:lena",)),
        # The rework round goes to whom the step names and to the author of the last round.
        ("opened", "draft", ("role:writer", "person:cleo")),
        ("opened", "legal", ("role:legal",)),
    ]
    first, legal, delegated, rework, _ = (n["notice"] for n in NOTICES)
    # Words are the worker's: the campaign sends facts and no message.
    assert all(n["message"] == "" for n in NOTICES)
    assert (first.title, first.form, first.about, first.calendar) == (
        "Write the copy",
        "work",
        "Spring webinar",
        "DE",
    )
    assert first.deadline is not None and first.returns == ("doc_url",)
    assert legal.barred == ("cleo",)  # wrote the draft: not asked to review it
    assert (delegated.by, delegated.comment) == ("priya", "Your call")
    assert rework.round == 2 and rework.returned is not None
    assert (rework.returned.step, rework.returned.outcome) == ("legal", "rejected")
    assert [r.comment for r in rework.returned.remarks] == [comment]
