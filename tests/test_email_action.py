"""``email.send`` against a real local SMTP server (aiosmtpd), run as a Temporal activity."""

from __future__ import annotations

import dataclasses
import hashlib
import shutil
import socket
import ssl
import subprocess
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from smtpserver import PASSWORD, USER, Mailbox, free_port, smtp_server
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from engine.contracts import TaskRequest
from workers import EgressConfig, SecretStore, SmtpConfig, WorkerConfig, builtin_registry

WHERE = 'step "Announce launch" (launch.mops:7:3)'
KEY = "launch-2025-q3/announce#1"
Activity = Callable[[TaskRequest], Awaitable[dict[str, Any]]]


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    with smtp_server() as server:
        yield server


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key, made with ``openssl``."""
    if shutil.which("openssl") is None:
        pytest.skip("TLS tests need the openssl command to make a self-signed certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1"),
            *("-addext", "subjectAltName=IP:127.0.0.1"),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def _server_tls(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


def _activity(config: WorkerConfig, secrets: SecretStore | None = None) -> Activity:
    registry = builtin_registry()
    activities = registry.activities(config=config, secrets=secrets or SecretStore(env={}))
    return dict(zip(registry.names, activities, strict=True))["email.send"]


def _config(port: int, **smtp: Any) -> WorkerConfig:
    # The test server listens on loopback, which a worker reaches only when allowed.
    return WorkerConfig(
        smtp=SmtpConfig(host="127.0.0.1", port=port, sender=SENDER, **smtp),
        egress=EgressConfig(allow=("127.0.0.1",)),
    )


def _password(value: str, port: int) -> SecretStore:
    """The SMTP password secret, bound to the test's server."""
    return SecretStore(
        env={
            "MOPS_SECRET_SMTP_PASSWORD": value,
            "MOPS_SECRET_SMTP_PASSWORD_SEND_TO": f"smtp://127.0.0.1:{port}",
        }
    )


SENDER = "Acme Marketing <marketing@acme.com>"


def _env(*, attempt: int = 1, activity_id: str = "announce#1") -> ActivityEnvironment:
    env = ActivityEnvironment()
    env.info = dataclasses.replace(
        env.info, workflow_id="launch-2025-q3", activity_id=activity_id, attempt=attempt
    )
    return env


def _request(**arguments: Any) -> TaskRequest:
    arguments = {
        "to": ["jane@acme.com"],
        "subject": "Q3 launch",
        "body": "We launch.\n",
    } | arguments
    return TaskRequest(
        step="announce", title="Announce launch", source="launch.mops:7:3", arguments=arguments
    )


async def _send(port: int, env: ActivityEnvironment | None = None, **arguments: Any) -> Any:
    return await (env or _env()).run(_activity(_config(port)), _request(**arguments))


async def _failure(activity: Activity, **arguments: Any) -> ApplicationError:
    with pytest.raises(ApplicationError) as caught:
        await _env().run(activity, _request(**arguments))
    return caught.value


def _text(part: Any) -> str:
    """A text part's content as a mail client shows it (SMTP sends CRLF line ends)."""
    content: str = part.get_content()
    return content.replace("\r\n", "\n")


def _expected_message_id(key: str) -> str:
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@mops-flow>"


async def test_message_arrives_with_headers_body_and_every_recipient(mailbox: Mailbox) -> None:
    result = await _send(
        mailbox.port,
        to=["Jane Doe <jane@acme.com>", "raj@acme.com"],
        cc=["team@acme.com"],
        bcc=["audit@acme.com"],
        reply_to="campaigns@acme.com",
        subject="Q3 launch: we're live ✓",
        body="Hello team,\nwe launch today.\n",
    )

    recipients = ["jane@acme.com", "raj@acme.com", "team@acme.com", "audit@acme.com"]
    assert result == {
        "message_id": _expected_message_id(KEY),
        "accepted": recipients,
        "refused": [],
    }
    [received] = mailbox.received
    assert received.mail_from == "marketing@acme.com"
    assert received.rcpt_tos == recipients
    message = received.message
    assert message["From"] == SENDER
    assert message["To"] == "Jane Doe <jane@acme.com>, raj@acme.com"
    assert message["Cc"] == "team@acme.com"
    assert message["Bcc"] is None  # hidden recipients stay hidden
    assert message["Reply-To"] == "campaigns@acme.com"
    assert message["Subject"] == "Q3 launch: we're live ✓"
    assert message["Message-ID"] == _expected_message_id(KEY)
    assert message["X-Mops-Idempotency-Key"] == KEY
    assert message["Date"] is not None
    assert message.get_content_type() == "text/plain"
    assert _text(message) == "Hello team,\nwe launch today.\n"


