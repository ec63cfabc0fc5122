"""``email.send``: one message over SMTP, with a Message-ID that is stable across retries.

What is guaranteed, and what is not: SMTP has no idempotency. A server that has
accepted a message delivers it, and nothing in the protocol lets a client say
"this is a repeat". MOps Flow narrows duplicates as far as SMTP allows:

* The ``Message-ID`` is derived from the step's idempotency key alone, so every
  retry and every replay after a crash sends the very same id (plus the key itself
  in ``X-Mops-Idempotency-Key``). Mail systems and clients that drop repeated
  Message-IDs show the message once; others show it again.
* A failure *before* the server accepted the message (connection refused, timeout,
  a 4xx reply) is retried and sends nothing twice. A failure the server reports for
  good (5xx, bad login, untrusted certificate) is not retried.
* It can be sent once more when the server accepted it but the step was not
  recorded as done: the worker crashed or the attempt timed out in between, or the
  connection dropped while waiting for the server's final reply. Only a receiver
  that drops repeated Message-IDs hides that second copy.
* When some recipients are refused and others accepted, the step succeeds and
  reports them in ``refused``: retrying would send again to those who got it.

Recipients are plain text (``jane@acme.com`` or ``Jane Doe <jane@acme.com>``)
checked here rather than typed ``email``: pydantic's ``EmailStr`` needs the
``email-validator`` package, which MOps Flow does not depend on. How they are
checked, in linear time, is in :mod:`bounds`: one check for the language, the
campaign and the workers.

Where mail may go: the SMTP server is reached only at an address the worker's
egress policy allows, and the password secret must be bound to the server
(``smtp://host:port``); see :mod:`workers._egress` and :mod:`workers._destinations`.
"""

from __future__ import annotations

import asyncio
import hashlib
import smtplib
import socket
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formatdate
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from bounds import CONTROL, mailbox
from workers._action import ActionContext, action
from workers._config import EgressConfig, SmtpConfig
from workers._egress import connect_checked
from workers._failures import ActionFailed, EgressRefused
from workers._redact import redact

__all__ = [
    "SendParams",
    "SendResult",
    "SentMessage",
    "mailbox",
    "message_id",
    "send",
    "send_message",
    "smtp_destination",
]


def _one_line(value: str) -> str:
    if CONTROL.search(value):
        raise ValueError("the subject must be one line")
    return value


def _checked(value: str) -> str:
    mailbox(value)
    return value


Address = Annotated[str, AfterValidator(_checked)]
"""One e-mail address as text, checked by :func:`mailbox`; kept as written."""
OneLine = Annotated[str, AfterValidator(_one_line)]


def message_id(idempotency_key: str) -> str:
    """The Message-ID of the message sent under ``idempotency_key``: the same on every retry."""
    return f"<{hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]}@mops-flow>"


@dataclass(frozen=True, kw_only=True)
class SentMessage:
    """What the SMTP server made of one message."""

    message_id: str
    accepted: tuple[str, ...]
    """Recipients the server accepted, in the order given (to, cc, bcc)."""
    refused: tuple[str, ...]
    """Recipients the server refused while accepting others."""


