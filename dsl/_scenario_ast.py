"""The typed syntax tree of a scenario file. Every node carries its span.

Values are the literal expressions of the process language (:mod:`dsl._ast`),
so a scenario writes ``2500 EUR`` or ``2026-03-02`` exactly as a process does.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from dsl._ast import Duration, Expr
from dsl._source import Span

Verdict = Literal["approved", "rejected", "changes_requested", "completed"]
Outcome = Literal["completed", "failed", "exited", "cancelled", "waiting"]


@dataclass(frozen=True)
class Field:
    """``name = value`` in an input, a return, an answer's outputs or an event's data."""

    name: str
    value: Expr
    span: Span
    name_span: Span


@dataclass(frozen=True)
class Answer:
    """One person's (or several people's) answer on a human step."""

    verdict: Verdict
    people: tuple[tuple[str, Span], ...]
    after: Duration | None
    comment: str
    fields: tuple[Field, ...]
    span: Span


@dataclass(frozen=True)
class NoAnswer:
    """Nobody ever answers: deadlines pass and escalations fire."""

    span: Span


@dataclass(frozen=True)
class Returns:
    """What a task's stand-in action returns."""

    fields: tuple[Field, ...]
    span: Span


@dataclass(frozen=True)
class Fails:
    """A task's stand-in fails with ``message``, ``times`` times (None: every time)."""

    message: str
    times: int | None
    span: Span


ScriptItem = Answer | NoAnswer | Returns | Fails


@dataclass(frozen=True)
class Script:
    """``step: item, then item, ...``: what happens at one step, round after round."""

    step: str
    items: tuple[ScriptItem, ...]
    span: Span
    step_span: Span


@dataclass(frozen=True)
class Event:
    """An external event arriving some time after the campaign starts."""

    name: str
    key: str
    after: Duration
    fields: tuple[Field, ...]
    span: Span
    name_span: Span


@dataclass(frozen=True)
class Party:
    kind: Literal["role", "person"]
    name: str
    span: Span

    def __str__(self) -> str:
        return f"role {self.name}" if self.kind == "role" else self.name


@dataclass(frozen=True)
class ExpectPath:
    steps: tuple[tuple[str, Span], ...]
    includes: bool
    span: Span


@dataclass(frozen=True)
class ExpectOutcome:
    outcome: Outcome
    reason: str | None
    span: Span


@dataclass(frozen=True)
class ExpectOutput:
    field: Field
    span: Span


@dataclass(frozen=True)
class ExpectEscalated:
    step: str
    escalated: bool
    to: Party | None
    span: Span
    step_span: Span


@dataclass(frozen=True)
class ExpectDeadline:
    step: str
    met: bool
    span: Span
    step_span: Span


@dataclass(frozen=True)
class ExpectNotified:
    party: Party
    notified: bool
    span: Span


@dataclass(frozen=True)
class ExpectRefused:
    """``expect refused ana on review "separation of duties"``: a scripted answer the
    campaign turns down, expected (without it, any refusal fails the scenario)."""

    person: str
    step: str
    reason: str | None
    span: Span
    person_span: Span
    step_span: Span


@dataclass(frozen=True)
class ExpectExit:
    """``expect exit lead.converted`` / ``expect no exit``: which ``exit when`` fired."""

    event: str | None
    """None: no exit fired."""
    span: Span
    event_span: Span


@dataclass(frozen=True)
class ExpectDuration:
    comparator: str
    duration: Duration
    span: Span


Expectation = (
    ExpectPath
    | ExpectOutcome
    | ExpectOutput
    | ExpectEscalated
    | ExpectRefused
    | ExpectExit
    | ExpectDeadline
    | ExpectNotified
    | ExpectDuration
)


@dataclass(frozen=True)
class Start:
    """When the campaign starts: a wall-clock moment, in ``zone`` or the calendar's."""

    moment: dt.datetime
    zone: str | None
    span: Span


@dataclass(frozen=True)
class Scenario:
    name: str
    start: Start | None
    inputs: tuple[Field, ...]
    scripts: tuple[Script, ...]
    events: tuple[Event, ...]
    expectations: tuple[Expectation, ...]
    span: Span
    name_span: Span


@dataclass(frozen=True)
class ScenarioFile:
    scenarios: tuple[Scenario, ...]
