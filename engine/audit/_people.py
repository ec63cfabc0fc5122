"""Who may act on each open human step, as far as the history tells.

The history records each accepted decision (actor, action, comment) but not
in which capacity the person acted. That is worked out here from what the
history does record: the step's parties (in the IR of the start event), the
team directory the campaign was started with or sent later (start input,
``team`` signals), escalation notices and delegations.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from engine import ir
from engine.audit._compat import escalated_people
from engine.audit._model import Bar
from engine.workflow.facts import NoticeFact
from engine.workflow.team import TeamSnapshot
from engine.workflow.work_items import Act


@dataclass
class _Open:
    step: ir.HumanStep
    opened_at: dt.datetime
    added: dict[str, str] = field(default_factory=dict)
    """Person -> how they came to the step (escalation, delegation)."""


class PeopleTracker:
    """The open human steps of a campaign while its history is read."""

    def __init__(self, team: TeamSnapshot) -> None:
        self.team = team
        self.open_steps: dict[str, _Open] = {}
        self.waiting: set[str] = set()
        self.source_of: dict[str, str] = {}

    def open(self, step: ir.HumanStep, at: dt.datetime) -> None:
        self.open_steps[step.id] = _Open(step, at)

    def now_open(self, open_ids: Sequence[str]) -> list[str]:
        """The steps that just opened, given the ids the campaign lists as open."""
        return [step for step in open_ids if step not in self.open_steps]

    def now_waiting_on(self, waiting: Sequence[str], humans: Sequence[ir.HumanStep]) -> list[str]:
        """The steps that just opened, given who the campaign now waits on.

        Campaigns with search attributes publish the parties they wait on, not the
        step ids: a step opened when all its parties appear and one of them is new.
        """
        now, before = set(waiting), self.waiting
        self.waiting = now
        fresh = now - before
        opened: list[str] = []
        for step in humans:
            parties = {f"{p.kind}:{p.name}" for p in step.parties}
            if step.id in self.open_steps or not parties or not parties <= now:
                continue
            if parties & fresh:
                opened.append(step.id)
                fresh -= parties
        return opened

    def escalated(self, step_id: str, notice: NoticeFact) -> None:
        """The step was escalated: the people it added may act on it from now on."""
        item = self.open_steps.get(step_id)
        if item is None:
            return
        how = ", ".join(target.replace(":", " ") for target in notice.to)
        for person in escalated_people(notice, self.team):
            item.added.setdefault(person, self._escalation_via(person, notice, how))

    def _escalation_via(self, person: str, notice: NoticeFact, how: str) -> str:
        """``escalation to role lead``: the target that brought ``person`` to the step."""
        member = self.team.people.get(person)
        for target in notice.to:
            kind, _, name = target.partition(":")
            if (kind == "person" and name == person) or (
                kind == "role" and member is not None and name in member.roles
            ):
                return f"escalation to {kind} {name}"
        return f"escalation to {how}"

    def via(self, act: Act, step: ir.HumanStep, at: dt.datetime) -> str:
        """How ``act.actor`` could act on ``step``: ``role editor``, ``delegate of ben``..."""
        item = self.open_steps.get(step.id)
        member = self.team.people.get(act.actor)
        found = ""
        for party in step.parties:
            if party.kind == "person" and party.name == act.actor:
                found = f"person {act.actor}"
                break
            if party.kind == "role" and member is not None and party.name in member.roles:
                found = f"role {party.name}"
                break
        if not found and item is not None and act.actor in item.added:
            found = item.added[act.actor]
        if not found and step.delegation:
            named = {p.name for p in step.parties if p.kind == "person"}
            for party in step.parties:
                if party.kind == "role":
                    named.update(self.team.with_role(party.name))
            absent = [p for p in self.team.delegating_to(act.actor, at.date()) if p in named]
            found = f"delegate of {absent[0]}" if absent else ""
        if act.action == "delegate" and act.to and item is not None:
            item.added.setdefault(act.to, f"delegate of {act.actor}")
        return found

    def closed(self, step_id: str, at: dt.datetime, outcome: str) -> Bar | None:
        item = self.open_steps.pop(step_id, None)
        return None if item is None else _bar(item, at, outcome)

    def close_all(self, at: dt.datetime) -> list[Bar]:
        """Bars for the steps still open when the campaign ended."""
        bars = [_bar(item, at, "not decided") for item in self.open_steps.values()]
        self.open_steps.clear()
        return bars

    def still_open(self) -> list[Bar]:
        """Bars, without an end, for the steps that wait now."""
        return [_bar(item, None, "") for item in self.open_steps.values()]


def _bar(item: _Open, at: dt.datetime | None, outcome: str) -> Bar:
    return Bar(
        step=item.step.id,
        title=f"{'Approval' if item.step.form == 'approval' else 'Work'}: {item.step.title}",
        kind="human",
        start=item.opened_at,
        end=at,
        outcome=outcome,
    )
