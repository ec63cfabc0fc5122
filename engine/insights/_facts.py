"""The facts of one campaign that the figures are made of, taken from its timeline.

Everything here is read from typed data: the timeline's entries (``what``,
``step``, ``actor``, ``via``, ``details``) and bars (``kind``, ``start``,
``end``), the process version's IR in the start event (parties, deadlines,
rule rows, calendar), and the typed timer facts of the history for the moment
a ``wait for event`` begins. No sentence is read back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter

from engine import ir
from engine.audit import Timeline, process_of, read_timeline
from engine.workflow import business_time
from engine.workflow.facts import TimerFact, TimerPurpose

DECISIONS = {"approved", "rejected", "changes_requested", "completed"}
SPAN_KINDS = {
    "human": "people",
    "task": "work",
    "wait": "timers",
    "event": "timers",
    "call": "work",
}
"""Where the time of a bar goes: waiting for people, work (tasks, sub-processes), timers."""


@dataclass(slots=True)
class Round:
    """One round of a work item or approval (times in seconds since the epoch, like every
    time below a campaign: ten thousand campaigns load without making a million dates)."""

    step: str
    role: str
    number: int
    opened_at: float
    closed_at: float | None
    outcome: str
    deadline_at: float | None
    escalated: bool
    reminders: int
    refusals: int


@dataclass(slots=True)
class Answer:
    """One person's decision on a round, and how long after it opened."""

    step: str
    role: str
    actor: str
    via: str
    action: str
    at: float
    seconds: float
    business_seconds: float


@dataclass(slots=True)
class Span:
    """Time a step took: waiting for people, working, or waiting on a timer."""

    step: str
    kind: str
    start: float
    end: float
    seconds: float
    business_seconds: float
    outcome: str


@dataclass(slots=True)
class TaskRun:
    step: str
    action: str
    attempts: int
    failed: bool
    seconds: float


@dataclass(slots=True)
class EventWait:
    step: str
    event: str
    waited_from: float
    arrived_after: float | None
    """Business seconds until the event came (None: it never did)."""


