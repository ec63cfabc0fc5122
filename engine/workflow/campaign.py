"""What goes into a campaign, what comes out, and what its status query returns.

These models cross the Temporal boundary (workflow input, query result,
workflow result, activity input), so they are plain pydantic data, safe to
import inside the workflow sandbox.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict

from engine.ir import ProcessIR
from engine.workflow.facts import NoticeFact, Returned, TaskPurpose
from engine.workflow.provenance import Verified
from engine.workflow.team import TeamSnapshot
from engine.workflow.work_items import WorkItem

JsonValue = Any
"""A value that survives a JSON round trip: what arguments and results are made of."""

StepState = Literal["running", "done", "failed"]
CampaignState = Literal[
    "running", "paused", "completed", "failed", "cancelled", "terminated", "timed_out"
]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CampaignStart(_Model):
    """The workflow input: the process version to run and its inputs (as JSON)."""

    process: ProcessIR
    inputs: dict[str, JsonValue]
    started_by: str
    team: TeamSnapshot | None = None
    """The team directory as the campaign starts; human steps are checked against it."""
    history_limit: int = 10_000
    """Past this many history events the campaign continues as new at its next step."""
    resume: Carried | None = None
    """Set when the campaign continued as new: where it was and what it knew."""
    started: Verified | None = None
    """Who started the campaign, as its first run verified it: set by the engine on a
    continued run and on a sub-process (a start from outside carries a seal instead)."""
    schedule: str | None = None
    """For a start a Temporal Schedule makes: the schedule's id. Its seal was made by
    the operator who created the schedule, bound to that id (see docs/security.md)."""


class Place(_Model):
    """Where inside a block a campaign goes on after continue-as-new: one level."""

    kind: Literal["branch", "item", "rest"]
    """In a branch of an ``if``, an item of a ``for each``, the rest of an ``exit when``."""
    step: str
    """The ``if``, ``for each`` or ``exit when`` step."""
    index: int
    """The step of the block's body to go on with."""
    branch: int = 0
    """``if``: the branch taken (one past the last ``else if`` is the ``else``)."""
    item: int = 0
    """``for each``: the item's number, from 0."""
    own: dict[str, JsonValue] = {}
    """``for each``: the item's variable and what it defined so far (tagged: see carry)."""
    later: list[JsonValue] = []
    """``for each``: the items after this one (tagged)."""


class Carried(_Model):
    """Everything a campaign carries into its next run (continue-as-new)."""

    index: int
    """The top-level step to go on with."""
    path: tuple[Place, ...] = ()
    """Inside that step (a block), where to go on, outermost first; empty at the top."""
    env: dict[str, JsonValue]
    """Inputs and results, tagged with their types (engine.workflow.carry)."""
    runs: dict[str, int]
    rounds: dict[str, int]
    events: tuple[ExternalEvent, ...]
    refused: tuple[RefusedAttempt, ...]
    steps: tuple[StepRecord, ...]
    started_at: dt.datetime
    generation: int
    """How many times the campaign has continued as new."""
    undo: tuple[CarriedUndo, ...] = ()
    """What undoes the tasks done so far (newest last)."""
    open_item: WorkItem | None = None
    """A work item or approval open at the step ``index``/``path``, decisions so far."""
    next_reminder: dt.datetime | None = None
    """When that step's next reminder is due."""
    paused: bool = False
    ignored: tuple[IgnoredSignal, ...] = ()
    dropped: tuple[DroppedEvent, ...] = ()
    nonces: tuple[str, ...] = ()
    """Single-use ids of the signed decisions and signals taken so far (the newest)."""
    held: dict[str, list[str]] = {}
    """Everyone who acted on each work item or approval, in any round."""
    returned: dict[str, Returned] = {}
    """Why a work item or approval about to open again was sent back, by step."""


class CarriedUndo(_Model):
    """A completed task whose ``undo with`` may still have to run."""

    step: str
    own: dict[str, JsonValue] = {}
    """The names of the ``for each`` item it ran for (tagged, engine.workflow.carry)."""


