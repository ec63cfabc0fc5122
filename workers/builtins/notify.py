"""``notify.send``: tell a role or a person, the way each of them prefers.

Recipients are ``role:editor``, ``person:ana`` or a plain e-mail address. The
team directory (``MOPS_DIRECTORY``) says who holds a role, whether they want
e-mail or a chat webhook, and who acts for them while they are away. Every
message names the campaign, the step and, when there is one, the deadline in
the recipient's time zone. Work items and approvals use this action too, to tell
their people when they open, are delegated, are due and are escalated: those
notices carry typed facts (``ctx.notice``) worded in :mod:`._notice_text`, with a
link to the task page of the people's app when ``MOPS_APP_URL`` is set.

Each channel goes only where its secret may go: a person's chat webhook URL is
itself a secret, bound to its host like any other, and the SMTP password is
bound to the mail server. Both connect through the worker's egress policy.
"""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import temporalio.activity
from pydantic import BaseModel, ConfigDict, Field

from engine.contracts import Directory, DirectoryError, Person, load_directory
from workers._action import ActionContext, action
from workers._egress import egress_client
from workers._failures import ActionFailed, EgressRefused
from workers.builtins._notice_text import due, notice_text, plain_subject, task_link
from workers.builtins._task_links import email_link_lines
from workers.builtins.email import send_message, smtp_destination

__all__ = ["NotifyParams", "NotifyResult", "send"]

_DIRECTORIES: dict[Path, tuple[float, Directory]] = {}


class NotifyParams(BaseModel):
    """Who to tell what, and about which campaign step."""

    model_config = ConfigDict(extra="forbid")

    to: list[str] = Field(min_length=1, description='"role:editor", "person:ana" or an e-mail')
    message: str
    """What to say. A notice about a work item or approval sends an empty one: the
    worker words it from the notice's facts (``ctx.notice``)."""
    subject: str | None = None
    campaign: str | None = None
    """Defaults to the campaign running the step."""
    step: str | None = None
    """Defaults to the title of the step sending the notification."""
    deadline: dt.datetime | None = None


class NotifyResult(BaseModel):
    """Who was told, and how."""

    delivered: list[str]
    """``"ana by email"``, ``"ben by webhook (for ana, away)"``."""


@dataclass(frozen=True)
class _Recipient:
    person: Person | None
    email: str
    note: str = ""


def _directory(ctx: ActionContext) -> Directory | None:
    path = ctx.config.directory_file
    if path is None:
        return None
    try:
        stamp = path.stat().st_mtime
    except OSError:
        raise ActionFailed(f"the team directory {path} cannot be read", retryable=False) from None
    cached = _DIRECTORIES.get(path)
    if cached is None or cached[0] != stamp:
        try:
            cached = (stamp, load_directory(path))
        except DirectoryError as error:
            raise ActionFailed(str(error), retryable=False) from None
        _DIRECTORIES[path] = cached
    return cached[1]


def _recipients(
    to: list[str], directory: Directory | None, today: dt.date, skip: tuple[str, ...] = ()
) -> list[_Recipient]:
    found: dict[str, _Recipient] = {}
    for entry in to:
        kind, _, name = entry.partition(":")
        if "@" in entry and not name:
            found.setdefault(entry, _Recipient(None, entry))
            continue
        if directory is None:
            raise ActionFailed(
                f"'{entry}' cannot be told without the team directory: set MOPS_DIRECTORY "
                "on the worker to its team.toml (or MOPS_NOTIFY=log to only log notices)",
                retryable=False,
            )
        if kind == "role":
            people = directory.with_role(name)
            if not people:
                raise ActionFailed(f"nobody holds the role '{name}'", retryable=False)
        elif kind == "person" and name in directory.people:
            people = [directory.people[name]]
        else:
            raise ActionFailed(
                f"'{entry}' is not role:NAME, person:ID or an e-mail address", retryable=False
            )
        for person in people:
            if person.id in skip:
                continue  # barred from the step (separation of duties): nothing to do
            acting = directory.acting_for(person, today)
            note = "" if acting is person else f" (for {person.id}, away)"
            found.setdefault(acting.id, _Recipient(acting, acting.email, note))
    return list(found.values())


