"""The timeline's facts about what the system did: tasks, retries, compensation,
reminders and escalations, waits, sub-processes.

A mixin of the history reader in :mod:`engine.audit._timeline`, kept apart so
each module reads in one sitting.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent

from engine import ir
from engine.audit._compat import task_facts, timer_facts
from engine.audit._events import (
    CONVERTER,
    EventReader,
    decode,
    event_time,
    failure_message,
    step_title,
)
from engine.audit._model import Bar, What
from engine.workflow.campaign import TaskRequest
from engine.workflow.facts import NoticeFact, NoticeKind, TaskPurpose, TimerFact, TimerPurpose
from engine.workflow.values import display

_E = EventType


@dataclass(frozen=True)
class Scheduled:
    """A task, notice or undo the campaign scheduled, until it ends."""

    request: TaskRequest
    action: str
    began: dt.datetime
    purpose: TaskPurpose
    step: str

    @property
    def record(self) -> str:
        """The id its record has on the status and the timeline (``draft.notice``)."""
        return self.step if self.purpose is TaskPurpose.TASK else f"{self.step}.{self.purpose}"


class SystemEvents(EventReader):
    """Handlers of the events the engine itself causes; state lives on the reader."""

    def _task_scheduled(self, event: HistoryEvent, scheduled: dict[int, Scheduled]) -> None:
        attrs = event.activity_task_scheduled_event_attributes
        request: TaskRequest = decode(attrs.input, TaskRequest)
        action = attrs.activity_type.name
        purpose, step, notice = task_facts(request)
        scheduled[event.event_id] = Scheduled(request, action, event_time(event), purpose, step)
        if notice is not None:
            targets = ", ".join(t.replace(":", " ") for t in notice.to)
            to = list(notice.to)
            if notice.kind is NoticeKind.ESCALATION:
                assert self.people is not None
                self.people.escalated(step, notice)
                self._add(
                    event, "escalated", f"escalated to {targets}", step=step, details={"to": to}
                )
            elif notice.kind is NoticeKind.REMINDER:
                self._add(event, "reminded", f"reminded {targets}", step=step, details={"to": to})
            else:
                self._add(event, "notified", _told(notice, targets), step=step, details={"to": to})
        elif purpose is TaskPurpose.TASK:
            self._add(
                event,
                "task_started",
                f"started {action}",
                step=request.step,
                title=request.title,
                source=request.source,
                details={"action": action, "arguments": request.arguments},
            )

    def _retried(self, event: HistoryEvent, scheduled: dict[int, Scheduled]) -> None:
        started = event.activity_task_started_event_attributes
        if started.attempt <= 1 or started.scheduled_event_id not in scheduled:
            return
        request = scheduled[started.scheduled_event_id].request
        last = failure_message(started.last_failure) if started.HasField("last_failure") else ""
        self._add(
            event,
            "retried",
            f"attempt {started.attempt} ({started.attempt - 1} failed before)"
            + (f"; the last: {last}" if last else ""),
            step=request.step,
            title=request.title,
            source=request.source,
            details={"attempt": started.attempt, "last_failure": last},
        )

    def _task_ended(self, event: HistoryEvent, scheduled: dict[int, Scheduled]) -> None:
        kind = event.event_type
        attrs: Any = {
            _E.EVENT_TYPE_ACTIVITY_TASK_COMPLETED: event.activity_task_completed_event_attributes,
            _E.EVENT_TYPE_ACTIVITY_TASK_FAILED: event.activity_task_failed_event_attributes,
            _E.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT: event.activity_task_timed_out_event_attributes,
            _E.EVENT_TYPE_ACTIVITY_TASK_CANCELED: event.activity_task_canceled_event_attributes,
        }[kind]
        if attrs.scheduled_event_id not in scheduled:
            return
        task = scheduled[attrs.scheduled_event_id]
        request, action, began, purpose = task.request, task.action, task.began, task.purpose
        done = kind == _E.EVENT_TYPE_ACTIVITY_TASK_COMPLETED
        reason = ""
        if kind == _E.EVENT_TYPE_ACTIVITY_TASK_FAILED:
            reason = failure_message(attrs.failure)
        elif kind == _E.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT:
            reason = "timed out"
        elif not done:
            reason = "cancelled"
        where: dict[str, Any] = {
            "step": task.record,
            "title": request.title,
            "source": request.source,
        }
        if purpose is TaskPurpose.NOTICE:
            if not done:
                self._add(event, "task_failed", f"notice not delivered: {reason}", **where)
            return
        if purpose is TaskPurpose.UNDO:
            what: What = "compensated" if done else "task_failed"
            text = f"undone with {action}" if done else f"undo failed: {reason}"
        else:
            what, text = ("task_completed", "completed") if done else ("task_failed", reason)
        details = {"action": action}
        if done and attrs.result.payloads:
            details["result"] = CONVERTER.from_payloads(attrs.result.payloads, [dict])[0]
        self._add(event, what, text, details=details, **where)
        outcome = "done" if done else "failed"
        self.bars.append(
            Bar(
                **where,
                action=action,
                kind="task",
                start=began,
                end=event_time(event),
                outcome=outcome,
                error=reason or None,
            )
        )

    def _timer_started(
        self, event: HistoryEvent, timers: dict[int, tuple[str, str, dt.datetime]]
    ) -> None:
        summary = ""
        if event.user_metadata.HasField("summary"):
            summary = CONVERTER.from_payload(event.user_metadata.summary, str)
        fact = timer_facts(summary, self.steps)
        if fact is None:
            return
        if fact.purpose is TimerPurpose.WAIT:
            if TimerFact.from_summary(summary) is not None:
                attrs = event.timer_started_event_attributes
                summary = self._wait_text(
                    fact.step, attrs.start_to_fire_timeout.ToTimedelta(), event
                )
            self._add(event, "waiting", summary, step=fact.step)
            timers[event.event_id] = ("wait", fact.step, event_time(event))
        elif fact.purpose is TimerPurpose.EVENT:
            timers[event.event_id] = ("event", fact.step, event_time(event))

    def _wait_text(self, step_id: str, length: dt.timedelta, event: HistoryEvent) -> str:
        """What a ``wait`` step waits for: as written, or until when."""
        step = self.steps.get(step_id)
        if isinstance(step, ir.WaitStep) and step.duration is not None:
            return f"wait {display(step.duration)}"
        return f"wait until {(event_time(event) + length).isoformat()}"

    def _timer_ended(
        self, event: HistoryEvent, timers: dict[int, tuple[str, str, dt.datetime]]
    ) -> None:
        fired = event.event_type == _E.EVENT_TYPE_TIMER_FIRED
        attrs: Any = (
            event.timer_fired_event_attributes if fired else event.timer_canceled_event_attributes
        )
        kind, step, began = timers.pop(attrs.started_event_id, ("", "", None))
        if began is None:
            return
        info = self.steps.get(step)
        title = "wait" if info is None else step_title(info)
        if kind == "wait":
            self._add(event, "waited", "wait over" if fired else "wait cut short", step=step)
            self.bars.append(
                Bar(
                    step=step,
                    title=title,
                    kind="wait",
                    start=began,
                    end=event_time(event),
                    outcome="done",
                )
            )
        elif kind == "event" and fired:
            self._add(event, "waited", "deadline passed with no event", step=step)
            self.bars.append(
                Bar(
                    step=step,
                    title=title,
                    kind="event",
                    start=began,
                    end=event_time(event),
                    outcome="timed out",
                )
            )

    def _child_started(self, event: HistoryEvent, children: dict[int, tuple[str, str]]) -> None:
        attrs = event.start_child_workflow_execution_initiated_event_attributes
        child = attrs.workflow_id
        step = child.removeprefix(f"{self.campaign}.").rsplit(".", 1)[0]
        children[event.event_id] = (child, step)
        self._add(
            event,
            "sub_process_started",
            f"started sub-process {attrs.workflow_type.name} as campaign {child}",
            step=step,
            details={"campaign": child},
        )
        self.bars.append(Bar(step=step, title=step, kind="call", start=event_time(event)))

    def _child_ended(self, event: HistoryEvent, children: dict[int, tuple[str, str]]) -> None:
        kind = event.event_type
        attrs: Any = (
            event.child_workflow_execution_completed_event_attributes
            if kind == _E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED
            else event.child_workflow_execution_failed_event_attributes
            if kind == _E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED
            else None
        )
        initiated = attrs.initiated_event_id if attrs is not None else None
        if initiated is None:
            for candidate in (
                event.child_workflow_execution_canceled_event_attributes,
                event.child_workflow_execution_terminated_event_attributes,
                event.child_workflow_execution_timed_out_event_attributes,
            ):
                initiated = initiated or candidate.initiated_event_id
        child, step = children.get(initiated or 0, ("", ""))
        done = kind == _E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED
        reason = ""
        if kind == _E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED:
            reason = failure_message(attrs.failure)
        what: What = "sub_process_completed" if done else "sub_process_failed"
        text = f"sub-process {child} completed" if done else f"sub-process {child} ended: {reason}"
        self._add(event, what, text.rstrip(": "), step=step, details={"campaign": child})
        for index in range(len(self.bars) - 1, -1, -1):
            bar = self.bars[index]
            if bar.kind == "call" and bar.step == step and bar.end is None:
                self.bars[index] = bar.model_copy(
                    update={"end": event_time(event), "outcome": "done" if done else "failed"}
                )
                break


def _told(notice: NoticeFact, targets: str) -> str:
    """A notice of a step that opened or was delegated, as the timeline says it."""
    if notice.kind is NoticeKind.DELEGATED:
        return f"told {targets}: delegated by {notice.by or 'someone'}"
    if notice.returned is not None:
        how = notice.returned.outcome.replace("_", " ")
        return (
            f"told {targets}: round {notice.round} opened "
            f"('{notice.returned.title}' {how} round {notice.returned.round})"
        )
    return f"told {targets}: it opened"
