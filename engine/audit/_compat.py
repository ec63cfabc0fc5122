"""Reading histories written before a campaign's facts were typed data.

Until the ``mops-typed-facts`` engine (2026-12-07) the workflow wrote some of
what its readers need as English: a notice's kind only in its title
("Escalated: ..."), a notice or undo only as a suffix of the step id
(``draft.notice``), a timer's purpose only in its summary ("wait 2 days",
"deadline of ...", "lead.replied deadline"), the outcome of a decision only in
the update's reply ("'Review' is approved"), a step opening only as a change of
the campaign's search attributes or open-steps memo, and whom an escalation
added not at all. Those histories stay readable for as long as campaigns are
audited: this module, and nothing else, reads them. New histories carry
:mod:`engine.workflow.facts` and never come here.
"""

from __future__ import annotations

from collections.abc import Mapping

from engine import ir
from engine.workflow.campaign import TaskRequest
from engine.workflow.facts import (
    NoticeFact,
    NoticeKind,
    Outcome,
    TaskPurpose,
    TimerFact,
    TimerPurpose,
)
from engine.workflow.team import TeamSnapshot

_OUTCOMES: frozenset[str] = frozenset(("approved", "rejected", "changes requested", "completed"))


def task_facts(request: TaskRequest) -> tuple[TaskPurpose, str, NoticeFact | None]:
    """What an activity was for, the step it ran for, and the notice it sent (if one)."""
    if request.purpose is not None:
        return request.purpose, request.step, request.notice
    step, _, suffix = request.step.partition(".")
    if suffix == "undo":
        return TaskPurpose.UNDO, step, None
    if suffix != "notice":
        return TaskPurpose.TASK, request.step, None
    to = request.arguments.get("to", [])
    kind = NoticeKind.ESCALATION if request.title.startswith("Escalated") else NoticeKind.REMINDER
    parties = tuple(str(t) for t in to) if isinstance(to, list) else ()
    return TaskPurpose.NOTICE, step, NoticeFact(kind=kind, step=step, to=parties)


def escalated_people(notice: NoticeFact, team: TeamSnapshot) -> tuple[str, ...]:
    """Whom an escalation added to its step: written by the campaign since typed facts,
    worked out from the team directory before."""
    if notice.added:
        return notice.added
    people: list[str] = []
    for target in notice.to:
        kind, _, name = target.partition(":")
        people.extend(team.with_role(name) if kind == "role" else [name])
    return tuple(people)


def timer_facts(summary: str, steps: Mapping[str, ir.AnyStep]) -> TimerFact | None:
    """What a timer was for, from its summary; None for a timer readers ignore."""
    fact = TimerFact.from_summary(summary)
    if fact is not None:
        return fact
    if summary.startswith("wait"):
        waits = [s for s in steps.values() if isinstance(s, ir.WaitStep)]
        until = summary.startswith("wait until ")
        fitting = [s for s in waits if (s.until is not None) == until]
        # Two waits of one kind cannot be told apart: the wait is nobody's.
        step = fitting[0].id if len(fitting) == 1 else ""
        return TimerFact.model_construct(purpose=TimerPurpose.WAIT, step=step)
    if summary.endswith(" deadline"):
        event = summary.removesuffix(" deadline")
        step = next(
            (s.id for s in steps.values() if isinstance(s, ir.EventStep) and s.event == event), ""
        )
        return TimerFact.model_construct(purpose=TimerPurpose.EVENT, step=step)
    return None


def outcome_of(reply: object) -> Outcome | None:
    """How a decision left its step, from the update's reply sentence (None: still open)."""
    if not isinstance(reply, str) or reply.startswith("recorded"):
        return None
    said = reply.rsplit(" is ", 1)[-1]
    if said not in _OUTCOMES:
        return None
    outcome: Outcome = "changes_requested" if said == "changes requested" else said  # type: ignore[assignment]
    return outcome
