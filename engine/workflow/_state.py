"""Everything a campaign's run knows, in one object that every kind of step receives.

The interpreter (:mod:`engine.workflow._interpreter`) makes one :class:`RunState`
per run and hands it to the modules of each kind of step: tasks, people steps,
blocks, compensation, continue-as-new, signals. They read and change the run
through it; what the ``status`` query returns is kept here too. Runs inside the
workflow sandbox: no I/O, no clock but ``workflow.now()``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from temporalio import workflow
from temporalio.common import SearchAttributeUpdate
from temporalio.exceptions import ApplicationError

from engine import ir
from engine.workflow import attributes as sa
from engine.workflow import patches, work_items
from engine.workflow._position import At
from engine.workflow.campaign import (
    CampaignStart,
    CampaignState,
    CampaignStatus,
    DroppedEvent,
    ExternalEvent,
    IgnoredSignal,
    Place,
    RefusedAttempt,
    StepRecord,
    StepState,
)
from engine.workflow.evaluate import EvaluationError, evaluate
from engine.workflow.facts import INBOX_LIMIT, INBOX_MEMO, OPENED_MEMO, Returned
from engine.workflow.provenance import Verified
from engine.workflow.team import TeamSnapshot
from engine.workflow.time_values import TimeProblem, as_duration
from engine.workflow.work_items import WorkItem

Env = MutableMapping[str, Any]
StepRunner = Callable[[ir.Step, Env, "At | None"], Awaitable[None]]
"""Runs one step: the interpreter's dispatch, which blocks call for the steps they hold."""

NO_TEAM = TeamSnapshot(version="none", people={})

KEEP_IGNORED = 50
"""Ignored signals kept on the status (the newest): a flood cannot grow the campaign."""


DATA_ERRORS = (ArithmeticError, ValueError, RecursionError)
"""What the data a step works on can raise (overflow, a date out of range, a value
too large, a payload that cannot be encoded); a step fails the campaign with them."""


def data_problem(error: BaseException) -> str:
    """What went wrong with a step's data, for a person: never a class name in brackets."""
    if isinstance(error, OverflowError):
        return "a date or time past the year 9999 (or before the year 1)"
    if isinstance(error, ArithmeticError):
        return "a number too large to work out"
    if isinstance(error, RecursionError):
        return "a value nested too deeply to carry"
    text = (str(error).strip() or type(error).__name__).splitlines()[0]
    return text if len(text) <= 200 else text[:200] + "..."


@dataclass(frozen=True)
class Undoable:
    """A completed task that says how to undo it, with the branch of ``parallel`` it ran in."""

    step: ir.TaskStep
    env: Env
    branch: tuple[str, ...]


@dataclass(frozen=True)
class Loops:
    """The loops of a process, worked out once from its IR (rounds per pass)."""

    closing: dict[str, list[str]]
    """For each step, the steps whose rounds count a loop back to it."""
    cycles: set[str]
    """The ``go back`` steps."""
    order: dict[str, int]
    """Each step's place in the file."""


