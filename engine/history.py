"""A campaign's status rebuilt from its Temporal history (no worker needed).

The history is the system of record: what was started, with which process
version and inputs, which tasks ran with which arguments and how they ended.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.api.failure.v1 import Failure
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter

from engine.campaign import (
    REFUSED_SIGNAL,
    CampaignResult,
    CampaignStart,
    CampaignState,
    CampaignStatus,
    RefusedAttempt,
    StepRecord,
    TaskRequest,
)

_CONVERTER = pydantic_data_converter.payload_converter


def _time(event: Any) -> dt.datetime:
    moment: dt.datetime = event.event_time.ToDatetime(tzinfo=dt.UTC)
    return moment


def _failure_message(failure: Failure) -> str:
    while failure.HasField("cause") and not failure.HasField("application_failure_info"):
        failure = failure.cause
    return failure.message


def status_from_history(history: WorkflowHistory, *, state: CampaignState) -> CampaignStatus:
    """The status a campaign's query would give, read from its history."""
    start: CampaignStart | None = None
    started_at: dt.datetime | None = None
    steps: dict[int, StepRecord] = {}
    outputs: dict[str, Any] = {}
    error: str | None = None
    refused: list[RefusedAttempt] = []
    for event in history.events:
        kind = event.event_type
        if kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
            attrs = event.workflow_execution_started_event_attributes
            start = _CONVERTER.from_payloads(attrs.input.payloads, [CampaignStart])[0]
            started_at = _time(event)
        elif kind == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            sched = event.activity_task_scheduled_event_attributes
            request: TaskRequest = _CONVERTER.from_payloads(sched.input.payloads, [TaskRequest])[0]
            steps[event.event_id] = StepRecord(
                id=request.step,
                title=request.title,
                action=sched.activity_type.name,
                source=request.source,
                state="running",
                started_at=_time(event),
            )
        elif kind == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
            done = event.activity_task_completed_event_attributes
            _finish(steps, done.scheduled_event_id, "done", _time(event))
        elif kind == EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED:
            failed = event.activity_task_failed_event_attributes
            _finish(
                steps,
                failed.scheduled_event_id,
                "failed",
                _time(event),
                _failure_message(failed.failure),
            )
        elif kind == EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT:
            timed_out = event.activity_task_timed_out_event_attributes
            _finish(steps, timed_out.scheduled_event_id, "failed", _time(event), "timed out")
        elif kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:
            payloads = event.workflow_execution_completed_event_attributes.result.payloads
            outputs = _CONVERTER.from_payloads(payloads, [CampaignResult])[0].outputs
        elif kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
            signaled = event.workflow_execution_signaled_event_attributes
            if signaled.signal_name == REFUSED_SIGNAL:
                attempt = _CONVERTER.from_payloads(signaled.input.payloads, [RefusedAttempt])[0]
                refused.append(attempt.model_copy(update={"at": _time(event)}))
        elif kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED:
            error = _failure_message(event.workflow_execution_failed_event_attributes.failure)
    if start is None or started_at is None:
        raise ValueError("the history has no start event")
    ordered = tuple(steps[k] for k in sorted(steps))
    running = [s for s in ordered if s.state == "running"]
    return CampaignStatus(
        process=start.process.name,
        title=start.process.title,
        version=start.process.version,
        state=state,
        started_at=started_at,
        current_step=running[-1].id if running and state == "running" else None,
        steps=ordered,
        inputs=start.inputs,
        outputs=outputs,
        error=error,
        refused=tuple(refused),
    )


def _finish(
    steps: dict[int, StepRecord],
    scheduled: int,
    state: str,
    at: dt.datetime,
    error: str | None = None,
) -> None:
    if scheduled in steps:
        steps[scheduled] = steps[scheduled].model_copy(
            update={"state": state, "ended_at": at, "error": error}
        )
