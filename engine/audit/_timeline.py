"""A campaign's timeline, read from its Temporal history and nothing else.

The reader needs no worker and no process file: the process version (the IR)
travels in the campaign's start event, and every fact comes from an event the
history keeps (see docs/auditing.md for which event gives which fact). It does
not run the interpreter's code either, so a history written by an older
version of the engine reads the same after an upgrade.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Sequence
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import WorkflowHistory

from engine import ir
from engine.audit._model import ActorKind, Bar, Entry, Timeline, What
from engine.audit._people import PeopleTracker
from engine.audit._system import (
    CONVERTER,
    SystemEvents,
    decode,
    event_time,
    failure_message,
    step_title,
)
from engine.campaign import (
    CANCEL_SIGNAL,
    EVENT_SIGNAL,
    PAUSE_SIGNAL,
    REFUSED_SIGNAL,
    RESUME_SIGNAL,
    TEAM_SIGNAL,
    CampaignResult,
    CampaignStart,
    ExternalEvent,
    OperatorAction,
    RefusedAttempt,
    TaskRequest,
    TeamPush,
)
from engine.human import Act
from engine.people import TeamSnapshot

_E = EventType
_DECISION_WORDS: dict[str, What] = {
    "approve": "approved",
    "reject": "rejected",
    "request_changes": "changes_requested",
    "complete": "completed",
    "delegate": "delegated",
}
_ENDS: dict[int, str] = {
    _E.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED: "completed",
    _E.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED: "failed",
    _E.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED: "cancelled",
    _E.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED: "terminated",
    _E.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT: "timed_out",
}


class HistoryProblem(ValueError):
    """The history is not one of a campaign (no start event, or not our input)."""


def read_timeline(histories: Sequence[WorkflowHistory]) -> Timeline:
    """The timeline of a campaign from the histories of its runs, oldest run first.

    Raises:
        HistoryProblem: the first history is not the start of a campaign.
    """
    if not histories or not histories[0].events:
        raise HistoryProblem("the history is empty")
    reader = _Reader(histories[0].workflow_id)
    for number, history in enumerate(histories, start=1):
        reader.read_run(number, history.events)
    return reader.timeline()


class _Reader(SystemEvents):
    """Walks the events of each run once, keeping what later events refer to."""

    def __init__(self, campaign: str) -> None:
        self.campaign = campaign
        self.start: CampaignStart | None = None
        self.started_at: dt.datetime | None = None
        self.entries: list[Entry] = []
        self.bars: list[Bar] = []
        self.run_ids: list[str] = []
        self.state = "running"
        self.ended_at: dt.datetime | None = None
        self.outputs: dict[str, Any] = {}
        self.error: str | None = None
        self.people: PeopleTracker | None = None
        self.steps: dict[str, ir.AnyStep] = {}
        self.run = 1
        self.cancel_noted = False

    # ---- the header ------------------------------------------------------------------

    def timeline(self) -> Timeline:
        start, at = self.start, self.started_at
        if start is None or at is None:
            raise HistoryProblem("the history has no start event")
        if self.people is not None:
            ended = self.ended_at
            self.bars.extend(
                self.people.close_all(ended) if ended is not None else self.people.still_open()
            )
        process = start.process
        bars = [
            bar.model_copy(update={"source": process.location(self.steps[bar.step].span)})
            if not bar.source and bar.step in self.steps
            else bar
            for bar in self.bars
        ]
        return Timeline(
            campaign=self.campaign,
            process=process.name,
            title=process.title,
            version=process.version,
            source_hash=process.source_hash,
            source_file=process.source_file,
            started_by=start.started_by,
            started_at=at,
            ended_at=self.ended_at,
            state=self.state,
            inputs=start.inputs,
            outputs=self.outputs,
            error=self.error,
            runs=tuple(self.run_ids),
            entries=tuple(self.entries),
            bars=tuple(sorted(bars, key=lambda bar: bar.start)),
        )

    # ---- events ----------------------------------------------------------------------

    def read_run(self, number: int, events: Sequence[HistoryEvent]) -> None:
        self.run = number
        scheduled: dict[int, tuple[TaskRequest, str, dt.datetime]] = {}
        timers: dict[int, tuple[str, str, dt.datetime]] = {}
        children: dict[int, tuple[str, str]] = {}
        updates: dict[str, Act] = {}
        # One look-up per event: most events (workflow tasks) need nothing.
        handlers: dict[int, Callable[[HistoryEvent], None]] = {
            _E.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED: lambda e: self._started(e, number),
            _E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED: lambda e: self._task_scheduled(e, scheduled),
            _E.EVENT_TYPE_ACTIVITY_TASK_STARTED: lambda e: self._retried(e, scheduled),
            _E.EVENT_TYPE_TIMER_STARTED: lambda e: self._timer_started(e, timers),
            _E.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED: self._signaled,
            _E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED: lambda e: self._decision(e, updates),
            _E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED: lambda e: self._decided(e, updates),
            _E.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED: self._memo,
            _E.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES: self._attributes,
            _E.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED: lambda e: self._child_started(
                e, children
            ),
            _E.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED: self._cancel_requested,
            _E.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW: self._continued,
        }
        for kind in (
            _E.EVENT_TYPE_ACTIVITY_TASK_COMPLETED,
            _E.EVENT_TYPE_ACTIVITY_TASK_FAILED,
            _E.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT,
            _E.EVENT_TYPE_ACTIVITY_TASK_CANCELED,
        ):
            handlers[kind] = lambda e: self._task_ended(e, scheduled)
        for kind in (_E.EVENT_TYPE_TIMER_FIRED, _E.EVENT_TYPE_TIMER_CANCELED):
            handlers[kind] = lambda e: self._timer_ended(e, timers)
        for kind in (
            _E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED,
            _E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED,
            _E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED,
            _E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED,
            _E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT,
        ):
            handlers[kind] = lambda e: self._child_ended(e, children)
        for ending, state in _ENDS.items():
            handlers[ending] = functools.partial(self._ended, state=state)
        for event in events:
            handler = handlers.get(event.event_type)
            if handler is not None:
                handler(event)

    def _cancel_requested(self, event: HistoryEvent) -> None:
        if not self.cancel_noted:
            who = event.workflow_execution_cancel_requested_event_attributes.identity
            self._add(event, "cancel_requested", "cancellation requested", actor=who)

    def _continued(self, event: HistoryEvent) -> None:
        self.state = "running"

    def _add(
        self,
        event: HistoryEvent,
        what: What,
        text: str,
        *,
        actor: str = "system",
        kind: ActorKind | None = None,
        step: str = "",
        title: str = "",
        source: str = "",
        **extra: Any,
    ) -> None:
        if kind is None:
            kind = "system" if actor == "system" else "operator"
        info = self.steps.get(step.split(".")[0]) if step else None
        if info is not None and self.start is not None:
            source = source or self.start.process.location(info.span)
            title = title or step_title(info)
        self.entries.append(
            Entry(
                at=event_time(event),
                actor=actor or "unknown",
                actor_kind=kind,
                step=step,
                title=title,
                source=source,
                what=what,
                text=text,
                run=self.run,
                event_id=event.event_id,
                **extra,
            )
        )

    def _started(self, event: HistoryEvent, number: int) -> None:
        attrs = event.workflow_execution_started_event_attributes
        self.run_ids.append(attrs.original_execution_run_id or attrs.first_execution_run_id)
        try:
            start: CampaignStart = decode(attrs.input, CampaignStart)
        except Exception as error:  # not our input: say so, never a traceback
            raise HistoryProblem(f"the start event is not a campaign's: {error}") from None
        if number > 1 or start.resume is not None:
            if self.start is None:  # only the later runs are at hand
                self._begin(start, start.resume.started_at if start.resume else event_time(event))
            self._add(event, "continued", f"continued as new (run {number}): history kept short")
            return
        self._begin(start, event_time(event))
        process = start.process
        self._add(
            event,
            "started",
            f"started {process.name} version {process.version}",
            actor=start.started_by,
            details={"inputs": start.inputs, "source_hash": process.source_hash},
        )

    def _begin(self, start: CampaignStart, at: dt.datetime) -> None:
        self.start, self.started_at = start, at
        self.steps = {step.id: step for step in ir.iter_steps(start.process.body)}
        self.people = PeopleTracker(start.team or TeamSnapshot(version="none", people={}))

    def _signaled(self, event: HistoryEvent) -> None:
        # A signal the campaign ignored as malformed (engine._interpret_signals)
        # is shown as ignored, never read as if it had counted.
        try:
            self._read_signal(event)
        except Exception as error:  # any payload at all may arrive in a signal
            name = event.workflow_execution_signaled_event_attributes.signal_name[:100]
            reason = str(error).splitlines()[0][:200] if str(error) else type(error).__name__
            self._add(
                event,
                "signal_ignored",
                f"signal {name!r} ignored by the campaign: {reason}",
                actor=event.workflow_execution_signaled_event_attributes.identity or "external",
                kind="external",
            )

    def _read_signal(self, event: HistoryEvent) -> None:
        attrs = event.workflow_execution_signaled_event_attributes
        name = attrs.signal_name
        if name == REFUSED_SIGNAL:
            attempt: RefusedAttempt = decode(attrs.input, RefusedAttempt)
            self._add(
                event,
                "refused",
                f"tried to {attempt.action.replace('_', ' ')}: refused: {attempt.reason}",
                actor=attempt.actor,
                kind="person",
                step=attempt.step,
                details={"action": attempt.action, "reason": attempt.reason},
            )
        elif name in (PAUSE_SIGNAL, RESUME_SIGNAL, CANCEL_SIGNAL):
            action: OperatorAction = decode(attrs.input, OperatorAction)
            what: What = {PAUSE_SIGNAL: "paused", RESUME_SIGNAL: "resumed"}.get(
                name, "cancel_requested"
            )  # type: ignore[assignment]
            self.cancel_noted = self.cancel_noted or name == CANCEL_SIGNAL
            self.state = {"paused": "paused", "resumed": "running"}.get(what, self.state)
            text = what.replace("_", " ") + (f": {action.reason}" if action.reason else "")
            self._add(event, what, text, actor=action.by, comment=action.reason)
        elif name == EVENT_SIGNAL:
            received: ExternalEvent = decode(attrs.input, ExternalEvent)
            self._add(
                event,
                "event",
                f"event {received.name} received for {received.key}",
                actor=attrs.identity or "external",
                kind="external",
                details={"name": received.name, "key": received.key, "data": received.data},
            )
        elif name == TEAM_SIGNAL:
            raw = decode(attrs.input, dict)
            push = TeamPush.model_validate(raw) if "team" in raw else None
            team = push.team if push else TeamSnapshot.model_validate(raw)
            if self.people is not None:
                self.people.team = team
            self._add(
                event,
                "team_updated",
                f"team directory now version {team.version[:12]}",
                actor=push.by if push else "system",
            )
        else:
            raise ValueError("no such signal")

    def _decision(self, event: HistoryEvent, updates: dict[str, Act]) -> None:
        attrs = event.workflow_execution_update_accepted_event_attributes
        request = attrs.accepted_request
        if request.input.name != "act" or not request.input.args.payloads:
            return
        act = Act.model_validate(CONVERTER.from_payloads(request.input.args.payloads, [dict])[0])
        updates[request.meta.update_id] = act
        assert self.people is not None
        step = self.steps.get(act.step)
        via = (
            self.people.via(act, step, event_time(event)) if isinstance(step, ir.HumanStep) else ""
        )
        what = _DECISION_WORDS[act.action]
        text = what.replace("_", " ")
        if act.action == "delegate":
            text = f"delegated to {act.to}"
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
        )

    def _decided(self, event: HistoryEvent, updates: dict[str, Act]) -> None:
        attrs = event.workflow_execution_update_completed_event_attributes
        act = updates.pop(attrs.meta.update_id, None)
        if act is None or not attrs.outcome.HasField("success"):
            return
        answer = CONVERTER.from_payloads(attrs.outcome.success.payloads, [str])[0]
        if isinstance(answer, str) and not answer.startswith("recorded"):
            assert self.people is not None
            bar = self.people.closed(act.step, event_time(event), answer.rsplit(" is ", 1)[-1])
            if bar is not None:
                self.bars.append(bar)

    def _memo(self, event: HistoryEvent) -> None:
        fields = event.workflow_properties_modified_event_attributes.upserted_memo.fields
        for name, payload in fields.items():
            value = CONVERTER.from_payload(payload)
            if name == "open_steps" and isinstance(value, list):
                self._opened(event, self.people_open_steps(value))
            elif name.startswith("decision.") and isinstance(value, dict):
                self._rule(event, name.removeprefix("decision."), value)

    def people_open_steps(self, open_steps: list[Any]) -> list[str]:
        assert self.people is not None
        return self.people.now_open([str(s) for s in open_steps])

    def _attributes(self, event: HistoryEvent) -> None:
        fields = event.upsert_workflow_search_attributes_event_attributes.search_attributes
        payload = fields.indexed_fields.get("MopsWaitingOn")
        if payload is None or self.people is None:
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
        shown = ", ".join(f"{k} = {_show(v)}" for k, v in inputs.items())
        self._add(
            event,
            "decided",
            f"decided {_show(decision.get('result'))} by the row at {lines}"
            + (f" with {shown}" if shown else ""),
            step=step_id,
            details={"rows": rows, "inputs": inputs, "result": decision.get("result")},
        )

    def _ended(self, event: HistoryEvent, *, state: str) -> None:
        self.state, self.ended_at = state, event_time(event)
        if state == "completed":
            payloads = event.workflow_execution_completed_event_attributes.result
            self.outputs = decode(payloads, CampaignResult).outputs
            shown = ", ".join(f"{k} = {_show(v)}" for k, v in self.outputs.items())
            self._add(
                event,
                "finished",
                "completed" + (f": {shown}" if shown else ""),
                details={"outputs": self.outputs},
            )
        elif state == "failed":
            self.error = failure_message(event.workflow_execution_failed_event_attributes.failure)
            self._add(event, "failed", f"failed: {self.error}")
        elif state == "terminated":
            attrs = event.workflow_execution_terminated_event_attributes
            self.error = attrs.reason or None
            self._add(
                event,
                "terminated",
                f"terminated: {attrs.reason}".rstrip(": "),
                actor=attrs.identity or "unknown",
            )
        elif state == "cancelled":
            self._add(event, "cancelled", "cancelled")
        else:
            self._add(event, "timed_out", "the campaign ran out of time")


def _show(value: Any) -> str:
    if isinstance(value, dict) and set(value) == {"amount", "currency"}:
        return f"{value['amount']} {value['currency']}"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "nothing"
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return str(value)


def process_of(histories: Sequence[WorkflowHistory]) -> ir.ProcessIR:
    """The process version a campaign ran: the IR in its first start event.

    Raises:
        HistoryProblem: the history does not start a campaign.
    """
    if not histories or not histories[0].events:
        raise HistoryProblem("the history is empty")
    first = histories[0].events[0]
    if first.event_type != _E.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
        raise HistoryProblem("the history has no start event")
    try:
        start: CampaignStart = decode(
            first.workflow_execution_started_event_attributes.input, CampaignStart
        )
    except Exception as error:  # not our input: say so, never a traceback
        raise HistoryProblem(f"the start event is not a campaign's: {error}") from None
    return start.process
