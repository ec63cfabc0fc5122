"""The timeline's facts about what the system did: tasks, retries, compensation,
reminders and escalations, waits, sub-processes.

A mixin of the history reader in :mod:`engine.audit._timeline`, kept apart so
each module reads in one sitting.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent

from engine import ir
from engine.audit._events import (
    CONVERTER,
    EventReader,
    decode,
    event_time,
    failure_message,
    step_title,
)
from engine.audit._model import Bar, What
from engine.campaign import TaskRequest

_E = EventType


class SystemEvents(EventReader):
    """Handlers of the events the engine itself causes; state lives on the reader."""

    def _task_scheduled(
        self, event: HistoryEvent, scheduled: dict[int, tuple[TaskRequest, str, dt.datetime]]
    ) -> None:
        attrs = event.activity_task_scheduled_event_attributes
        request: TaskRequest = decode(attrs.input, TaskRequest)
        action = attrs.activity_type.name
        scheduled[event.event_id] = (request, action, event_time(event))
        step, _, suffix = request.step.partition(".")
        to = request.arguments.get("to", [])
        targets = ", ".join(str(t).replace(":", " ") for t in to) if isinstance(to, list) else ""
        if suffix == "notice" and request.title.startswith("Escalated"):
            assert self.people is not None
            self.people.escalated(step, [str(t) for t in to])
            self._add(event, "escalated", f"escalated to {targets}", step=step, details={"to": to})
        elif suffix == "notice":
            self._add(event, "reminded", f"reminded {targets}", step=step, details={"to": to})
        elif suffix != "undo":
            self._add(
                event,
                "task_started",
                f"started {action}",
                step=request.step,
                title=request.title,
                source=request.source,
                details={"action": action, "arguments": request.arguments},
            )

    def _retried(
        self, event: HistoryEvent, scheduled: dict[int, tuple[TaskRequest, str, dt.datetime]]
    ) -> None:
        started = event.activity_task_started_event_attributes
        if started.attempt <= 1 or started.scheduled_event_id not in scheduled:
            return
        request = scheduled[started.scheduled_event_id][0]
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

    def _task_ended(
        self, event: HistoryEvent, scheduled: dict[int, tuple[TaskRequest, str, dt.datetime]]
    ) -> None:
        kind = event.event_type
        attrs: Any = {
            _E.EVENT_TYPE_ACTIVITY_TASK_COMPLETED: event.activity_task_completed_event_attributes,
            _E.EVENT_TYPE_ACTIVITY_TASK_FAILED: event.activity_task_failed_event_attributes,
            _E.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT: event.activity_task_timed_out_event_attributes,
            _E.EVENT_TYPE_ACTIVITY_TASK_CANCELED: event.activity_task_canceled_event_attributes,
        }[kind]
        if attrs.scheduled_event_id not in scheduled:
            return
        request, action, began = scheduled[attrs.scheduled_event_id]
        suffix = request.step.partition(".")[2]
        done = kind == _E.EVENT_TYPE_ACTIVITY_TASK_COMPLETED
        reason = ""
        if kind == _E.EVENT_TYPE_ACTIVITY_TASK_FAILED:
            reason = failure_message(attrs.failure)
        elif kind == _E.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT:
            reason = "timed out"
        elif not done:
            reason = "cancelled"
        where: dict[str, Any] = {
            "step": request.step,
            "title": request.title,
            "source": request.source,
        }
        if suffix == "notice":
            if not done:
                self._add(event, "task_failed", f"notice not delivered: {reason}", **where)
            return
        if suffix == "undo":
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
        if summary.startswith("wait"):
            step = self._wait_step(summary)
            self._add(event, "waiting", summary, step=step)
            timers[event.event_id] = ("wait", step, event_time(event))
        elif summary.endswith(" deadline"):
            event_name = summary.removesuffix(" deadline")
            step = next(
                (
                    s.id
                    for s in self.steps.values()
                    if isinstance(s, ir.EventStep) and s.event == event_name
                ),
                "",
            )
            timers[event.event_id] = ("event", step, event_time(event))

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

    def _wait_step(self, summary: str) -> str:
        waits = [s for s in self.steps.values() if isinstance(s, ir.WaitStep)]
        until = summary.startswith("wait until ")
        fitting = [s for s in waits if (s.until is not None) == until]
        return fitting[0].id if len(fitting) == 1 else ""

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
