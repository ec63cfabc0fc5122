"""What an auditor reads: one entry per fact of a campaign, and the campaign's header."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

ActorKind = Literal["person", "operator", "system", "external"]

What = Literal[
    "started",
    "continued",
    "opened",
    "task_started",
    "task_completed",
    "task_failed",
    "retried",
    "compensated",
    "approved",
    "rejected",
    "changes_requested",
    "completed",
    "delegated",
    "refused",
    "reminded",
    "escalated",
    "notified",
    "decided",
    "waiting",
    "waited",
    "event",
    "paused",
    "resumed",
    "cancel_requested",
    "sub_process_started",
    "sub_process_completed",
    "sub_process_failed",
    "team_updated",
    "signal_ignored",
    "finished",
    "failed",
    "cancelled",
    "terminated",
    "timed_out",
]
"""What happened, in one word (the ``what`` column of an export)."""


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Auth(_Model):
    """How the principal of a fact proved who they are: the seal it carried."""

    method: str
    """operator_key | web_login | sso | api_token | integration_key"""
    key_id: str
    asserted_by: str | None = None
    """For a person's decision asserted by an operator (``--as``): the operator."""


class Proof(_Model):
    """What a signed fact's seal covers, kept so that anyone can check it again offline."""

    what: str
    """The kind of message signed: start, act, pause, resume, cancelling, team, event, refused."""
    seal: dict[str, Any]
    payload: str
    """The exact bytes of the payload signed, base64."""
    bound: str | None = None
    """For a start a schedule made (``schedule``): the schedule the seal is bound to,
    instead of the campaign."""


class Entry(_Model):
    """One fact of a campaign's history, as an auditor reads it."""

    at: dt.datetime
    actor: str
    """A person's id, ``system``, or the operator who ran a command."""
    actor_kind: ActorKind
    via: str = ""
    """How a person could act: ``role editor``, ``person ana``, ``delegate of ben``."""
    step: str = ""
    """The step id (empty for facts about the whole campaign)."""
    title: str = ""
    source: str = ""
    """``file:line:col`` of the step in the process file the campaign runs."""
    what: What
    text: str
    """The fact in one sentence."""
    comment: str = ""
    details: dict[str, Any] = {}
    """Facts that vary by kind: rule rows and their inputs, outputs, attempts..."""
    run: int = 1
    """Which run of the campaign (continue-as-new starts a new one) the fact is in."""
    auth: Auth | None = None
    """How the actor proved who they are (None: the fact carried no seal)."""
    proof: Proof | None = None
    event_id: int
    """The Temporal history event the fact was read from (within its run)."""


class Bar(_Model):
    """A step that took time, for the picture: a task, a human step, a wait."""

    step: str
    title: str
    kind: Literal["task", "human", "wait", "event", "call"]
    source: str = ""
    action: str | None = None
    start: dt.datetime
    end: dt.datetime | None = None
    outcome: str = ""
    """``done``, ``failed``, ``approved``, ``rejected``... empty while running."""
    error: str | None = None


class Timeline(_Model):
    """A campaign's whole story, read from its Temporal history alone."""

    campaign: str
    process: str
    title: str
    version: str
    source_hash: str
    source_file: str
    started_by: str
    started_at: dt.datetime
    ended_at: dt.datetime | None = None
    state: str
    """running | paused | completed | failed | cancelled | terminated | timed_out"""
    inputs: dict[str, Any]
    outputs: dict[str, Any] = {}
    error: str | None = None
    runs: tuple[str, ...] = ()
    """The run ids, oldest first (more than one after continue-as-new)."""
    entries: tuple[Entry, ...]
    bars: tuple[Bar, ...] = ()

    @property
    def outcome(self) -> str:
        """The campaign's outcome in a few words."""
        if self.error:
            return f"{self.state}: {self.error}"
        return self.state