async def send_message(
    smtp: SmtpConfig,
    password: str | None,
    *,
    to: Sequence[str],
    subject: str,
    body: str,
    html: str | None = None,
    cc: Sequence[str] = (),
    bcc: Sequence[str] = (),
    reply_to: str | None = None,
    idempotency_key: str,
    egress: EgressConfig,
) -> SentMessage:
    """Send one message through ``smtp``, from its configured sender.

    Args:
        smtp: The mail server, its security and login.
        password: The login password, required when ``smtp.username`` is set.
        to: Recipients, ``a@b.com`` or ``Name <a@b.com>``; at least one.
        subject: One line.
        body: The plain-text body.
        html: An HTML alternative to ``body``.
        cc: Copied recipients, shown to all.
        bcc: Hidden recipients: in the envelope only, never in a header.
        reply_to: Where replies go instead of the sender.
        idempotency_key: The step's key; the Message-ID is derived from it.
        egress: The worker's egress policy, which must allow the server's address.

    Raises:
        EgressRefused: the policy refuses the server's address.
        ActionFailed: the message was not sent (or sent to nobody); ``retryable``
            tells whether trying again may help. Messages never hold the password.
    """
    where = f"SMTP server {smtp.host}:{smtp.port}"
    try:
        if smtp.username is not None and password is None:
            raise ValueError(f"{where}: a username is configured but no password secret")
        if not to:
            raise ValueError("a message needs at least one 'to' recipient")
        _one_line(subject)
        sender = mailbox(smtp.sender)
        recipients = list(dict.fromkeys(mailbox(a) for a in [*to, *cc, *bcc]))
        if reply_to is not None:
            mailbox(reply_to)
    except ValueError as error:
        raise ActionFailed(str(error), retryable=False) from None

    message = EmailMessage()
    message["From"] = smtp.sender
    message["To"] = ", ".join(to)
    if cc:
        message["Cc"] = ", ".join(cc)
    if reply_to is not None:
        message["Reply-To"] = reply_to
    message["Subject"] = subject
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = sent_id = message_id(idempotency_key)
    message["X-Mops-Idempotency-Key"] = idempotency_key
    message.set_content(body)
    if html is not None:
        message.add_alternative(html, subtype="html")

    try:
        refused = await asyncio.to_thread(
            _deliver, smtp, password, message, sender, recipients, egress
        )
    except EgressRefused as refused_address:
        raise EgressRefused(f"{where} refused: {refused_address.message}") from None
    except ActionFailed as failure:
        # The caller may not scrub messages as the activity wrapper does.
        shown = redact(f"{where} {failure.message}", [password] if password else [])
        raise ActionFailed(shown, retryable=failure.retryable) from None
    return SentMessage(
        message_id=sent_id,
        accepted=tuple(r for r in recipients if r not in refused),
        refused=tuple(r for r in recipients if r in refused),
    )


def smtp_destination(smtp: SmtpConfig) -> str:
    """The mail server as a destination a secret can be bound to: ``smtp://host:port``."""
    host = f"[{smtp.host}]" if ":" in smtp.host else smtp.host
    return f"smtp://{host}:{smtp.port}"


class _CheckedSMTP(smtplib.SMTP):
    """smtplib's client, connecting only to an address the egress policy allows."""

    def __init__(self, host: str, port: int, *, timeout: float, egress: EgressConfig) -> None:
        self._egress = egress  # set first: the constructor connects
        super().__init__(host, port, timeout=timeout)

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        return connect_checked(host, port, timeout=timeout, policy=self._egress)


