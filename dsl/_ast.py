"""The typed syntax tree of a process file. Every node carries its span."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from dsl._source import Span
from dsl._types import Type

# The words a field can hold, as the grammar allows them (the IR names the same).
DurationUnit = Literal[
    "seconds", "minutes", "hours", "days", "weeks", "business_days", "business_hours"
]
UnaryOp = Literal["-", "not"]
BinaryOp = Literal[
    "+", "-", "*", "/", "and", "or", "==", "!=", "<", "<=", ">", ">=", "in", "not in"
]
PartyKind = Literal["role", "person"]
QuorumKind = Literal["any", "all", "count"]
RoundsOutcome = Literal["fail", "continue", "jump"]
HumanKind = Literal["work", "approval"]
HitPolicy = Literal["first", "unique", "collect", "priority"]
Join = Literal["all", "first", "count"]
Every = Literal["day", "week", "month"]

# ---- expressions -------------------------------------------------------------


@dataclass(frozen=True)
class NumberLit:
    value: Decimal
    span: Span


@dataclass(frozen=True)
class MoneyLit:
    amount: Decimal
    currency: str
    span: Span


@dataclass(frozen=True)
class PercentLit:
    """``15%``: the number of percent (15), not the fraction."""

    value: Decimal
    span: Span


@dataclass(frozen=True)
class Duration:
    """A length of time as written: ``3 business days``, ``90 minutes``, ``1h``."""

    amount: Decimal
    unit: DurationUnit
    text: str
    span: Span

    @property
    def is_business(self) -> bool:
        return self.unit.startswith("business_")

    @property
    def seconds(self) -> int | None:
        """Elapsed seconds of a fixed duration; None for business time."""
        factor = _FIXED_SECONDS.get(self.unit)
        return None if factor is None else int(self.amount * factor)


_FIXED_SECONDS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400, "weeks": 604800}


@dataclass(frozen=True)
class DurationLit:
    duration: Duration
    span: Span


@dataclass(frozen=True)
class DateLit:
    value: dt.date
    span: Span


@dataclass(frozen=True)
class DateTimeLit:
    """``2026-12-01 09:00``: a wall-clock time in the process calendar's time zone."""

    value: dt.datetime
    span: Span


@dataclass(frozen=True)
class TextLit:
    """A text with ``{expression}`` interpolations; plain parts are ``str``."""

    parts: tuple[str | Expr, ...]
    span: Span

    # Both are asked for every text by several stages: loops, not generators.
    @property
    def is_plain(self) -> bool:
        for part in self.parts:  # noqa: SIM110 - all() of a generator takes 3 times as long
            if not isinstance(part, str):
                return False
        return True

    @property
    def plain(self) -> str:
        return "".join([p for p in self.parts if isinstance(p, str)])


@dataclass(frozen=True)
class BoolLit:
    value: bool
    span: Span


@dataclass(frozen=True)
class ListLit:
    items: tuple[Expr, ...]
    span: Span


@dataclass(frozen=True)
class RecordLit:
    """``{name: value, ...}``: a record built from expressions."""

    fields: tuple[tuple[str, Expr], ...]
    span: Span


@dataclass(frozen=True)
class Name:
    id: str
    span: Span


@dataclass(frozen=True)
class Attribute:
    obj: Expr
    name: str
    span: Span
    name_span: Span


@dataclass(frozen=True)
class Index:
    obj: Expr
    index: Expr
    span: Span


@dataclass(frozen=True)
class Call:
    func: str
    args: tuple[Expr, ...]
    span: Span
    func_span: Span


@dataclass(frozen=True)
class Unary:
    op: UnaryOp
    operand: Expr
    span: Span


@dataclass(frozen=True)
class Binary:
    op: BinaryOp
    left: Expr
    right: Expr
    span: Span


Expr = (
    NumberLit
    | MoneyLit
    | PercentLit
    | DurationLit
    | DateLit
    | DateTimeLit
    | TextLit
    | BoolLit
    | ListLit
    | RecordLit
    | Name
    | Attribute
    | Index
    | Call
    | Unary
    | Binary
)

# ---- declarations and steps ----------------------------------------------------


@dataclass(frozen=True)
class TypeRef:
    type: Type
    span: Span


@dataclass(frozen=True)
class Input:
    name: str
    type: TypeRef
    default: Expr | None
    span: Span
    name_span: Span


@dataclass(frozen=True)
class Output:
    name: str
    type: TypeRef | None
    value: Expr
    span: Span
    name_span: Span


@dataclass(frozen=True)
class Argument:
    name: str
    value: Expr
    span: Span
    name_span: Span


@dataclass(frozen=True)
class ActionCall:
    """``cms.publish(url: draft.doc_url)``."""

    action: str
    arguments: tuple[Argument, ...]
    span: Span
    action_span: Span


@dataclass(frozen=True)
class StepRef:
    """A reference to a step by name: ``-> draft``, ``go back to draft``."""

    name: str
    span: Span