@dataclass
class CampaignFacts:
    campaign: str
    process: str
    version: str
    state: str
    started_at: dt.datetime
    ended_at: dt.datetime | None
    seconds: float | None
    business_seconds: float | None
    hours_per_day: float
    rounds: list[Round] = field(default_factory=list)
    answers: list[Answer] = field(default_factory=list)
    spans: list[Span] = field(default_factory=list)
    rules: list[tuple[str, int]] = field(default_factory=list)
    declared_rows: list[tuple[str, int]] = field(default_factory=list)
    tasks: list[TaskRun] = field(default_factory=list)
    waits: list[EventWait] = field(default_factory=list)
    steps: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Step id -> (title, kind) as the process declares them."""


def facts_of(histories: Sequence[WorkflowHistory]) -> CampaignFacts:
    """The facts of a campaign, from the histories of its runs (oldest first).

    Raises:
        engine.audit.HistoryProblem: the history is not a campaign's.
    """
    timeline = read_timeline(histories)
    process = process_of(histories)
    return _facts(timeline, process, _event_waits(histories))


def _facts(
    timeline: Timeline, process: ir.ProcessIR, waits: list[tuple[str, dt.datetime]]
) -> CampaignFacts:
    calendar = process.calendar
    steps = {s.id: s for s in ir.iter_steps(process.body)}

    def business(start: dt.datetime, end: dt.datetime) -> float:
        if end <= start:
            return 0.0
        return business_time.working_time_between(start, end, calendar).total_seconds()

    end = timeline.ended_at
    facts = CampaignFacts(
        campaign=timeline.campaign,
        process=timeline.process,
        version=timeline.version,
        state=timeline.state,
        started_at=timeline.started_at,
        ended_at=end,
        seconds=None if end is None else (end - timeline.started_at).total_seconds(),
        business_seconds=None if end is None else business(timeline.started_at, end),
        hours_per_day=hours_per_day(calendar),
        steps={s.id: (_title(s), s.kind) for s in steps.values()},
    )
    _people(facts, timeline, steps, calendar, business)
    for bar in timeline.bars:
        if bar.end is None or bar.kind not in SPAN_KINDS:
            continue
        facts.spans.append(
            Span(
                bar.step,
                SPAN_KINDS[bar.kind],
                bar.start.timestamp(),
                bar.end.timestamp(),
                (bar.end - bar.start).total_seconds(),
                business(bar.start, bar.end),
                bar.outcome,
            )
        )
        if bar.kind == "task":
            attempts = 1 + sum(
                1 for e in timeline.entries if e.what == "retried" and e.step == bar.step
            )
            facts.tasks.append(
                TaskRun(
                    bar.step,
                    bar.action or "",
                    attempts,
                    bar.outcome == "failed",
                    (bar.end - bar.start).total_seconds(),
                )
            )
    for entry in timeline.entries:
        if entry.what == "decided":
            facts.rules.extend((entry.step, int(row)) for row in entry.details.get("rows", []))
    for step in steps.values():
        if isinstance(step, ir.DecideStep):
            facts.declared_rows.extend((step.id, rule.span.line) for rule in step.rules)
    arrivals = [(e.at, e.details.get("name", "")) for e in timeline.entries if e.what == "event"]
    for step_id, began in waits:
        waiting = steps.get(step_id)
        if not isinstance(waiting, ir.EventStep):
            continue
        came = [at for at, name in arrivals if name == waiting.event and at >= began]
        after = business(began, min(came)) if came else None
        facts.waits.append(EventWait(step_id, waiting.event, began.timestamp(), after))
    return facts


@dataclass
class _Open:
    role: str
    number: int
    at: dt.datetime
    deadline: dt.datetime | None
    escalated: bool = False
    reminders: int = 0
    refusals: int = 0


def _people(
    facts: CampaignFacts,
    timeline: Timeline,
    steps: dict[str, ir.AnyStep],
    calendar: ir.Calendar | None,
    business: Callable[[dt.datetime, dt.datetime], float],
) -> None:
    """Rounds of human steps and people's answers, from the entries in time order."""
    # A round closes when its last decision lands: the human bars say when, and how.
    closed = {
        (bar.step, bar.start): (bar.end, bar.outcome)
        for bar in timeline.bars
        if bar.kind == "human"
    }
    opened: dict[str, _Open] = {}
    counts: dict[str, int] = {}

    def close(step_id: str) -> None:
        item = opened.pop(step_id, None)
        if item is None:
            return
        end, outcome = closed.get((step_id, item.at), (None, ""))
        facts.rounds.append(
            Round(
                step_id,
                item.role,
                item.number,
                item.at.timestamp(),
                None if end is None else end.timestamp(),
                outcome,
                None if item.deadline is None else item.deadline.timestamp(),
                item.escalated,
                item.reminders,
                item.refusals,
            )
        )

    for entry in timeline.entries:
        step = steps.get(entry.step)
        if entry.what == "opened" and isinstance(step, ir.HumanStep):
            close(entry.step)
            counts[entry.step] = counts.get(entry.step, 0) + 1
            deadline = None
            if step.deadline is not None:
                deadline = business_time.add(entry.at, step.deadline, calendar)
            opened[entry.step] = _Open(role_of(step), counts[entry.step], entry.at, deadline)
            continue
        item = opened.get(entry.step)
        if item is None:
            continue
        if entry.what == "escalated":
            item.escalated = True
        elif entry.what == "reminded":
            item.reminders += 1
        elif entry.what == "refused":
            item.refusals += 1
        elif entry.what in DECISIONS:
            facts.answers.append(
                Answer(
                    entry.step,
                    item.role,
                    entry.actor,
                    entry.via,
                    entry.what,
                    entry.at.timestamp(),
                    (entry.at - item.at).total_seconds(),
                    business(item.at, entry.at),
                )
            )
    for step_id in list(opened):
        close(step_id)


def role_of(step: ir.HumanStep) -> str:
    """The role a human step is for (the first named), or ``people`` for named people."""
    return next((p.name for p in step.parties if p.kind == "role"), "people")


def hours_per_day(calendar: ir.Calendar | None) -> float:
    office = (calendar or business_time.PLAIN).office_hours
    if office is None:
        return 24.0
    span = dt.datetime.combine(dt.date.min, office[1]) - dt.datetime.combine(dt.date.min, office[0])
    return span.total_seconds() / 3600


def _title(step: ir.AnyStep) -> str:
    title = getattr(step, "title", None)
    return title if isinstance(title, str) and title else step.id


_CONVERTER = pydantic_data_converter.payload_converter


def _event_waits(histories: Sequence[WorkflowHistory]) -> list[tuple[str, dt.datetime]]:
    """When each ``wait for event`` began: its deadline timer's typed fact."""
    found: list[tuple[str, dt.datetime]] = []
    for history in histories:
        for event in history.events:
            if event.event_type != EventType.EVENT_TYPE_TIMER_STARTED:
                continue
            if not event.user_metadata.HasField("summary"):
                continue
            fact = TimerFact.from_summary(_CONVERTER.from_payload(event.user_metadata.summary, str))
            if fact is not None and fact.purpose is TimerPurpose.EVENT:
                found.append((fact.step, event.event_time.ToDatetime(tzinfo=dt.UTC)))
    return found