class _CheckedSMTPSSL(smtplib.SMTP_SSL):
    """The TLS-from-the-start client, connecting as :class:`_CheckedSMTP` does."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        timeout: float,
        context: ssl.SSLContext,
        egress: EgressConfig,
    ) -> None:
        self._egress = egress
        self._server_name = host
        super().__init__(host, port, timeout=timeout, context=context)

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        plain = connect_checked(host, port, timeout=timeout, policy=self._egress)
        # The certificate is checked against the configured name, not the address.
        return self.context.wrap_socket(plain, server_hostname=self._server_name)


def _deliver(
    smtp: SmtpConfig,
    password: str | None,
    message: EmailMessage,
    sender: str,
    rcpts: list[str],
    egress: EgressConfig,
) -> dict[str, tuple[int, bytes]]:
    """Send ``message`` in one SMTP session (blocking); the refused recipients."""
    # A TLS context is made only for a TLS session: loading the system's certificates
    # costs more CPU than sending a message in a plain one.
    try:
        timeout = smtp.timeout_seconds
        client: smtplib.SMTP = (
            _CheckedSMTPSSL(
                smtp.host,
                smtp.port,
                timeout=timeout,
                context=ssl.create_default_context(),
                egress=egress,
            )
            if smtp.security == "tls"
            else _CheckedSMTP(smtp.host, smtp.port, timeout=timeout, egress=egress)
        )
        try:
            client.ehlo()
            if smtp.security == "starttls":
                # Never falls back to plain text: no STARTTLS offered is an error.
                client.starttls(context=ssl.create_default_context())
                client.ehlo()
            if smtp.username is not None:
                client.login(smtp.username, password or "")
            return client.send_message(message, from_addr=sender, to_addrs=rcpts)
        finally:
            _close(client)
    except (smtplib.SMTPException, OSError) as error:
        raise _failure(error, smtp) from None


def _failure(error: smtplib.SMTPException | OSError, smtp: SmtpConfig) -> ActionFailed:
    """What went wrong, and whether trying again may help: 4xx replies may pass, 5xx not."""
    match error:
        case smtplib.SMTPRecipientsRefused(recipients=refused):
            return ActionFailed(
                "refused every recipient: "
                + "; ".join(f"{a}: {_reply(c, m)}" for a, (c, m) in refused.items()),
                retryable=any(400 <= code < 500 for code, _ in refused.values()),
            )
        case smtplib.SMTPAuthenticationError(smtp_code=code, smtp_error=text):
            return ActionFailed(
                f"refused the login of '{smtp.username}': {_reply(code, text)}",
                retryable=400 <= code < 500,
            )
        case smtplib.SMTPResponseException(smtp_code=code, smtp_error=text):
            return ActionFailed(f"answered {_reply(code, text)}", retryable=not 500 <= code < 600)
        case smtplib.SMTPNotSupportedError():
            return ActionFailed(f"does not offer what this worker needs: {error}", retryable=False)
        case ssl.SSLCertVerificationError(verify_message=reason):
            return ActionFailed(
                f"has a TLS certificate this worker does not trust: {reason}", retryable=False
            )
        case ssl.SSLError(reason=reason):
            return ActionFailed(f"TLS failed ({smtp.security}): {reason or error}", retryable=False)
        case _ if isinstance(error, TimeoutError) or isinstance(error.__context__, TimeoutError):
            # smtplib reports a reply that never came as a disconnection.
            return ActionFailed(f"did not answer within {smtp.timeout_seconds:g}s", retryable=True)
        case _:
            return ActionFailed(
                f"connection failed: {type(error).__name__}: {error}", retryable=True
            )


def _close(client: smtplib.SMTP) -> None:
    # Once the server has the message, a failing QUIT must not make the step retry.
    try:
        client.quit()
    except (smtplib.SMTPException, OSError):
        client.close()


def _reply(code: int, text: bytes | str) -> str:
    shown = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    return f"{code} {' '.join(shown.split())}"


class SendParams(BaseModel):
    """Arguments of ``email.send``."""

    model_config = ConfigDict(extra="forbid")

    to: list[Address] = Field(min_length=1, description="Recipients: a@b.com or Name <a@b.com>.")
    cc: list[Address] = Field(default=[], description="Copied recipients, visible to all.")
    bcc: list[Address] = Field(default=[], description="Hidden recipients.")
    subject: OneLine = Field(description="The subject line.")
    body: str = Field(description="The plain-text body.")
    html: str | None = Field(default=None, description="An HTML version of the body.")
    reply_to: Address | None = Field(default=None, description="Where replies go.")


class SendResult(BaseModel):
    """What ``email.send`` returns."""

    message_id: str = Field(description="The Message-ID header, the same on every retry.")
    accepted: list[str] = Field(description="Recipient addresses the server accepted.")
    refused: list[str] = Field(description="Recipient addresses the server refused.")


@action(
    "email.send",
    description="Send an e-mail through the worker's SMTP server",
    timeout=timedelta(minutes=5),  # several SMTP round trips, each up to timeout_seconds
    heartbeat=timedelta(seconds=30),
)
async def send(params: SendParams, ctx: ActionContext) -> SendResult:
    """Send the message; fail retryably when the server may recover, finally when not."""
    smtp = ctx.config.smtp
    password = ctx.secret(smtp.password_secret) if smtp.password_secret else None
    # Everything the step holds goes to the mail server: the password, and any
    # secret an argument carried.
    ctx.require_destination(smtp_destination(smtp))
    sent = await send_message(
        smtp,
        password,
        to=params.to,
        cc=params.cc,
        bcc=params.bcc,
        subject=params.subject,
        body=params.body,
        html=params.html,
        reply_to=params.reply_to,
        idempotency_key=ctx.idempotency_key,
        egress=ctx.config.egress,
    )
    ctx.logger.info(
        "sent %s to %d recipient(s)%s",
        sent.message_id,
        len(sent.accepted),
        f"; refused: {', '.join(sent.refused)}" if sent.refused else "",
        extra={"message_id": sent.message_id},
    )
    return SendResult(
        message_id=sent.message_id, accepted=list(sent.accepted), refused=list(sent.refused)
    )