@dataclass
class RunState:
    """One run of a campaign: what it runs, what it knows, and what its status shows."""

    dispatch: StepRunner
    """Runs one step (blocks call it for the steps they hold)."""
    start: CampaignStart | None = None
    process: ir.ProcessIR | None = None
    team: TeamSnapshot | None = None
    """The team directory decisions are checked against (newest pushed)."""
    started_by: str = ""
    provenance: Verified | None = None
    """Who started the campaign, as its seal proved (None: recorded before seals)."""
    held: dict[str, list[str]] = field(default_factory=dict)
    """Everyone who acted on each work item or approval, in any round (``not by``)."""
    returned: dict[str, Returned] = field(default_factory=dict)
    """Why a work item or approval about to open again was sent back, by step."""
    nonces: list[str] = field(default_factory=list)
    """Single-use ids of the signed decisions and signals taken (see ``_seals``)."""
    cancel_verified: bool = False
    """A signed ``cancelling`` signal came: a cancellation request is the operator's."""
    top_env: Env = field(default_factory=dict)
    """The campaign's names: inputs and the results of top-level steps."""
    runs: dict[str, int] = field(default_factory=dict)
    """How many times each activity step has run (its activity ids count them)."""
    rounds: dict[str, int] = field(default_factory=dict)
    """Rounds of human steps, times of ``go back`` steps, runs of sub-processes."""
    items: dict[str, WorkItem] = field(default_factory=dict)
    """The open work items and approvals, by step."""
    events: list[ExternalEvent] = field(default_factory=list)
    """Events that arrived and no step has used yet."""
    refused: list[RefusedAttempt] = field(default_factory=list)
    ignored: list[IgnoredSignal] = field(default_factory=list)
    dropped: list[DroppedEvent] = field(default_factory=list)
    """Events not kept for a later step (the newest 50)."""
    state: CampaignState = "running"
    started_at: dt.datetime | None = None
    """When the campaign started (its first run, across continue-as-new)."""
    current_step: str | None = None
    steps: list[StepRecord] = field(default_factory=list)
    """The steps started so far, as the status shows them (the newest 200 carried)."""
    outputs: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    generation: int = 0
    """How many times the campaign has continued as new."""
    paused: bool = False
    exited: bool = False
    """Ended early by ``exit when``: outputs of steps that never ran stay empty."""
    undo: list[Undoable] = field(default_factory=list)
    """Completed tasks with ``undo with``, oldest first."""
    branches_opened: int = 0
    here: tuple[At, ir.Step] | None = None
    """The step under way in a sequential place, and where it sits."""
    resume: list[Place] = field(default_factory=list)
    """Where the previous run stopped inside blocks, consumed as the campaign gets there."""
    renew_declined: bool = False
    """Set when this history predates continuing as new at an open step."""
    blocks_declined: bool = False
    """Set when this history predates continuing as new inside blocks."""
    carried_item: WorkItem | None = None
    """The work item or approval the previous run carried open, until its step runs."""
    carried_reminder: dt.datetime | None = None
    per_pass: bool | None = None
    """Whether rounds count per pass (a patch; asked once)."""
    within_bounds: bool | None = None
    """Whether values past the limits fail the campaign (a patch; asked once)."""
    renew_on_size: bool | None = None
    """Whether a large history continues as new (a patch; asked once it is large)."""
    inbox: bool | None = None
    watermark: bool | None = None
    """Whether the open steps are published in the memo too (a patch; asked once)."""
    loops: Loops | None = None

    # ---- what it ignored ---------------------------------------------------------------

    def ignore(self, name: str, reason: str) -> None:
        """Record a signal (or a cancellation request) that changed nothing, and why."""
        ignored = IgnoredSignal(name=name[:100], reason=reason, at=workflow.now())
        self.ignored = [*self.ignored, ignored][-KEEP_IGNORED:]
        workflow.logger.warning("ignored %r: %s", name[:100], reason)

    # ---- what it runs ------------------------------------------------------------------

    def require_process(self) -> ir.ProcessIR:
        assert self.process is not None, "process before the campaign started"
        return self.process

    def require_start(self) -> CampaignStart:
        assert self.start is not None, "start before the campaign started"
        return self.start

    def team_now(self) -> TeamSnapshot:
        return self.team or NO_TEAM

    def location(self, span: ir.Span) -> str:
        """``file:line:col`` of a node of the process."""
        return self.require_process().location(span)

    # ---- values ------------------------------------------------------------------------

    def bounded(self) -> bool:
        """Whether values past the limits of :mod:`bounds` fail the campaign (patched)."""
        if self.within_bounds is None:
            self.within_bounds = patches.BOUNDED_VALUES.applies()
        return self.within_bounds

    def eval(self, expr: ir.Expr, env: Env, what: str) -> Any:
        """The value of ``expr``; a failure fails the campaign naming the line."""
        try:
            calendar = self.require_process().calendar
            return evaluate(expr, env, calendar, now=workflow.now(), bounded=self.bounded())
        except EvaluationError as error:
            raise self.failure(error.span, f"{what}: {error.message}") from None

    def condition(self, expr: ir.Expr, env: Env) -> bool:
        value = self.eval(expr, env, "a condition")
        if not isinstance(value, bool):
            raise self.failure(expr.span, "the condition is not true or false")
        return value

    def duration(
        self,
        literal: ir.Duration | None,
        computed: ir.Expr | None,
        env: Env,
        step: ir.Step,
        what: str,
    ) -> ir.Duration | None:
        """A step's duration as written, or worked out from its expression now."""
        if computed is None:
            return literal
        value = self.eval(computed, env, f"step '{step.id}': {what}")
        try:
            return as_duration(value)
        except TimeProblem as problem:
            raise self.failure(computed.span, f"step '{step.id}': {what}: {problem}") from None

    def calendar_of(
        self, step: ir.HumanStep | ir.WaitStep | ir.EventStep, env: Env
    ) -> ir.Calendar | None:
        """The calendar a step counts business time in: its own (named, or chosen by its
        expression now) or the process's. A name the campaign has not pinned fails it."""
        process = self.require_process()
        name = step.calendar
        if step.calendar_expr is not None:
            value = self.eval(step.calendar_expr, env, f"step '{step.id}': its calendar")
            if not isinstance(value, str):
                raise self.failure(
                    step.calendar_expr.span,
                    f"step '{step.id}': 'calendar from' needs the name of a calendar; "
                    f"it gave {value!r}",
                    "NoSuchCalendar",
                )
            name = value
        if name is None:
            return process.calendar
        pinned = dict(process.calendars or {})
        if process.calendar is not None:
            pinned.setdefault(process.calendar.name, process.calendar)
        found = pinned.get(name)
        if found is None:
            where = step.calendar_expr.span if step.calendar_expr is not None else step.span
            known = ", ".join(sorted(pinned)) or "none"
            raise self.failure(
                where,
                f"step '{step.id}': there is no calendar '{name}' in this campaign "
                f"(it carries: {known})",
                "NoSuchCalendar",
            )
        return found

    def failure(
        self, span: ir.Span, message: str, kind: str = "ExpressionFailed"
    ) -> ApplicationError:
        """A failure of the campaign at ``span`` (raise it)."""
        return ApplicationError(f"{self.location(span)}: {message}", type=kind, non_retryable=True)

    def data_failure(self, step: ir.Step, error: BaseException) -> ApplicationError:
        """A step that failed on the data it works on or carries (an overflow, a date
        past 9999, a value too large to send): the campaign fails at the step's line,
        rather than its workflow task failing on every retry for ever."""
        return self.failure(step.span, f"step '{step.id}': {data_problem(error)}", "InvalidValue")

    # ---- status ------------------------------------------------------------------------

    def status(self) -> CampaignStatus:
        """What the ``status`` query returns, made from the run as it is now."""
        process, start = self.require_process(), self.require_start()
        return CampaignStatus(
            process=process.name,
            title=process.title,
            version=process.version,
            state=self.state,
            started_at=self.started_at or workflow.now(),
            current_step=self.current_step,
            steps=tuple(self.steps),
            inputs=start.inputs,
            outputs=self.outputs,
            error=self.error,
            open_items=tuple(self.items.values()),
            refused=tuple(self.refused),
            team_version=None if self.team is None else self.team.version,
            generation=self.generation,
            ignored_signals=tuple(self.ignored),
            dropped_events=tuple(self.dropped),
        )

    def begin(self, step_id: str, title: str, action: str | None, source: str) -> None:
        """A step starts: a running record on the status, and the campaign's details."""
        self.steps.append(
            StepRecord(
                id=step_id,
                title=title,
                action=action,
                source=source,
                state="running",
                started_at=workflow.now(),
            )
        )
        self.current_step = step_id
        doing = f" ({action})" if action else ""
        workflow.set_current_details(f"Step: **{title}**{doing} at {source}")

    def end(self, step_id: str, state: StepState, error: str | None = None) -> None:
        """The newest running record of ``step_id`` ends."""
        index = self._running(step_id)
        if index is not None:
            self.steps[index] = self.steps[index].model_copy(
                update={"state": state, "ended_at": workflow.now(), "error": error}
            )

    def name_child(self, step_id: str, child: str) -> None:
        """Show the child campaign's id on the running ``call`` step (``mops status``)."""
        index = self._running(step_id)
        if index is not None:
            self.steps[index] = self.steps[index].model_copy(update={"campaign": child})

    def _running(self, step_id: str) -> int | None:
        for index in range(len(self.steps) - 1, -1, -1):
            if self.steps[index].id == step_id and self.steps[index].state == "running":
                return index
        return None

    # ---- what readers outside see ------------------------------------------------------

    def has_attributes(self) -> bool:
        """Whether the campaign was started with our search attributes (a namespace
        without them would refuse an upsert and stall the campaign)."""
        return workflow.info().typed_search_attributes.get(sa.VERSION) is not None

    def publishes_inbox(self) -> bool:
        """Whether the open steps go into the memo too, for inboxes read from visibility
        (``mops tasks`` with no worker; patched)."""
        if self.inbox is None:
            self.inbox = patches.INBOX_MEMO.applies()
        return self.inbox

    def publish_items(self, *, opened: dict[str, Any] | None = None) -> None:
        """Publish whom the open steps wait on (search attributes, or the memo without),
        and (patched) the open steps themselves in the memo; ``opened`` is the fact of
        a step that just opened, written with them.

        Either way opening or closing a step issues a command: a worker that replays
        the campaign from scratch then rebuilds the open steps before it judges a
        decision that arrives with the replay.
        """
        inbox = self.publishes_inbox()
        memo: dict[str, Any] = {}
        if opened is not None:
            if not inbox:
                workflow.upsert_memo({OPENED_MEMO: opened})  # one event of its own, as before
            else:
                memo[OPENED_MEMO] = opened
        if inbox:
            memo[INBOX_MEMO] = self._inbox()
        if not self.has_attributes():
            workflow.upsert_memo({**memo, "open_steps": sorted(self.items)})
            return
        if memo:
            workflow.upsert_memo(memo)
        waiting = work_items.waiting_on(self.items.values())
        workflow.upsert_search_attributes([sa.WAITING_ON.value_set(waiting), *self.changed()])

    def changed(self) -> list[SearchAttributeUpdate[Any]]:
        """The update that moves ``MopsChangedAt`` to now, for the people's app's inbox
        index; none for a campaign started without it, or recorded before the patch."""
        if self.watermark is None:
            self.watermark = sa.watermarked() and patches.INBOX_WATERMARK.applies()
        return [sa.CHANGED_AT.value_set(workflow.now())] if self.watermark else []

    def publish_inbox(self) -> None:
        """Publish the open steps in the memo again (patched): after a decision, so that
        inboxes read from visibility know who has acted in this round."""
        workflow.upsert_memo({INBOX_MEMO: self._inbox()})

    def _inbox(self) -> list[dict[str, Any]] | None:
        """The open steps as the memo lists them: who acted, without what they said or
        handed in (that is in the history). Bounded: each upsert writes the whole list
        into the history, so a campaign with many open steps at once publishes none and
        is asked by query instead."""
        if len(self.items) > INBOX_LIMIT:
            return None
        return [
            item.model_copy(
                update={
                    "decisions": tuple(
                        d.model_copy(update={"comment": "", "outputs": {}}) for d in item.decisions
                    )
                }
            ).model_dump(mode="json")
            for item in self.items.values()
        ]

    def set_state(self, state: CampaignState) -> None:
        """The campaign's state, on its status and (for pause/resume) its search attribute."""
        self.state = state
        if state in ("paused", "running") and self.has_attributes():
            workflow.upsert_search_attributes([sa.STATE.value_set(state)])
