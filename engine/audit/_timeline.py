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
from engine.audit._decisions import DecisionEvents
from engine.audit._events import (
    auth_of,
    decode,
    event_time,
    failure_message,
    proof_of,
    seal_of,
)
from engine.audit._model import Bar, Entry, Timeline
from engine.audit._people import PeopleTracker
from engine.audit._signals import SignalEvents
from engine.audit._system import Scheduled, SystemEvents
from engine.audit._values import readable_pairs
from engine.workflow.campaign import CampaignResult, CampaignStart
from engine.workflow.team import TeamSnapshot
from engine.workflow.work_items import Act

_E = EventType
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


class _Reader(SystemEvents, DecisionEvents, SignalEvents):
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
        self.sealed = False
        self.typed_openings = False
        self.decision_entries: dict[str, int] = {}

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
        scheduled: dict[int, Scheduled] = {}
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

    def _continued(self, event: HistoryEvent) -> None:
        self.state = "running"

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
        seal = seal_of(attrs.input)
        self.sealed = seal is not None
        details: dict[str, Any] = {"inputs": start.inputs, "source_hash": process.source_hash}
        if seal is not None and seal.ir_hash:
            details["ir_hash"] = seal.ir_hash
        by = ""
        if start.schedule is not None:
            details["schedule"] = start.schedule
            by = f" by schedule {start.schedule}"
        self._add(
            event,
            "started",
            f"started {process.name} version {process.version}{by}",
            actor=start.started_by,
            details=details,
            auth=auth_of(seal),
            proof=proof_of(
                "start" if start.schedule is None else "schedule",
                attrs.input,
                seal,
                bound=start.schedule,
            ),
        )

    def _begin(self, start: CampaignStart, at: dt.datetime) -> None:
        self.start, self.started_at = start, at
        self.steps = {step.id: step for step in ir.iter_steps(start.process.body)}
        self.people = PeopleTracker(start.team or TeamSnapshot(version="none", people={}))

    def _ended(self, event: HistoryEvent, *, state: str) -> None:
        self.state, self.ended_at = state, event_time(event)
        if state == "completed":
            payloads = event.workflow_execution_completed_event_attributes.result
            self.outputs = decode(payloads, CampaignResult).outputs
            shown = readable_pairs(self.outputs)
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
