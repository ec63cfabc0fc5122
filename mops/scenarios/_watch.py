"""Watching what campaigns do, as they do it, without touching the interpreter.

A cohort of simulated campaigns shares one time-skipping server. To answer a
work item at the right moment the simulated world must know the moment it
opened; asking every campaign after every jump in time costs more than the
campaigns themselves. So the worker runs the workflow through a runner that
wraps the real one (the SDK's sandbox, the interpreter inside it) and hands
each activation's *commands* — what the campaign asked the server to do — to
an observer, before they reach the server. The commands are read, never
changed: the facts in them are the typed ones the workflow writes for its
readers (``engine.workflow.facts``).

The observer runs on the worker's workflow thread while the campaign's
workflow task is still open, so the server cannot skip time before the
observer has put the answer's own timer on it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

import temporalio.workflow
from temporalio.bridge.proto.workflow_activation import WorkflowActivation
from temporalio.bridge.proto.workflow_commands import WorkflowCommand
from temporalio.bridge.proto.workflow_completion import WorkflowActivationCompletion
from temporalio.worker import WorkflowInstance, WorkflowInstanceDetails, WorkflowRunner

Observer = Callable[[str, dt.datetime, WorkflowActivationCompletion], None]
"""``(workflow id, the activation's time, its completion)``; called once per activation."""


class WatchingRunner(WorkflowRunner):
    """Runs workflows with ``inner`` and shows each activation's commands to ``observe``."""

    def __init__(self, inner: WorkflowRunner, observe: Observer) -> None:
        self.inner = inner
        self.observe = observe

    def prepare_workflow(self, defn: temporalio.workflow._Definition) -> None:
        self.inner.prepare_workflow(defn)

    def set_worker_level_failure_exception_types(
        self, types: Sequence[type[BaseException]]
    ) -> None:
        self.inner.set_worker_level_failure_exception_types(types)

    def create_instance(self, det: WorkflowInstanceDetails) -> WorkflowInstance:
        return _Watched(self.inner.create_instance(det), det.info.workflow_id, self.observe)


class _Watched(WorkflowInstance):
    def __init__(self, inner: WorkflowInstance, workflow_id: str, observe: Observer) -> None:
        self.inner = inner
        self.workflow_id = workflow_id
        self.observe = observe

    def activate(self, act: WorkflowActivation) -> WorkflowActivationCompletion:
        completion = self.inner.activate(act)
        if not act.is_replaying:
            at = act.timestamp.ToDatetime(tzinfo=dt.UTC)
            self.observe(self.workflow_id, at, completion)
        return completion

    def get_serialization_context(self, command_info: Any) -> Any:
        return self.inner.get_serialization_context(command_info)

    def get_external_store_context(self, command_info: Any) -> Any:
        return self.inner.get_external_store_context(command_info)

    def get_info(self) -> temporalio.workflow.Info:
        return self.inner.get_info()

    def get_thread_id(self) -> int | None:
        return self.inner.get_thread_id()


def commands(completion: WorkflowActivationCompletion) -> Sequence[WorkflowCommand]:
    """The commands of a successful activation (none for a failed one)."""
    if not completion.HasField("successful"):
        return ()
    return completion.successful.commands
