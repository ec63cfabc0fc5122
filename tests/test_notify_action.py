"""``notify.send``: roles and people reached by their preference, through real servers."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from httpserver import Answer, RecordingServer
from smtpserver import Mailbox, smtp_server
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from engine.contracts import TaskRequest
from workers import EgressConfig, SecretStore, SmtpConfig, WorkerConfig, builtin_registry

TEAM = """\
[roles]
editor = "Reviews drafts before publication"
legal = "Checks claims"

[people.ana]
name = "Ana Schmidt"
email = "ana@acme.com"
roles = ["editor"]
time_zone = "Europe/Berlin"

[people.ben]
name = "Ben Okafor"
email = "ben@acme.com"
roles = ["editor", "legal"]
notify = "webhook"
webhook_secret = "chat_ben"

[people.cleo]
name = "Cleo Park"
email = "cleo@acme.com"
roles = ["legal"]

[[people.cleo.away]]
from = 2000-01-01
until = 2999-12-31
delegate = "ana"
"""

Activity = Callable[[TaskRequest], Awaitable[dict[str, Any]]]
# The test servers listen on loopback, which a worker reaches only when allowed.
LOCAL = EgressConfig(allow=("127.0.0.1",))


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    with smtp_server() as server:
        yield server


@pytest.fixture
def chat() -> Iterator[RecordingServer]:
    with RecordingServer.running() as server:
        yield server


def activity(tmp_path: Path, mailbox: Mailbox, chat: RecordingServer) -> Activity:
    team = tmp_path / "team.toml"
    team.write_text(TEAM)
    config = WorkerConfig(
        smtp=SmtpConfig(host="127.0.0.1", port=mailbox.port, sender="mops@acme.com"),
        directory_file=team,
        egress=LOCAL,
    )
    secrets = SecretStore(
        env={
            "MOPS_SECRET_CHAT_BEN": chat.url + "/hooks/ben",
            "MOPS_SECRET_CHAT_BEN_SEND_TO": chat.url + "/hooks",
        }
    )
    registry = builtin_registry()
    found = dict(
        zip(registry.names, registry.activities(config=config, secrets=secrets), strict=True)
    )
    return found["notify.send"]


def environment(
    attempt: int = 1, heartbeat_details: list[Any] | None = None
) -> ActivityEnvironment:
    env = ActivityEnvironment()
    env.info = dataclasses.replace(
        env.info,
        workflow_id="launch-q3",
        activity_id="remind_review.1",
        attempt=attempt,
        heartbeat_details=heartbeat_details or [],
    )
    return env


def request(**arguments: Any) -> TaskRequest:
    return TaskRequest(
        step="remind_review",
        title="Remind the editors",
        source="launch.mops:12:5",
        arguments={"to": ["role:editor"], "message": "The draft waits for your review."}
        | arguments,
    )


async def test_a_role_reaches_everyone_in_it_by_their_preference(
    tmp_path: Path, mailbox: Mailbox, chat: RecordingServer
) -> None:
    result = await environment().run(
        activity(tmp_path, mailbox, chat),
        request(step="Editorial review", deadline="2026-11-24T16:00:00Z"),
    )
    assert result == {"delivered": ["ana by email", "ben by webhook"]}
    [mail] = mailbox.received
    assert mail.rcpt_tos == ["ana@acme.com"]
    # The subject is what the message says, not "[MOps Flow] <step> (<campaign>)" (issue 15).
    assert mail.message["Subject"] == "The draft waits for your review."
    part = mail.message.get_body()
    assert part is not None
    body = part.get_content()
    assert "The draft waits for your review." in body
    assert "Campaign: launch-q3" in body
    assert "Step: Editorial review" in body
    assert "Deadline: Tue 24 Nov 2026, 17:00 CET" in body  # Ana's time zone
    [post] = chat.requests
    assert post.path == "/hooks/ben"
    assert post.headers["idempotency-key"] == "launch-q3/remind_review.1/ben"
    assert "Deadline: Tue 24 Nov 2026, 16:00 UTC" in post.json["text"]


async def test_someone_away_is_covered_by_their_delegate(
    tmp_path: Path, mailbox: Mailbox, chat: RecordingServer
) -> None:
    result = await environment().run(activity(tmp_path, mailbox, chat), request(to=["role:legal"]))
    assert result == {"delivered": ["ben by webhook", "ana by email (for cleo, away)"]}
    assert [m.rcpt_tos for m in mailbox.received] == [["ana@acme.com"]]


async def test_a_retry_after_partial_delivery_skips_who_was_reached(
    tmp_path: Path, mailbox: Mailbox, chat: RecordingServer
) -> None:
    notify = activity(tmp_path, mailbox, chat)
    chat.answer(Answer(status=503))
    first = environment()
    reported: list[Any] = []
    first.on_heartbeat = lambda *details: reported.extend(details)
    with pytest.raises(ApplicationError) as caught:
        await first.run(notify, request())
    assert "the chat webhook answered 503" in caught.value.message
    assert not caught.value.non_retryable
    assert len(mailbox.received) == 1
    chat.answer(Answer(status=200))
    second = environment(attempt=2, heartbeat_details=[reported[-1]])
    result = await second.run(notify, request())
    assert result == {"delivered": ["ana by email", "ben by webhook"]}
    assert len(mailbox.received) == 1  # Ana is not told twice


@pytest.mark.parametrize(
    ("to", "message"),
    [
        (["role:designer"], "nobody holds the role 'designer'"),
        (["person:zoe"], "'person:zoe' is not role:NAME, person:ID or an e-mail address"),
    ],
)
async def test_unknown_recipients_fail_for_good(
    tmp_path: Path, mailbox: Mailbox, chat: RecordingServer, to: list[str], message: str
) -> None:
    with pytest.raises(ApplicationError) as caught:
        await environment().run(activity(tmp_path, mailbox, chat), request(to=to))
    assert caught.value.message == f'step "Remind the editors" (launch.mops:12:5): {message}'
    assert caught.value.non_retryable


async def test_a_plain_address_needs_no_directory(mailbox: Mailbox) -> None:
    config = WorkerConfig(smtp=SmtpConfig(host="127.0.0.1", port=mailbox.port), egress=LOCAL)
    registry = builtin_registry()
    found = dict(zip(registry.names, registry.activities(config=config), strict=True))
    result = await environment().run(found["notify.send"], request(to=["ops@acme.com"]))
    assert result == {"delivered": ["ops@acme.com by email"]}
