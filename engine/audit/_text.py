"""A timeline as text for a terminal, in the reader's time zone."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from engine.audit._model import Auth, Entry, Timeline
from engine.audit._values import clean, readable_pairs
from engine.errors import UserError


def time_zone(name: str | None) -> dt.tzinfo | None:
    """The zone ``--tz`` names; None for the machine's own.

    Raises:
        UserError: no such zone.
    """
    if not name:
        return None
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise UserError(
            f"unknown time zone '{name}'", hint="use a name such as Europe/Berlin or UTC"
        ) from None


def local(moment: dt.datetime | None, zone: dt.tzinfo | None) -> str:
    """``2026-11-22 15:04:05 CET`` in ``zone`` (the machine's own if None)."""
    if moment is None:
        return "-"
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S %Z").strip()


def who(entry: Entry) -> str:
    """The actor column: ``ana (role editor)``, ``eve (delegate of ben)``, ``system``, and
    how a signed fact's actor proved who they are: ``ana (role editor; asserted by
    operator olga, key k-3f9a...)``, ``olga (operator; operator key k-...)``."""
    capacity = "operator" if entry.actor_kind == "operator" else entry.via
    proof = _proof(entry.auth)
    details = "; ".join(part for part in (capacity, proof) if part)
    return clean(f"{entry.actor} ({details})" if details else entry.actor)


def _proof(auth: Auth | None) -> str:
    if auth is None:
        return ""
    key = f"key {auth.key_id[:10]}"  # the whole id is in --json and in exports
    if auth.asserted_by is not None:
        return f"asserted by operator {auth.asserted_by}, {key}"
    return f"{auth.method.replace('_', ' ')}, {key}"


def render(timeline: Timeline, zone: dt.tzinfo | None) -> str:
    """The header facts and one line per entry."""
    t = timeline
    lines = [
        f"campaign  {t.campaign}",
        f"process   {t.process}: {t.title}",
        f"version   {t.version} (source {t.source_file}, sha256 {t.source_hash})",
        f"started   {local(t.started_at, zone)} by {t.started_by}",
        f"ended     {local(t.ended_at, zone)}" if t.ended_at else "ended     (still running)",
        f"outcome   {t.outcome}",
    ]
    if len(t.runs) > 1:
        lines.append(f"runs      {len(t.runs)} (continued as new {len(t.runs) - 1} times)")
    if t.inputs:
        lines.append(clean("inputs    " + readable_pairs(t.inputs)))
    if t.outputs:
        lines.append(clean("outputs   " + readable_pairs(t.outputs)))
    lines.append("")
    actor_width = max((len(who(e)) for e in t.entries), default=6)
    step_width = max((len(_step(e)) for e in t.entries), default=4)
    for entry in t.entries:
        lines.append(
            f"{local(entry.at, zone)}  {who(entry):<{actor_width}}  "
            f"{_step(entry):<{step_width}}  {clean(entry.text)}".rstrip()
        )
    return "\n".join(lines) + "\n"


def _step(entry: Entry) -> str:
    if not entry.step:
        return "-"
    return clean(f"{entry.title} ({entry.source})" if entry.source else entry.title or entry.step)
