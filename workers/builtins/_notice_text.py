"""The words of a notice, composed on the worker from the facts the campaign sent.

A campaign sends no sentence about its steps: a notice about a work item or
approval carries typed facts (:class:`~engine.contracts.NoticeFact`: which step,
what kind of notice, its deadline, the comments that sent a round back, who
delegated it). Here they become a subject that says what to do, and a text with
the deadline in the recipient's own time zone, what to do and a link to the task
page of the people's app (``MOPS_APP_URL``). A subject or text the process's
designer wrote wins over the composed one.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from engine.client import task_url
from engine.contracts import NoticeFact, NoticeKind, Person

__all__ = ["due", "notice_text", "plain_subject", "task_link"]

_OUTCOMES = {"rejected": "rejected", "changes_requested": "requested changes"}


def due(moment: dt.datetime, zone: str) -> str:
    """``Thu 12 Mar 17:00 CET``: a deadline as a person reads it, in ``zone``."""
    local = moment.astimezone(_zone(zone))
    return f"{local:%a %d %b %H:%M} {local.tzname()}"


def task_link(app_url: str | None, campaign: str, step: str) -> str | None:
    """The task page of a step in the people's app, or None when no app URL is set."""
    return task_url(app_url, campaign, step) if app_url else None


def plain_subject(message: str) -> str:
    """The subject of a designer's ``notify`` message: its first line, cut short."""
    first = next((line.strip() for line in message.splitlines() if line.strip()), "")
    if not first:
        return "A message from MOps Flow"
    return first if len(first) <= 100 else first[:99].rstrip() + "…"


def notice_text(
    notice: NoticeFact, *, campaign: str, person: Person | None, app_url: str | None
) -> tuple[str, str]:
    """The subject and text of a notice about a work item or approval, for ``person``."""
    zone = person.time_zone if person is not None else (notice.zone or "UTC")
    subject = notice.subject or _subject(notice, zone)
    link = task_link(app_url, campaign, notice.step)
    if notice.body:
        body = notice.body + (f"\n\nOpen it: {link}" if link else "")
        return subject, body
    return subject, "\n".join(_body(notice, campaign, zone, link))


def _subject(notice: NoticeFact, zone: str) -> str:
    title, about = notice.title or notice.step, notice.about or notice.process or ""
    of = f" of '{about}'" if about else ""
    by = f" by {due(notice.deadline, zone)}" if notice.deadline is not None else ""
    match notice.kind:
        case NoticeKind.OPENED if notice.returned is not None:
            rounds = f" (round {notice.round})" if notice.round else ""
            word = "Changes requested" if notice.returned.outcome == "changes_requested" else None
            return f"{word or 'Rework needed'}: {title}{of}{rounds}{by}"
        case NoticeKind.OPENED:
            need = "Approval needed" if notice.form == "approval" else "Work to do"
            return f"{need}: {title}{of}{by}"
        case NoticeKind.REMINDER:
            return f"Reminder: {title}{of} waits for you{by}"
        case NoticeKind.ESCALATION:
            was = f", due {due(notice.deadline, zone)}" if notice.deadline is not None else ""
            return f"Escalated to you: {title}{of}{was}"
        case NoticeKind.DELEGATED:
            return f"Delegated to you by {notice.by or 'a colleague'}: {title}{of}{by}"
    return f"{title}{of}"


def _body(notice: NoticeFact, campaign: str, zone: str, link: str | None) -> list[str]:
    title = notice.title or notice.step
    form = "approval" if notice.form == "approval" else "work item"
    rounds = f", round {notice.round}" if notice.round and notice.round > 1 else ""
    lines = [f"{title} ({form}{rounds})"]
    if notice.process:
        about = f": {notice.about}" if notice.about and notice.about != notice.process else ""
        lines.append(f"Campaign: {notice.process}{about} ({campaign})")
    else:
        lines.append(f"Campaign: {campaign}")
    if notice.deadline is not None:
        local = notice.deadline.astimezone(_zone(zone))
        counted = f" (counted in business time of the calendar {notice.calendar})"
        lines.append(
            f"Due: {local:%a %d %b %Y, %H:%M} {local.tzname()}"
            + (counted if notice.calendar else "")
        )
    lines.append("")
    lines += _why(notice)
    lines += _what_to_do(notice, campaign)
    if link:
        lines += ["", f"Open it: {link}"]
    return lines


def _why(notice: NoticeFact) -> list[str]:
    """Why this notice: the comments that sent the round back, the delegation, the
    escalation."""
    lines: list[str] = []
    returned = notice.returned
    if notice.kind is NoticeKind.OPENED and returned is not None:
        outcome = _OUTCOMES.get(returned.outcome, returned.outcome)
        lines.append(f"'{returned.title}' (round {returned.round}) sent it back: {outcome}.")
        for remark in returned.remarks:
            lines.append(f'  {remark.by} ({remark.action.replace("_", " ")}): "{remark.comment}"')
        lines.append("")
    elif notice.kind is NoticeKind.DELEGATED:
        said = f': "{notice.comment}"' if notice.comment else "."
        lines += [f"{notice.by or 'A colleague'} handed it to you{said}", ""]
    elif notice.kind is NoticeKind.ESCALATION:
        lines += ["It is past its deadline; you may act on it now.", ""]
    return lines


def _what_to_do(notice: NoticeFact, campaign: str) -> list[str]:
    step = notice.step
    if notice.form == "approval":
        return [
            "What to do: approve it, reject it or request changes (with a comment).",
            f"  mops approve {campaign} {step} --as YOU --comment '...'",
        ]
    outputs = " ".join(f"-o {name}=..." for name in notice.returns)
    hand_in = f" and hand in {', '.join(notice.returns)}" if notice.returns else ""
    return [
        f"What to do: complete it{hand_in}.",
        f"  mops complete {campaign} {step} --as YOU {outputs}".rstrip(),
    ]


def _zone(name: str) -> dt.tzinfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return dt.UTC
