"""The timeline's facts about people and rules: human steps opening, decisions
taken on them (and in which capacity), and rule tables deciding.

A mixin of the history reader in :mod:`engine.audit._timeline`.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from temporalio.api.history.v1 import HistoryEvent

from engine import ir
from engine.audit._compat import outcome_of
from engine.audit._events import (
    CONVERTER,
    EventReader,
    auth_of,
    decode,
    event_time,
    proof_of,
    seal_of,
)
from engine.audit._model import What
from engine.audit._values import readable, readable_pairs
from engine.workflow.facts import OPENED_MEMO, Decided, StepOpened
from engine.workflow.work_items import Act

_DECISION_WORDS: dict[str, What] = {
    "approve": "approved",
    "reject": "rejected",
    "request_changes": "changes_requested",
    "complete": "completed",
    "delegate": "delegated",
}


class DecisionEvents(EventReader):
    """Handlers of decisions: people's (updates) and rule tables' (memo)."""

    def _decision(self, event: HistoryEvent, updates: dict[str, Act]) -> None:
        attrs = event.workflow_execution_update_accepted_event_attributes
        request = attrs.accepted_request
        if request.input.name != "act" or not request.input.args.payloads:
            return
        act = Act.model_validate(decode(request.input.args, dict))
        seal = seal_of(request.input.args)
        updates[request.meta.update_id] = act
        self.decision_entries[request.meta.update_id] = len(self.entries)
        assert self.people is not None
        step = self.steps.get(act.step)
        via = (
            self.people.via(act, step, event_time(event)) if isinstance(step, ir.HumanStep) else ""
        )
        what = _DECISION_WORDS[act.action]
        text = what.replace("_", " ")
        if act.action == "delegate":
            text = f"delegated to {act.to}"
        if act.outputs:
            text += f" with {readable_pairs(act.outputs)}"
        if act.comment:
            text += f': "{act.comment}"'
        details: dict[str, Any] = {"outputs": act.outputs} if act.outputs else {}
        self._add(
            event,
            what,
            text,
            actor=act.actor,
            kind="person",
            via=via,
            step=act.step,
            comment=act.comment,
            details=details,
            auth=auth_of(seal),
            proof=proof_of("act", request.input.args, seal),
        )

    def _decided(self, event: HistoryEvent, updates: dict[str, Act]) -> None:
        attrs = event.workflow_execution_update_completed_event_attributes
        act = updates.pop(attrs.meta.update_id, None)
        if act is None or not attrs.outcome.HasField("success"):
            return
        reply = CONVERTER.from_payloads(attrs.outcome.success.payloads, [Any])[0]
        decided = _decided_fact(reply)
        if decided is not None:
            # The campaign says in which capacity the person acted: that is the record.
            self._set_via(attrs.meta.update_id, decided.via)
        outcome = decided.outcome if decided is not None else outcome_of(reply)
        if outcome is not None:
            assert self.people is not None
            bar = self.people.closed(act.step, event_time(event), outcome.replace("_", " "))
            if bar is not None:
                self.bars.append(bar)

    def _set_via(self, update_id: str, via: str) -> None:
        index = self.decision_entries.pop(update_id, None)
        if index is not None and self.entries[index].via != via:
            self.entries[index] = self.entries[index].model_copy(update={"via": via})

    def _memo(self, event: HistoryEvent) -> None:
        fields = event.workflow_properties_modified_event_attributes.upserted_memo.fields
        # The typed fact first: written beside ``open_steps`` (a campaign without search
        # attributes), it says the step opened, and nothing is inferred from the list.
        # (A memo is a map: its fields come in no particular order.)
        for name in sorted(fields, key=lambda field: field != OPENED_MEMO):
            value = CONVERTER.from_payload(fields[name])
            if name == OPENED_MEMO and isinstance(value, dict):
                # Written by the campaign as the step opens: from here on, this
                # history says so itself, and nothing is inferred any more.
                self.typed_openings = True
                self._opened(event, [StepOpened.model_validate(value).step])
            elif name == "open_steps" and isinstance(value, list) and not self.typed_openings:
                self._opened(event, self.people_open_steps(value))
            elif name.startswith("decision.") and isinstance(value, dict):
                self._rule(event, name.removeprefix("decision."), value)

    def people_open_steps(self, open_steps: list[Any]) -> list[str]:
        assert self.people is not None
        return self.people.now_open([str(s) for s in open_steps])

    def _attributes(self, event: HistoryEvent) -> None:
        fields = event.upsert_workflow_search_attributes_event_attributes.search_attributes
        payload = fields.indexed_fields.get("MopsWaitingOn")
        if payload is None or self.people is None or self.typed_openings:
            return
        waiting = [str(p) for p in CONVERTER.from_payload(payload) or []]
        humans = [s for s in self.steps.values() if isinstance(s, ir.HumanStep)]
        self._opened(event, self.people.now_waiting_on(waiting, humans))

    def _opened(self, event: HistoryEvent, opened: list[str]) -> None:
        assert self.people is not None
        for step_id in opened:
            step = self.steps.get(step_id)
            if not isinstance(step, ir.HumanStep):
                continue
            self.people.open(step, event_time(event))
            parties = ", ".join(f"{p.kind} {p.name}" for p in step.parties)
            form = "approval" if step.form == "approval" else "work item"
            self._add(event, "opened", f"{form} opened for {parties}", step=step_id)

    def _rule(self, event: HistoryEvent, step_id: str, decision: dict[str, Any]) -> None:
        rows = [int(r) for r in decision.get("rows", [])]
        inputs = decision.get("inputs", {})
        start = self.start
        file = start.process.source_file if start is not None else ""
        lines = ", ".join(f"{file}:{row}" for row in rows) or "no row"
        shown = readable_pairs(inputs)
        self._add(
            event,
            "decided",
            f"decided {readable(decision.get('result'), quote=True)} by the row at {lines}"
            + (f" with {shown}" if shown else ""),
            step=step_id,
            details={"rows": rows, "inputs": inputs, "result": decision.get("result")},
        )


def _decided_fact(reply: Any) -> Decided | None:
    """The typed result of a decision (None for a reply written before facts were typed)."""
    if not isinstance(reply, dict):
        return None
    try:
        return Decided.model_validate(reply)
    except ValidationError:
        return None