async def test_every_attempt_sends_the_same_message_id(mailbox: Mailbox) -> None:
    await _send(mailbox.port, _env(attempt=1))
    await _send(mailbox.port, _env(attempt=2))
    await _send(mailbox.port, _env(activity_id="announce#2"))  # the step run again: rework

    ids = [r.message["Message-ID"] for r in mailbox.received]
    assert ids == [_expected_message_id(KEY)] * 2 + [
        _expected_message_id("launch-2025-q3/announce#2")
    ]


async def test_html_is_sent_as_an_alternative_to_the_text(mailbox: Mailbox) -> None:
    await _send(mailbox.port, body="We launch.\n", html="<p>We <b>launch</b>.</p>\n")

    message = mailbox.received[0].message
    assert message.get_content_type() == "multipart/alternative"
    parts = [(p.get_content_type(), _text(p)) for p in message.iter_parts()]
    assert parts == [("text/plain", "We launch.\n"), ("text/html", "<p>We <b>launch</b>.</p>\n")]


async def test_logs_in_with_the_password_secret() -> None:
    with smtp_server(auth=True) as server:
        config = _config(server.port, username=USER, password_secret="smtp_password")
        secrets = _password(PASSWORD, server.port)

        await _env().run(_activity(config, secrets), _request())

    assert server.logins == [USER]
    assert len(server.received) == 1


async def test_wrong_password_fails_for_good_without_showing_it() -> None:
    wrong = "not-the-Pa55word"
    with smtp_server(auth=True) as server:
        config = _config(server.port, username=USER, password_secret="smtp_password")
        secrets = _password(wrong, server.port)

        error = await _failure(_activity(config, secrets))

    assert error.non_retryable
    assert error.message == (
        f"{WHERE}: SMTP server 127.0.0.1:{server.port} refused the login of 'mops': "
        "535 5.7.8 Authentication credentials invalid"
    )
    assert wrong not in str(error)
    assert server.received == []


async def test_missing_password_secret_names_it(mailbox: Mailbox) -> None:
    config = _config(mailbox.port, username=USER, password_secret="smtp_password")

    error = await _failure(_activity(config))

    assert error.non_retryable
    assert error.message.startswith(f"{WHERE}: secret 'smtp_password' is not configured")


@pytest.mark.parametrize("security", ["starttls", "tls"])
async def test_tls_with_a_trusted_certificate(
    security: str, certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))  # trust our test certificate
    tls = _server_tls(certificate)
    options = {"tls_context": tls, "require_starttls": True}
    with smtp_server(**(options if security == "starttls" else {"ssl_context": tls})) as server:
        config = _config(server.port, security=security)

        result = await _env().run(_activity(config), _request())

    assert result["accepted"] == ["jane@acme.com"]
    assert len(server.received) == 1


async def test_untrusted_certificate_fails_for_good(
    certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    tls = _server_tls(certificate)
    with smtp_server(tls_context=tls, require_starttls=True) as server:
        error = await _failure(_activity(_config(server.port, security="starttls")))

    assert error.non_retryable
    assert error.message == (
        f"{WHERE}: SMTP server 127.0.0.1:{server.port} has a TLS certificate this worker "
        "does not trust: self-signed certificate"
    )
    assert server.received == []


async def test_starttls_never_falls_back_to_plain_text(mailbox: Mailbox) -> None:
    error = await _failure(_activity(_config(mailbox.port, security="starttls")))

    assert error.non_retryable
    assert error.message == (
        f"{WHERE}: SMTP server 127.0.0.1:{mailbox.port} does not offer what this worker needs: "
        "STARTTLS extension not supported by server."
    )
    assert mailbox.received == []


async def test_closed_port_is_retried() -> None:
    port = free_port()

    error = await _failure(_activity(_config(port)))

    assert not error.non_retryable
    assert error.message.startswith(
        f"{WHERE}: SMTP server 127.0.0.1:{port} connection failed: ConnectionRefusedError"
    )


async def test_silent_server_times_out_and_is_retried() -> None:
    with socket.socket() as silent:  # accepts connections, never says hello
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]

        error = await _failure(_activity(_config(port, timeout_seconds=0.3)))

    assert not error.non_retryable
    assert error.message == f"{WHERE}: SMTP server 127.0.0.1:{port} did not answer within 0.3s"