@dataclass(frozen=True)
class Party:
    """``role editor`` or ``person ana``."""

    kind: PartyKind
    name: str
    span: Span

    def __str__(self) -> str:
        return f"{self.kind} {self.name}"


@dataclass(frozen=True)
class PartyFrom:
    """``role from route.team`` / ``person from route.manager``: who, worked out when the
    step opens from an expression (a text or a list of texts naming roles or people)."""

    kind: PartyKind
    expr: Expr
    span: Span

    def __str__(self) -> str:
        return f"{self.kind} from ..."


Parties = tuple[Party | PartyFrom, ...]


@dataclass(frozen=True)
class Quorum:
    """How many of the approvers must approve: any one, all of them, or N."""

    kind: QuorumKind
    count: int | None
    span: Span


@dataclass(frozen=True)
class StepCalendar:
    """``calendar emea`` / ``calendar "DE"`` / ``calendar from region``: the calendar a
    step counts its business time in, instead of the process's."""

    name: StepRef | None
    """A calendar block of the file or a preset (None: chosen by ``expr``)."""
    expr: Expr | None
    span: Span


@dataclass(frozen=True)
class Escalation:
    """``escalate to role cmo after 4 business days`` (no ``after``: at the deadline)."""

    to: Parties
    after: Duration | None
    span: Span
    after_expr: Expr | None = None
    """``after review_time``: worked out when the step opens (``after`` is None then)."""


@dataclass(frozen=True)
class RoundsLimit:
    """``at most 3 rounds, then fail "..."``: the bound on rework loops."""

    count: int
    outcome: RoundsOutcome
    message: TextLit | None
    target: StepRef | None
    span: Span


@dataclass(frozen=True)
class FieldDecl:
    name: str
    type: TypeRef
    span: Span


@dataclass(frozen=True)
class Task:
    """An automated step: call an action with named arguments."""

    name: str
    title: str | None
    action: str
    arguments: tuple[Argument, ...]
    span: Span
    name_span: Span
    action_span: Span
    args_span: Span
    timeout: Duration | None = None
    retry_attempts: int | None = None
    """How many times to try in all (1 = no retry); None = the engine's default."""
    backoff: tuple[Duration, Duration | None] | None = None
    """First wait between tries, and the longest; None = the engine's default."""
    on_error: StepRef | None = None
    undo: ActionCall | None = None
    allowed: tuple[str, ...] = ()

    @property
    def display_title(self) -> str:
        return self.title or self.name


@dataclass(frozen=True)
class Human:
    """A work item (``kind="work"``, completed with outputs) or an approval."""

    kind: HumanKind
    name: str
    title: str | None
    span: Span
    name_span: Span
    parties: Parties = ()
    """Who may act: ``assign`` for work, ``by`` for approvals."""
    quorum: Quorum | None = None
    not_by: tuple[Expr, ...] = ()
    delegation: bool = True
    deadline: Duration | None = None
    remind_every: Duration | None = None
    escalations: tuple[Escalation, ...] = ()
    returns: tuple[FieldDecl, ...] = ()
    on_reject: StepRef | None = None
    on_changes: StepRef | None = None
    rounds: RoundsLimit | None = None
    allowed: tuple[str, ...] = ()
    deadline_expr: Expr | None = None
    """``deadline review_time``: worked out when the step opens (``deadline`` is None then)."""
    remind_every_expr: Expr | None = None
    calendar: StepCalendar | None = None
    """Where its deadline, reminders and escalations count business time."""
    instructions: str | None = None
    """What the person doing it reads: plain text, shown as written."""
    notice_subject: Expr | None = None
    """The subject of the step's notices (a text with values in it), instead of ours."""
    notice_body: Expr | None = None

    @property
    def has_deadline(self) -> bool:
        """A deadline written as a duration or worked out when the step opens."""
        return self.deadline is not None or self.deadline_expr is not None

    @property
    def display_title(self) -> str:
        return self.title or self.name


@dataclass(frozen=True)
class Rule:
    """One row of a decision table; ``condition`` None is the ``otherwise`` row."""

    condition: Expr | None
    outputs: tuple[tuple[str | None, Expr], ...]
    """``(None, expr)`` for a single result, else ``(name, expr)`` per named result."""
    priority: int | None
    span: Span


@dataclass(frozen=True)
class Decide:
    """A decision table: rows of conditions and results, with a hit policy."""

    name: str
    title: str | None
    hit_policy: HitPolicy
    rules: tuple[Rule, ...]
    span: Span
    name_span: Span
    allowed: tuple[str, ...] = ()

    @property
    def display_title(self) -> str:
        return self.title or self.name


@dataclass(frozen=True)
class Branch:
    condition: Expr
    body: tuple[Statement, ...]
    span: Span


@dataclass(frozen=True)
class If:
    branches: tuple[Branch, ...]
    orelse: tuple[Statement, ...] | None
    span: Span


@dataclass(frozen=True)
class ParallelBranch:
    name: str | None
    title: str | None
    body: tuple[Statement, ...]
    span: Span


