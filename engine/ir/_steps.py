"""The IR's steps and the process: what one campaign runs."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, SerializerFunctionWrapHandler, model_serializer

from engine.ir._expr import Calendar, Duration, Expr, Span, TypeRef, _Node

IR_VERSION: Literal[2] = 2
"""2 added every construct of the language; version 1 processes load unchanged."""


class RetryPolicy(_Node):
    """How often a failing task is tried again, and how long to wait between tries."""

    maximum_attempts: int = 5
    initial_interval_seconds: float = 1.0
    backoff: float = 2.0
    maximum_interval_seconds: float = 60.0


class ActionCall(_Node):
    action: str
    arguments: dict[str, Expr]
    span: Span


class TaskStep(_Node):
    """Call an action (an activity whose type is the action name)."""

    kind: Literal["task"] = "task"
    id: str
    title: str
    action: str
    arguments: dict[str, Expr]
    timeout_seconds: float = 300.0
    heartbeat_seconds: float | None = None
    """Set for actions that heartbeat: a dead worker is noticed after this long."""
    retry: RetryPolicy = RetryPolicy()
    on_error: str | None = None
    """The step to go to when the task fails for good."""
    undo: ActionCall | None = None
    """The compensation that undoes the task when a later step fails."""
    span: Span


class _Later(_Node):
    """A node with optional fields added after processes were compiled and started: left
    unset, they stay out of its JSON, so an older process compiles to the same IR (and a
    running campaign replays on the IR it carries)."""

    LATER: ClassVar[tuple[str, ...]] = ()

    @model_serializer(mode="wrap")
    def _without_unset_later(self, handler: SerializerFunctionWrapHandler) -> Any:
        data = handler(self)
        for name in self.LATER:
            if data.get(name) is None:
                data.pop(name, None)
        return data


class Party(_Node):
    kind: Literal["role", "person"]
    name: str


class PartyFrom(_Node):
    """Roles or people worked out when the step opens: the value of ``expr`` (a text or
    a list of texts), checked against the campaign's team directory then."""

    kind: Literal["role", "person"]
    expr: Expr


class Escalation(_Later):
    LATER = ("after_expr", "to_from")

    to: tuple[Party, ...]
    after: Duration | None = None
    """None: at the deadline (or after ``after_expr``)."""
    after_expr: Expr | None = None
    """A duration worked out when the step opens, instead of ``after``."""
    to_from: tuple[PartyFrom, ...] | None = None
    """Escalation targets worked out when the step opens, besides ``to``."""


class RoundsLimit(_Node):
    count: int
    outcome: Literal["fail", "continue", "jump"] = "fail"
    message: str | Expr | None = None
    """The reason the campaign fails: a plain text, or a text with interpolations."""
    target: str | None = None


class Field_(_Node):
    name: str
    type: TypeRef


class HumanStep(_Later):
    """A work item (completed with typed outputs) or an approval (decided)."""

    LATER = (
        "deadline_expr",
        "remind_every_expr",
        "parties_from",
        "calendar",
        "calendar_expr",
        "instructions",
        "notice_subject",
        "notice_body",
    )

    kind: Literal["human"] = "human"
    id: str
    title: str
    form: Literal["work", "approval"]
    parties: tuple[Party, ...]
    quorum: Literal["any", "all", "count"] = "any"
    quorum_count: int | None = None
    not_by: tuple[Expr, ...] = ()
    delegation: bool = True
    deadline: Duration | None = None
    remind_every: Duration | None = None
    escalations: tuple[Escalation, ...] = ()
    returns: tuple[Field_, ...] = ()
    on_reject: str | None = None
    on_changes: str | None = None
    rounds: RoundsLimit | None = None
    span: Span
    deadline_expr: Expr | None = None
    """A deadline worked out when the step opens (a duration), instead of ``deadline``."""
    remind_every_expr: Expr | None = None
    """Likewise for ``remind_every``."""
    parties_from: tuple[PartyFrom, ...] | None = None
    """Who may act, worked out when the step opens, besides ``parties``."""
    calendar: str | None = None
    """The calendar (of :attr:`ProcessIR.calendars`) its deadline, reminders and
    escalations count in, instead of the process's."""
    calendar_expr: Expr | None = None
    """The name of that calendar, worked out when the step opens."""
    instructions: str | None = None
    """What the person doing the step reads (plain text, shown as written)."""
    notice_subject: Expr | None = None
    """The subject of the step's notices, as its designer wrote it (a text); worked out
    when the step opens."""
    notice_body: Expr | None = None
    """Likewise, the text of its notices."""