def _text(params: NotifyParams, ctx: ActionContext, person: Person | None) -> tuple[str, str]:
    campaign = params.campaign or ctx.campaign_id
    app_url = ctx.config.app_url
    if ctx.notice is not None and ctx.notice.title is not None:
        # A notice about a work item or approval: worded here, from its facts.
        subject, body = notice_text(ctx.notice, campaign=campaign, person=person, app_url=app_url)
        emailed = email_link_lines(ctx, person.id if person else None)
        return subject, "\n".join([body, *emailed]) if emailed else body
    step = params.step or ctx.title
    zone = person.time_zone if person else "UTC"
    subject = params.subject or plain_subject(params.message)
    if params.deadline is not None and params.subject is None and ctx.notice is not None:
        subject += f" (due {due(params.deadline, zone)})"
    lines = [params.message, "", f"Campaign: {campaign}", f"Step: {step}"]
    if params.deadline is not None:
        local = params.deadline.astimezone(zoneinfo.ZoneInfo(zone))
        lines.append(f"Deadline: {local:%a %d %b %Y, %H:%M} {local.tzname()}")
    if ctx.notice is not None and (link := task_link(app_url, campaign, ctx.notice.step)):
        lines += ["", f"Open it: {link}"]
    lines += email_link_lines(ctx, person.id if person else None)
    return subject, "\n".join(lines)


@action(
    "notify.send",
    description="Notify roles or people by their preferred channel, naming campaign and step",
    timeout=timedelta(minutes=5),  # one message per recipient
    heartbeat=timedelta(seconds=30),
)
async def send(params: NotifyParams, ctx: ActionContext) -> NotifyResult:
    if ctx.config.notify_mode == "log":
        # Nobody is told: the worker said so when it started (notice_problems).
        subject, body = _text(params, ctx, None)
        for entry in params.to:
            ctx.logger.info("notice to %s (logged, not sent): %s", entry, subject)
        return NotifyResult(delivered=[f"{entry} by log" for entry in params.to])
    directory = _directory(ctx)
    today = dt.datetime.now(dt.UTC).date()
    # Recipients an earlier attempt reached, as it reported them by heartbeat:
    # a retry after a partial delivery skips them.
    details = temporalio.activity.info().heartbeat_details
    delivered: list[str] = list(details[0]) if details else []
    argument_secrets = dict(ctx.secret_names)  # before the channels add their own
    barred = ctx.notice.barred if ctx.notice is not None else ()
    for recipient in _recipients(params.to, directory, today, barred):
        who = recipient.person.id if recipient.person else recipient.email
        if any(line.split(" by ")[0] == who for line in delivered):
            continue
        subject, body = _text(params, ctx, recipient.person)
        # One key per recipient: webhook receivers drop a repeat by it, mail
        # systems by the Message-ID derived from it.
        key = f"{ctx.idempotency_key}/{who}"
        # The secrets the step's arguments carried go wherever the message goes.
        carried = set(argument_secrets)
        if recipient.person is not None and recipient.person.notify == "webhook":
            secret = recipient.person.webhook_secret
            assert secret is not None  # the directory checks it
            url = ctx.secret(secret)
            ctx.require_destination(url, secrets={secret, *carried}, show_path=False)
            await _post(ctx, url, subject, body, key)
            delivered.append(f"{who} by webhook{recipient.note}")
        else:
            smtp = ctx.config.smtp
            password = ctx.secret(smtp.password_secret) if smtp.password_secret else None
            ctx.require_destination(
                smtp_destination(smtp),
                secrets={*carried, *([smtp.password_secret] if smtp.password_secret else [])},
            )
            await send_message(
                smtp,
                password,
                to=[recipient.email],
                subject=subject,
                body=body,
                idempotency_key=key,
                egress=ctx.config.egress,
            )
            delivered.append(f"{who} by email{recipient.note}")
        ctx.heartbeat(delivered)
        ctx.logger.info("notified %s", delivered[-1])
    return NotifyResult(delivered=delivered)


async def _post(ctx: ActionContext, url: str, subject: str, body: str, key: str) -> None:
    payload = json.dumps({"text": f"*{subject}*\n{body}"})
    try:
        async with egress_client(ctx.config.egress, timeout=30) as client:
            response = await client.post(
                url,
                content=payload,
                headers={"Content-Type": "application/json", "Idempotency-Key": key},
            )
    except EgressRefused as refused:
        # The URL is a secret: the message names its host, never its path.
        raise EgressRefused(f"the chat webhook refused: {refused.message}") from None
    except httpx.HTTPError as error:
        raise ActionFailed(
            f"the chat webhook did not answer: {type(error).__name__}", retryable=True
        ) from None
    if response.status_code >= 500 or response.status_code in (408, 429):
        raise ActionFailed(f"the chat webhook answered {response.status_code}", retryable=True)
    if response.status_code >= 400:
        raise ActionFailed(
            f"the chat webhook refused the message: {response.status_code}", retryable=False
        )
