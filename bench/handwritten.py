"""The hand-written Temporal workflows the interpreter is measured against.

What a developer would write by hand for the same processes, with the same
activity options, retry policy, update name and validation as the
interpreter, and run with the same sandbox settings (workers._sandbox). Their
inputs are small (a file name, a team) where the interpreter's carry the
whole process; that difference is part of what is measured.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from engine.workflow.campaign import ACT_UPDATE, TaskRequest
    from engine.workflow.facts import Decided
    from engine.workflow.team import TeamSnapshot
    from engine.workflow.work_items import Act

SEQUENTIAL = "handwritten_sequential"
APPROVAL = "handwritten_approval"

# The interpreter's defaults for a task step (engine.ir.TaskStep, engine.ir.RetryPolicy).
_TIMEOUT = timedelta(seconds=60)
_RETRY = RetryPolicy(
    maximum_attempts=5,
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=60),
)


@workflow.defn(name=SEQUENTIAL)
class HandwrittenSequential:
    """``steps`` calls of ``bench.noop`` one after the other."""

    @workflow.run
    async def run(self, file: str, steps: int) -> dict[str, Any]:
        results: dict[str, Any] = {}
        for n in range(steps):
            step, title = f"s{n}", f"Step {n}"
            results[step] = await workflow.execute_activity(
                "bench.noop",
                # The same envelope, with the same step, title and source line.
                TaskRequest(step=step, title=title, source=f"{file}:{n + 2}:3", arguments={}),
                activity_id=f"{step}.1",
                summary=title,
                start_to_close_timeout=_TIMEOUT,
                retry_policy=_RETRY,
                result_type=dict,
            )
        return {"outputs": {}, "steps_done": len(results)}


@workflow.defn(name=APPROVAL)
class HandwrittenApproval:
    """One approval by role editor, with a deadline that escalates to role lead."""

    def __init__(self) -> None:
        self._team: TeamSnapshot | None = None
        self._open = False
        self._eligible: set[str] = set()
        self._approved_by: str | None = None

    @workflow.run
    async def run(self, team: TeamSnapshot) -> dict[str, Any]:
        self._team = team
        self._eligible = set(team.with_role("editor"))
        self._open = True
        try:
            await workflow.wait_condition(
                lambda: self._approved_by is not None, timeout=timedelta(days=30)
            )
        except TimeoutError:
            self._eligible |= set(team.with_role("lead"))
            await workflow.wait_condition(lambda: self._approved_by is not None)
        self._open = False
        return {"outputs": {"approved_by": self._approved_by}, "steps_done": 1}

    @workflow.update(name=ACT_UPDATE)
    def act(self, act: Act, seal: Any = None) -> Decided:
        self._approved_by = act.actor
        return Decided(
            step="review",
            title="Approve the campaign",
            action=act.action,
            via="role approver",
            outcome="approved",
        )

    @act.validator
    def _validate_act(self, act: Act, seal: Any = None) -> None:
        if not self._open or act.step != "review":
            raise ValueError(f"step '{act.step}' is not open")
        if self._team is None or act.actor not in self._team.people:
            raise ValueError(f"'{act.actor}' is not in the team directory")
        if act.actor not in self._eligible:
            raise ValueError(f"{act.actor} may not act on 'Approve the campaign'")
        if act.action != "approve":
            raise ValueError("only approvals are benchmarked")


WORKFLOWS: tuple[type, ...] = (HandwrittenSequential, HandwrittenApproval)