@dataclass(frozen=True)
class Parallel:
    """Branches that run at once; the block ends when all, the first, or N of them end."""

    join: Join
    count: int | None
    title: str | None
    branches: tuple[ParallelBranch, ...]
    span: Span


@dataclass(frozen=True)
class ForEach:
    variable: str
    items: Expr
    concurrency: int | None
    body: tuple[Statement, ...]
    span: Span
    variable_span: Span


@dataclass(frozen=True)
class WaitFor:
    duration: Duration | None
    """None when the duration is an expression (``expr``)."""
    span: Span
    expr: Expr | None = None
    calendar: StepCalendar | None = None


@dataclass(frozen=True)
class WaitUntil:
    moment: Expr
    at: dt.time | None
    zone: str | None
    send_window: bool
    span: Span
    calendar: StepCalendar | None = None
    """Its zone and send window, when not the process calendar's."""


@dataclass(frozen=True)
class WaitEvent:
    event: str
    key: Expr
    bind: str | None
    deadline: Duration | None
    on_timeout: StepRef | None
    span: Span
    bind_span: Span | None = None
    calendar: StepCalendar | None = None
    """Where the deadline counts business time."""


@dataclass(frozen=True)
class CallProcess:
    """A sub-process: ``call nurture = lead_nurture(lead: email)``."""

    name: str
    title: str | None
    process: str
    arguments: tuple[Argument, ...]
    span: Span
    name_span: Span
    process_span: Span

    @property
    def display_title(self) -> str:
        return self.title or self.name


@dataclass(frozen=True)
class Set:
    name: str
    value: Expr
    span: Span
    name_span: Span


@dataclass(frozen=True)
class Notify:
    parties: Parties
    message: Expr
    """The text: written on the line, or as ``body`` under it."""
    span: Span
    subject: Expr | None = None


@dataclass(frozen=True)
class GoBack:
    """``go back to draft, at most 2 times``: a bounded jump to an earlier step."""

    target: StepRef
    times: int
    span: Span


@dataclass(frozen=True)
class Fail:
    message: Expr
    span: Span


@dataclass(frozen=True)
class Exit:
    """``exit when event "x" key k as e``: ends the enclosing block (or process) early;
    the steps under it (``then``) run when it fires, with the event's data as ``e``."""

    event: str
    key: Expr | None
    span: Span
    bind: str | None = None
    bind_span: Span | None = None
    then: tuple[Statement, ...] = ()
    """The on-exit steps: they run when the event arrives, before the block is left."""


Statement = (
    Task
    | Human
    | Decide
    | If
    | Parallel
    | ForEach
    | WaitFor
    | WaitUntil
    | WaitEvent
    | CallProcess
    | Set
    | Notify
    | GoBack
    | Fail
    | Exit
)

NamedStep = Task | Human | Decide | CallProcess
"""Steps whose name refers to their result later in the process."""


@dataclass(frozen=True)
class CalendarDef:
    """A ``calendar`` block; options not written are None."""

    name: str
    title: str | None
    span: Span
    name_span: Span
    time_zone: str | None = None
    working_days: tuple[int, ...] | None = None
    office_hours: tuple[dt.time, dt.time] | None = None
    all_day: bool = False
    holiday_country: str | None = None
    holiday_region: str | None = None
    days_off: tuple[dt.date, ...] = ()
    send_window: tuple[dt.time, dt.time] | None = None
    blackouts: tuple[tuple[dt.date, dt.date], ...] = ()
    option_span: tuple[tuple[str, Span], ...] = ()
    """Where each option is written (the zone's text, ...), by option; named to end in
    ``span`` like every position, which the formatter leaves out when it compares trees."""


@dataclass(frozen=True)
class Process:
    name: str
    title: str | None
    inputs: tuple[Input, ...]
    body: tuple[Statement, ...]
    outputs: tuple[Output, ...]
    span: Span
    name_span: Span
    owner: Party | None = None
    calendar: StepRef | None = None
    """The calendar's name (a ``calendar`` block or a country code such as "DE")."""
    allowed: tuple[str, ...] = ()
    schedule: Schedule | None = None
    """When campaigns of it start by themselves (``mops schedule create``)."""


@dataclass(frozen=True)
class Schedule:
    """``every month on the first business day at 09:00 in "Europe/Berlin"``."""

    every: Every
    at: dt.time
    span: Span
    weekday: int | None = None
    """For ``every week``: Monday is 0."""
    day: int | None = None
    """For ``every month on the 15th``."""
    first_business_day: bool = False
    """For ``every month on the first business day`` (in the process calendar)."""
    zone: str | None = None
    """The time zone ``at`` is read in; None: the process calendar's."""


@dataclass(frozen=True)
class Use:
    """``use "lead_nurture.mops"``: makes another file's process callable."""

    path: str
    span: Span


@dataclass(frozen=True)
class File:
    """Everything in one ``.mops`` file."""

    process: Process | None
    calendars: tuple[CalendarDef, ...] = ()
    uses: tuple[Use, ...] = ()
    extra_processes: tuple[Process, ...] = field(default=())
    """Processes after the first: an error (one process per file)."""
