"""A real SMTP server on 127.0.0.1 (aiosmtpd) that records what it receives."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

USER, PASSWORD = "mops", "hunter2-s3cret"
"""The one login the server accepts when started with ``auth=True``."""


@dataclass(frozen=True)
class Received:
    """One message the server accepted."""

    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage


@dataclass
class Mailbox:
    """An aiosmtpd handler that records messages and refuses as told."""

    port: int = 0
    received: list[Received] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)
    """Reply to RCPT TO per address, e.g. ``{"x@acme.com": "550 5.1.1 no such user"}``."""
    data_reply: str | None = None
    """Reply to the message instead of accepting it, e.g. ``"554 5.7.1 spam"``."""
    logins: list[str] = field(default_factory=list)

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.data_reply is not None:
            return self.data_reply
        assert isinstance(envelope.content, bytes) and envelope.mail_from is not None
        message = BytesParser(policy=policy.default).parsebytes(envelope.content)
        assert isinstance(message, EmailMessage)
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        if isinstance(data, LoginPassword) and data == (USER.encode(), PASSWORD.encode()):
            self.logins.append(data.login.decode())
            return AuthResult(success=True)
        return AuthResult(success=False, handled=False)


def free_port() -> int:
    with socket.socket() as probe:  # nobody listens on it once closed
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@contextmanager
def smtp_server(**options: Any) -> Iterator[Mailbox]:
    """A real SMTP server on 127.0.0.1; ``options`` go to aiosmtpd's ``SMTP``."""
    mailbox = Mailbox(port=free_port())
    if options.pop("auth", False):
        options |= {"authenticator": mailbox.authenticate, "auth_require_tls": False}
    controller = Controller(mailbox, hostname="127.0.0.1", port=mailbox.port, **options)
    controller.start()
    try:
        yield mailbox
    finally:
        controller.stop()