class TaskRequest(_Model):
    """The input of every task activity: the arguments plus where they come from.

    The activity type is the action name; this envelope carries the step it
    runs for so that a failure can name the step and its ``.mops`` line, and
    says what it is for, as data the audit reader reads (``purpose``, ``notice``).
    """

    step: str
    """The step it runs for (``draft``, not ``draft.notice``: see ``purpose``)."""
    title: str
    source: str
    """``file:line:col`` of the step in its process file."""
    arguments: dict[str, JsonValue]
    purpose: TaskPurpose | None = None
    """A task, a notice or an undo; None in histories written before facts were typed."""
    notice: NoticeFact | None = None
    """For a notice: which, to whom, and whom it added to the step."""


class StepRecord(_Model):
    """One step the campaign has started, as its status shows it."""

    id: str
    title: str
    action: str | None
    source: str
    state: StepState
    started_at: dt.datetime
    ended_at: dt.datetime | None = None
    error: str | None = None
    campaign: str | None = None
    """For a sub-process (``call``): the id of the child campaign that runs it."""


class CampaignStatus(_Model):
    """What the ``status`` query returns while a campaign runs (or after)."""

    process: str
    title: str
    version: str
    state: CampaignState
    started_at: dt.datetime
    current_step: str | None
    steps: tuple[StepRecord, ...]
    inputs: dict[str, JsonValue]
    outputs: dict[str, JsonValue]
    error: str | None = None
    open_items: tuple[WorkItem, ...] = ()
    """Work items and approvals waiting for people."""
    refused: tuple[RefusedAttempt, ...] = ()
    """Decisions people tried and were refused, as reported by the client."""
    team_version: str | None = None
    generation: int = 0
    """How many times the campaign has continued as new (history kept bounded)."""
    ignored_signals: tuple[IgnoredSignal, ...] = ()
    """Signals whose payload was not what they take: recorded, and otherwise ignored."""
    dropped_events: tuple[DroppedEvent, ...] = ()
    """Events not kept for a later step: too large, or too many waiting (the newest 50)."""


class RefusedAttempt(_Model):
    """A decision the campaign refused. A refused update leaves no trace in Temporal's
    history, so the client that was refused reports it with a signal, which does."""

    step: str
    actor: str
    action: str
    reason: str
    at: dt.datetime | None = None


class IgnoredSignal(_Model):
    """A signal the campaign ignored, and why (the signal itself is in the history)."""

    name: str
    reason: str
    at: dt.datetime


DropReason = Literal["too_large", "too_many", "too_many_bytes"]


class DroppedEvent(_Model):
    """An event the campaign did not keep for a later step, and why (typed: readers
    never parse a sentence). The signal itself stays in the history."""

    name: str | None
    """The event's name; None when it was too large to read at all."""
    key: str | None
    size: int
    """Its bytes as sent."""
    why: DropReason
    """Larger than one event may be; or the campaign already keeps as many events, or
    as many bytes of them, as it may (bounds.EARLY_EVENTS, EARLY_EVENT_BYTES)."""
    at: dt.datetime


class TeamPush(_Model):
    """``mops team push``: a newer team directory for a running campaign, and who sent it."""

    by: str
    team: TeamSnapshot


class OperatorAction(_Model):
    """An operator pausing, resuming or cancelling a campaign: who, and why."""

    by: str
    reason: str = ""


class ExternalEvent(_Model):
    """An event from outside (``mops send-event``), matched to waits by name and key."""

    name: str
    key: str
    data: dict[str, JsonValue] = {}


class CampaignResult(_Model):
    """The workflow result: the outputs the process declares."""

    outputs: dict[str, JsonValue]
    steps_done: int


def idempotency_key(campaign_id: str, activity_id: str) -> str:
    """The idempotency key of one task execution.

    It is derived from the campaign (workflow id) and the activity id, which the
    interpreter sets from the step and how many times that step has run, never
    from the attempt: every retry and every replay after a crash sends the same
    key, while a deliberate re-run of the step (rework) gets a new one.
    """
    return f"{campaign_id}/{activity_id}"


STATUS_QUERY = "status"
ACT_UPDATE = "act"
REFUSED_SIGNAL: Final = "refused"
EVENT_SIGNAL: Final = "event"
TEAM_SIGNAL: Final = "team"
PAUSE_SIGNAL: Final = "pause"
RESUME_SIGNAL: Final = "resume"
CANCEL_SIGNAL: Final = "cancelling"

SECRET_MARKER = "$secret"
"""Task arguments carry a secret as ``{"$secret": "name"}``: only the worker resolves it,
so the value never enters the campaign's history."""


CampaignStatus.model_rebuild()
CampaignStart.model_rebuild()
Carried.model_rebuild()
