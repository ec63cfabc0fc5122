"""Work items and approvals at run time: who may act, and what their acts add up to.

Pure logic on pydantic data, used by the interpreter inside the workflow
sandbox: :func:`refusal` is the update validator's judgement (a clear reason,
or None), :func:`record` applies an accepted act, :func:`outcome` says whether
the step is decided.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any, Literal, TypeGuard, get_args

from pydantic import BaseModel, ConfigDict, ValidationError

from engine import ir
from engine.workflow.facts import Outcome, Returned
from engine.workflow.team import TeamSnapshot
from engine.workflow.values import ValueProblem, from_json, to_json

Action = Literal["approve", "reject", "request_changes", "complete", "delegate"]


def is_action(text: str) -> TypeGuard[Action]:
    """Whether ``text`` (a form field, a scenario's verdict) names an :data:`Action`."""
    return text in get_args(Action)


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Act(_Model):
    """What a person does on an open step (the payload of the ``act`` update)."""

    step: str
    actor: str
    action: Action
    comment: str = ""
    outputs: dict[str, Any] = {}
    to: str | None = None
    """For ``delegate``: the person who takes over."""


class Decision(_Model):
    """An accepted act, as the campaign records it."""

    actor: str
    action: Action
    comment: str = ""
    outputs: dict[str, Any] = {}
    via: str = ""
    """How the actor could act: ``role editor``, ``person ana``, ``delegate of ben``..."""
    at: dt.datetime
    team_version: str
    for_whom: str = ""
    """Whose one vote this is: the delegator's, when a delegate acts (empty: the actor's)."""
    to: str | None = None
    """For ``delegate``: whom the step was handed to."""


class WorkItem(_Model):
    """An open work item or approval."""

    step: str
    title: str
    form: Literal["work", "approval"]
    source: str
    round: int
    parties: tuple[str, ...]
    """``role:editor`` and ``person:ana`` as the process names them."""
    added: tuple[str, ...] = ()
    """People added later: by escalation, delegation or reassignment."""
    barred: tuple[str, ...] = ()
    """People who may not act (separation of duties)."""
    barred_by: tuple[tuple[str, str], ...] = ()
    """``(person, rule)``: which ``not by`` bars each of them (``not by draft.assignee``);
    empty for steps opened before the rules were kept."""
    quorum: Literal["any", "all", "count"] = "any"
    needed: int = 1
    delegation: bool = True
    returns: tuple[tuple[str, ir.TypeRef], ...] = ()
    decisions: tuple[Decision, ...] = ()
    opened_at: dt.datetime
    deadline: dt.datetime | None = None
    escalated: int = 0
    """How many rungs of the escalation ladder have been climbed."""
    handed: tuple[tuple[str, str], ...] = ()
    """``(delegate, delegator)``: who handed the step to whom with ``delegate``."""
    one_vote: bool = False
    """Each person has one vote, which their delegate carries (steps opened since the
    ``mops-sod-without-gaps`` patch; before it, a delegate's approval counted apart)."""
    escalated_to: tuple[str, ...] = ()
    """``role:cmo`` / ``person:max``: whom the rungs climbed so far escalated it to, as the
    process names them (published in ``MopsWaitingOn``)."""
    returned: Returned | None = None
    """Why this round opened: the approval that sent the campaign back, and its comments."""
    notices: bool = False
    """Its people are told when it opens and when it is delegated to them, with typed
    notices the worker words (steps opened since the ``mops-step-notices`` patch)."""
    told: int = 0
    """How many of its delegations the delegates have been told of."""
    calendar: str | None = None
    """The calendar its deadline counts in, when the step has its own (``calendar emea``,
    ``calendar from region``); None: the process's."""
    instructions: str | None = None
    """What the person doing it reads, as the process's designer wrote it."""
    subject: str | None = None
    """The subject of its notices as the designer wrote it, worked out when it opened."""
    body: str | None = None
    """Likewise, the text of its notices."""


def explain(error: ValidationError) -> str:
    """A decision payload's problems in plain words: ``action: must be one of ...``."""
    problems = []
    for detail in error.errors(include_url=False, include_input=False):
        where = ".".join(str(part) for part in detail["loc"]) or "the decision"
        if detail["type"] == "missing":
            problems.append(f"'{where}' is missing")
        elif detail["type"] == "extra_forbidden":
            problems.append(f"'{where}' is not part of a decision")
        else:
            problems.append(f"{where}: {detail['msg']}")
    return "; ".join(problems)


def eligible_people(item: WorkItem, team: TeamSnapshot) -> set[str]:
    """Everyone the step names (roles expanded), plus those added since."""
    people: set[str] = set(item.added)
    for party in item.parties:
        kind, _, name = party.partition(":")
        people.update(team.with_role(name) if kind == "role" else [name])
    return people


def how_eligible(item: WorkItem, team: TeamSnapshot, actor: str, day: dt.date) -> str | None:
    """``role editor`` / ``person ana`` / ``delegate of ben`` / ``added``, or None."""
    member = team.people.get(actor)
    for party in item.parties:
        kind, _, name = party.partition(":")
        if kind == "person" and name == actor:
            return f"person {actor}"
        if kind == "role" and member is not None and name in member.roles:
            return f"role {name}"
    handed_by = dict(item.handed).get(actor) if item.one_vote else None
    if handed_by is not None:
        return f"delegate of {handed_by}"
    if actor in item.added:
        return "added to the step"
    if item.delegation:
        named = eligible_people(item, team)
        for absent in team.delegating_to(actor, day):
            if absent in named:
                return f"delegate of {absent}"
    return None


def refusal(item: WorkItem | None, act: Act, team: TeamSnapshot, now: dt.datetime) -> str | None:
    """Why ``act`` may not be done now, or None when it may."""
    if item is None:
        return f"step '{act.step}' is not open: it is done, or the campaign has not reached it"
    if act.actor not in team.people:
        return f"'{act.actor}' is not in the team directory (version {team.version[:12]})"
    if act.action in ("approve", "reject", "request_changes") and item.form != "approval":
        return f"'{item.title}' is a work item: complete it, there is nothing to approve"
    if act.action == "complete" and item.form != "work":
        return f"'{item.title}' is an approval: approve, reject or request changes"
    if act.actor in item.barred:
        return separation_of_duties(item, act.actor)
    via = how_eligible(item, team, act.actor, now.date())
    if via is None:
        return f"{act.actor} is not among who may act on '{item.title}' ({', '.join(item.parties)})"
    if any(d.actor == act.actor for d in item.decisions if d.action != "delegate"):
        return f"{act.actor} has already acted on '{item.title}' in this round"
    if item.one_vote:
        handed = _one_vote_refusal(item, act, via)
        if handed is not None:
            return handed
    if act.action == "delegate":
        return _delegation_refusal(item, act, team)
    if act.action == "complete":
        return _outputs_refusal(item, act.outputs)
    return None


def separation_of_duties(item: WorkItem, person: str) -> str:
    """Why ``person``, barred from ``item``, may not act: the rules that bar them."""
    rules = list(dict.fromkeys(rule for who, rule in item.barred_by if who == person))
    which = f" ({'; '.join(rules)})" if rules else ""
    return f"{person} may not act on '{item.title}': separation of duties{which}"


def _one_vote_refusal(item: WorkItem, act: Act, via: str) -> str | None:
    """A person has one vote: a delegate carries it, and cannot add a second one."""
    rule = f"{act.actor} may not act on '{item.title}': separation of duties (one vote per person)"
    if any(delegator == act.actor for _delegate, delegator in item.handed):
        return f"{rule}: {act.actor} handed '{item.title}' to a delegate, who acts for them now"
    whose = voter(act.actor, via)
    cast = next((d for d in _acts(item) if (d.for_whom or d.actor) == whose), None)
    if cast is not None:
        return f"{rule}: {whose}'s vote on '{item.title}' was already cast by {cast.actor}"
    return None


def voter(actor: str, via: str) -> str:
    """Whose vote an act is: the delegator's for a delegate, else the actor's own."""
    return via.removeprefix("delegate of ") if via.startswith("delegate of ") else actor


def _acts(item: WorkItem) -> list[Decision]:
    return [d for d in item.decisions if d.action != "delegate"]


def _delegation_refusal(item: WorkItem, act: Act, team: TeamSnapshot) -> str | None:
    if not item.delegation:
        return f"'{item.title}' does not allow delegation"
    if act.to is None or act.to not in team.people:
        return f"delegate to whom? '{act.to}' is not in the team directory"
    if act.to in item.barred:
        return separation_of_duties(item, act.to)
    return None


def _outputs_refusal(item: WorkItem, outputs: dict[str, Any]) -> str | None:
    wanted = dict(item.returns)
    unknown = sorted(set(outputs) - set(wanted))
    if unknown:
        returns = ", ".join(wanted) or "nothing"
        return f"'{item.title}' returns no '{unknown[0]}' (it returns: {returns})"
    missing = sorted(set(wanted) - set(outputs))
    if missing:
        return f"'{item.title}' needs the output '{missing[0]}'"
    for name, type_ in wanted.items():
        try:
            from_json(outputs[name], type_)
        except ValueProblem as problem:
            return f"output '{name}': {problem}"
    return None


def record(item: WorkItem, act: Act, team: TeamSnapshot, now: dt.datetime) -> WorkItem:
    """The item with ``act`` (already validated) applied."""
    via = how_eligible(item, team, act.actor, now.date()) or ""
    outputs = (
        {name: to_json(from_json(act.outputs[name], type_)) for name, type_ in item.returns}
        if act.action == "complete"
        else {}
    )
    whose = voter(act.actor, via) if item.one_vote else act.actor
    decision = Decision(
        actor=act.actor,
        action=act.action,
        comment=act.comment,
        outputs=outputs,
        via=via,
        at=now,
        team_version=team.version,
        for_whom="" if whose == act.actor else whose,
        to=act.to if act.action == "delegate" else None,
    )
    added, handed = item.added, item.handed
    if act.action == "delegate" and act.to is not None:
        if act.to not in added:
            added = (*added, act.to)
        if item.one_vote:
            handed = (*handed, (act.to, whose))
    return item.model_copy(
        update={"decisions": (*item.decisions, decision), "added": added, "handed": handed}
    )


def outcome(item: WorkItem) -> Outcome | None:
    """Whether the step is decided, and how; None while it waits for more people."""
    acts = [d for d in item.decisions if d.action != "delegate"]
    if item.form == "work":
        return "completed" if acts else None
    # A rejection or a request for changes decides at once: the rework path runs.
    for d in acts:
        if d.action == "reject":
            return "rejected"
        if d.action == "request_changes":
            return "changes_requested"
    approvals = {d.for_whom or d.actor for d in acts if d.action == "approve"}
    return "approved" if len(approvals) >= item.needed else None


def result(item: WorkItem, decided: Outcome, now: dt.datetime) -> dict[str, Any]:
    """The step's result as later steps see it (``review.approved``, ``draft.doc_url``)."""
    acts = [d for d in item.decisions if d.action != "delegate"]
    if item.form == "work":
        last = acts[-1]
        return {
            **last.outputs,
            "assignee": last.actor,
            "completed_by": last.actor,
            "completed_at": now.isoformat(),
        }
    return {
        "approved": decided == "approved",
        "decision": decided,
        "approvers": [d.actor for d in acts if d.action == "approve"],
        "comment": "\n".join(d.comment for d in acts if d.comment),
        "rounds": item.round,
        "decided_at": now.isoformat(),
    }


def has_acted(item: WorkItem, person: str) -> bool:
    """Whether ``person`` has decided on this round of ``item`` (or their vote was cast
    by their delegate): nothing is left for them to do."""
    return any(d.action != "delegate" and person in (d.actor, d.for_whom) for d in item.decisions)


def waiting_on(items: Iterable[WorkItem]) -> list[str]:
    """Whom open work items wait for (``role:x`` / ``person:y``), for MopsWaitingOn."""
    parties = {party for item in items for party in (*item.parties, *item.escalated_to)}
    added = {f"person:{person}" for item in items for person in item.added}
    return sorted(parties | added)