class Rule(_Node):
    """A row of a decision table; no condition = ``otherwise``."""

    condition: Expr | None
    outputs: dict[str, Expr]
    """By result name; a single unnamed result is under ``""``."""
    priority: int | None = None
    span: Span


class DecideStep(_Node):
    kind: Literal["decide"] = "decide"
    id: str
    title: str
    hit_policy: Literal["first", "unique", "collect", "priority"] = "first"
    rules: tuple[Rule, ...]
    span: Span


class Branch(_Node):
    condition: Expr
    body: tuple[Step, ...]
    span: Span


class IfStep(_Node):
    """Run the body of the first branch whose condition holds, else ``orelse``."""

    kind: Literal["if"] = "if"
    id: str
    branches: tuple[Branch, ...]
    orelse: tuple[Step, ...]
    span: Span


class ParallelBranch(_Node):
    name: str | None = None
    title: str | None = None
    body: tuple[Step, ...]
    span: Span


class ParallelStep(_Node):
    """Branches run at once; the block ends when all, the first, or ``count`` end."""

    kind: Literal["parallel"] = "parallel"
    id: str
    title: str | None = None
    join: Literal["all", "first", "count"] = "all"
    count: int | None = None
    branches: tuple[ParallelBranch, ...]
    span: Span


class ForEachStep(_Node):
    kind: Literal["for_each"] = "for_each"
    id: str
    variable: str
    items: Expr
    concurrency: int | None = None
    body: tuple[Step, ...]
    span: Span


class WaitStep(_Later):
    """Wait a duration, or until a moment (optionally at a time, in a zone or send window)."""

    LATER = ("duration_expr", "calendar", "calendar_expr")

    kind: Literal["wait"] = "wait"
    id: str
    duration: Duration | None = None
    until: Expr | None = None
    at: dt.time | None = None
    zone: str | None = None
    send_window: bool = False
    span: Span
    duration_expr: Expr | None = None
    """A duration worked out when the wait starts, instead of ``duration``."""
    calendar: str | None = None
    """Its own calendar (see :attr:`HumanStep.calendar`)."""
    calendar_expr: Expr | None = None


class EventStep(_Later):
    """Wait for an external event whose key matches, with an optional deadline."""

    LATER = ("calendar", "calendar_expr")

    kind: Literal["event"] = "event"
    id: str
    event: str
    key: Expr
    bind: str | None = None
    deadline: Duration | None = None
    on_timeout: str | None = None
    span: Span
    calendar: str | None = None
    """Where its deadline counts business time (see :attr:`HumanStep.calendar`)."""
    calendar_expr: Expr | None = None


class CallStep(_Node):
    """Run another process as a child campaign and wait for its outputs."""

    kind: Literal["call"] = "call"
    id: str
    title: str
    process: ProcessIR
    arguments: dict[str, Expr]
    span: Span


class SetStep(_Node):
    kind: Literal["set"] = "set"
    id: str
    name: str
    value: Expr
    span: Span


class NotifyStep(_Later):
    LATER = ("parties_from", "subject")

    kind: Literal["notify"] = "notify"
    id: str
    parties: tuple[Party, ...]
    message: Expr
    span: Span
    parties_from: tuple[PartyFrom, ...] | None = None
    """Roles or people worked out when the step runs, besides ``parties``."""
    subject: Expr | None = None
    """The subject, as the designer wrote it (None: the worker's own)."""


