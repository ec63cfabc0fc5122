"""What a campaign writes into its history for its readers: a small typed vocabulary.

The audit reader, ``mops status`` and the scenario checker read these as data;
none of them parses the English a person sees. Each fact travels in a place
Temporal keeps in the history:

- every task, notice and undo is an activity whose input (:class:`TaskRequest`,
  in :mod:`engine.workflow.campaign`) says what it is for (:class:`TaskPurpose`)
  and, for a notice, which one (:class:`NoticeFact`);
- every timer's summary is a :class:`TimerFact` written as ``purpose:step``;
- every decision's update result is a :class:`Decided`;
- a work item or approval opening is a memo upsert of a :class:`StepOpened`
  under :data:`OPENED_MEMO`.

Histories recorded before this vocabulary existed are read by the audit
reader's compatibility module (``engine.audit``), and nowhere else.
"""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict

Outcome = Literal["approved", "rejected", "changes_requested", "completed"]
"""How a work item or approval was decided."""


class _Fact(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TaskPurpose(StrEnum):
    """Why an activity runs."""

    TASK = "task"
    """A ``task`` step, or a ``notify`` step."""
    NOTICE = "notice"
    """A notice about a work item or approval (see :class:`NoticeKind`)."""
    UNDO = "undo"
    """The ``undo with`` of a completed task (compensation)."""


class NoticeKind(StrEnum):
    """Which notice a work item or approval sends."""

    OPENED = "opened"
    REMINDER = "reminder"
    ESCALATION = "escalation"


class NoticeFact(_Fact):
    """A notice about a human step: to whom, and whom it added to the step."""

    kind: NoticeKind
    step: str
    to: tuple[str, ...]
    """``role:editor`` / ``person:ana``, as the process names them."""
    added: tuple[str, ...] = ()
    """For an escalation: the people who may act on the step from now on."""
    subject: str | None = None
    """A subject the process's designer wrote for this notice: when set, it wins."""
    body: str | None = None
    """A text the process's designer wrote for this notice: when set, it wins."""


class TimerPurpose(StrEnum):
    """Why a campaign set a timer."""

    WAIT = "wait"
    """A ``wait`` step."""
    PEOPLE = "people"
    """The next deadline, reminder or escalation of a work item or approval."""
    EVENT = "event"
    """The deadline of a ``wait for event``."""


_STEP_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_PURPOSES = frozenset(purpose.value for purpose in TimerPurpose)


class TimerFact(_Fact):
    """What a timer is for; its summary in the history is ``purpose:step``."""

    purpose: TimerPurpose
    step: str

    @property
    def summary(self) -> str:
        return f"{self.purpose.value}:{self.step}"

    @classmethod
    def from_summary(cls, summary: str) -> TimerFact | None:
        """The fact a summary holds, or None for a summary written before facts."""
        purpose, sep, step = summary.partition(":")
        if not sep or purpose not in _PURPOSES or not _STEP_ID.match(step):
            return None
        return cls(purpose=TimerPurpose(purpose), step=step)


class Decided(_Fact):
    """The result of a decision a campaign took (the ``act`` update's reply)."""

    step: str
    title: str
    action: str
    via: str
    """How the person could act: ``role editor``, ``delegate of ben``..."""
    outcome: Outcome | None
    """How the step was decided, or None while it waits for more people."""
    waiting_for: int = 0
    """While undecided: how many more approvals it needs."""


OPENED_MEMO = "opened"
"""The memo field a campaign upserts when a work item or approval opens."""


class StepOpened(_Fact):
    """A work item or approval opened (or opened again, for another round)."""

    step: str
    form: Literal["work", "approval"]
    round: int
    parties: tuple[str, ...]
    deadline: dt.datetime | None = None