async def test_refused_recipient_is_reported_while_the_others_get_the_message(
    mailbox: Mailbox,
) -> None:
    mailbox.refuse["gone@acme.com"] = "550 5.1.1 No such user"

    result = await _send(mailbox.port, to=["jane@acme.com", "gone@acme.com"], cc=["raj@acme.com"])

    assert result["accepted"] == ["jane@acme.com", "raj@acme.com"]
    assert result["refused"] == ["gone@acme.com"]
    assert mailbox.received[0].rcpt_tos == ["jane@acme.com", "raj@acme.com"]


@pytest.mark.parametrize(
    ("reply", "retryable"),
    [("550 5.1.1 No such user", False), ("451 4.7.1 Greylisted, try again later", True)],
)
async def test_every_recipient_refused_sends_nothing(
    mailbox: Mailbox, reply: str, retryable: bool
) -> None:
    mailbox.refuse |= {"gone@acme.com": reply, "left@acme.com": reply}

    error = await _failure(_activity(_config(mailbox.port)), to=["gone@acme.com", "left@acme.com"])

    assert error.non_retryable is not retryable
    assert error.message == (
        f"{WHERE}: SMTP server 127.0.0.1:{mailbox.port} refused every recipient: "
        f"gone@acme.com: {reply}; left@acme.com: {reply}"
    )
    assert mailbox.received == []


@pytest.mark.parametrize(
    ("reply", "retryable"),
    [("554 5.7.1 Message rejected as spam", False), ("452 4.3.1 Insufficient storage", True)],
)
async def test_message_rejected_by_the_server(
    mailbox: Mailbox, reply: str, retryable: bool
) -> None:
    mailbox.data_reply = reply

    error = await _failure(_activity(_config(mailbox.port)))

    assert error.non_retryable is not retryable
    assert error.message == f"{WHERE}: SMTP server 127.0.0.1:{mailbox.port} answered {reply}"


@pytest.mark.parametrize(
    ("arguments", "problem"),
    [
        (
            {"to": ["jane.acme.com"]},
            "argument 'to.0': Value error, 'jane.acme.com' is not an e-mail address",
        ),
        (
            {"to": ["jane@acme.com, raj@acme.com"]},
            "argument 'to.0': Value error, 'jane@acme.com, raj@acme.com' is not an e-mail address",
        ),
        ({"to": []}, "argument 'to': List should have at least 1 item after validation, not 0"),
        (
            {"cc": ["jane@acme.com\r\nBcc: all@acme.com"]},
            "argument 'cc.0': Value error, "
            "'jane@acme.com\r\nBcc: all@acme.com' is not an e-mail address",
        ),
        (
            {"reply_to": "nobody"},
            "argument 'reply_to': Value error, 'nobody' is not an e-mail address",
        ),
        (
            {"subject": "Launch\nBcc: all@acme.com"},
            "argument 'subject': Value error, the subject must be one line",
        ),
        ({"text": "hi"}, "unknown argument 'text'"),
    ],
)
async def test_invalid_arguments_fail_for_good_naming_the_field(
    mailbox: Mailbox, arguments: dict[str, Any], problem: str
) -> None:
    error = await _failure(_activity(_config(mailbox.port)), **arguments)

    assert error.non_retryable
    assert error.type == "InvalidArguments"
    assert error.message == f"{WHERE}: {problem}"
    assert mailbox.received == []