class GoBackStep(_Node):
    kind: Literal["go_back"] = "go_back"
    id: str
    target: str
    times: int
    span: Span


class FailStep(_Node):
    kind: Literal["fail"] = "fail"
    id: str
    message: Expr
    span: Span


class ExitStep(_Later):
    """Ends the enclosing block (or the process) when the event arrives; ``then`` runs
    first, with the event's data as ``bind``."""

    LATER = ("bind", "then")

    kind: Literal["exit"] = "exit"
    id: str
    event: str
    key: Expr | None = None
    span: Span
    bind: str | None = None
    then: tuple[Step, ...] | None = None
    """The on-exit steps (None: none)."""


AnyStep = (
    TaskStep
    | HumanStep
    | DecideStep
    | IfStep
    | ParallelStep
    | ForEachStep
    | WaitStep
    | EventStep
    | CallStep
    | SetStep
    | NotifyStep
    | GoBackStep
    | FailStep
    | ExitStep
)

Step = Annotated[AnyStep, Field(discriminator="kind")]


class InputDecl(_Node):
    name: str
    type: TypeRef
    default: Expr | None = None
    span: Span


class OutputDecl(_Node):
    name: str
    type: TypeRef | None = None
    value: Expr
    span: Span


class Schedule(_Node):
    """When campaigns of the process start by themselves: a Temporal Schedule that
    ``mops schedule create`` makes from it."""

    every: Literal["day", "week", "month"]
    at: str
    """``HH:MM``, in ``time_zone``."""
    time_zone: str
    weekday: int | None = None
    """``every week``: Monday is 0."""
    day: int | None = None
    """``every month on the Nth``."""
    first_business_day: bool = False
    """``every month on the first business day``: the schedule starts the campaign on the
    1st, and the campaign waits, in the process calendar, for the first business day."""


class ProcessIR(_Later):
    """A whole compiled process: what one campaign runs."""

    LATER = ("calendars", "schedule")

    ir_version: Literal[1, 2] = IR_VERSION
    name: str
    title: str
    source_file: str
    source_hash: str
    """SHA-256 of the normalised source text: the process version."""
    inputs: tuple[InputDecl, ...]
    body: tuple[Step, ...]
    outputs: tuple[OutputDecl, ...]
    owner: Party | None = None
    calendar: Calendar | None = None
    span: Span
    calendars: dict[str, Calendar] | None = None
    """Every other calendar a step may count in, pinned like ``calendar``, by name."""
    schedule: Schedule | None = None
    """When campaigns of it start by themselves."""

    @property
    def version(self) -> str:
        """The short form of the source hash that people see."""
        return self.source_hash[:12]

    def location(self, span: Span) -> str:
        """``file:line:col`` of a node in this process's source."""
        return f"{self.source_file}:{span.line}:{span.col}"


for _model in (
    PartyFrom,
    Branch,
    IfStep,
    ParallelBranch,
    ParallelStep,
    ForEachStep,
    CallStep,
    ExitStep,
    ProcessIR,
):
    _model.model_rebuild()


def child_bodies(step: AnyStep) -> list[tuple[Step, ...]]:
    """The blocks directly inside a step."""
    match step:
        case IfStep():
            return [b.body for b in step.branches] + [step.orelse]
        case ParallelStep():
            return [b.body for b in step.branches]
        case ForEachStep():
            return [step.body]
        case ExitStep(then=then) if then:
            return [then]
        case _:
            return []


def iter_steps(body: tuple[Step, ...]) -> list[AnyStep]:
    """Every step in a body, at any depth, in file order (not inside sub-processes)."""
    found: list[AnyStep] = []
    for step in body:
        found.append(step)
        for inner in child_bodies(step):
            found.extend(iter_steps(inner))
    return found
