"""The signals a campaign takes, each payload checked strictly before it counts.

Signals are not authenticated: anyone who can reach the namespace can send one
(see docs/operations.md, "Who can do what"). So one handler reads every signal
itself, raw: a payload that is not exactly what its signal takes (wrong shape,
extra fields, a number too long to read, several arguments, an unknown signal
name) is recorded on the campaign's status as ignored, with the reason, and
changes nothing. The signal itself stays in the history. A malformed signal
never fails a workflow task. Runs inside the workflow sandbox.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from pydantic import BaseModel, ValidationError
from temporalio import workflow
from temporalio.common import RawValue

from engine.workflow import _early_events as early_events
from engine.workflow._state import RunState
from engine.workflow.campaign import (
    CANCEL_SIGNAL,
    EVENT_SIGNAL,
    PAUSE_SIGNAL,
    REFUSED_SIGNAL,
    RESUME_SIGNAL,
    TEAM_SIGNAL,
    ExternalEvent,
    IgnoredSignal,
    OperatorAction,
    RefusedAttempt,
    TeamPush,
)
from engine.workflow.team import TeamSnapshot

Model = TypeVar("Model", bound=BaseModel)

KEEP_IGNORED = 50
"""Ignored signals kept on the status (the newest): a flood cannot grow the campaign."""

KNOWN = ", ".join(
    sorted([REFUSED_SIGNAL, EVENT_SIGNAL, PAUSE_SIGNAL, RESUME_SIGNAL, CANCEL_SIGNAL, TEAM_SIGNAL])
)


class BadSignal(Exception):
    """A signal payload that is not what its signal takes."""


def take(run: RunState, name: str, args: Sequence[RawValue]) -> None:
    """Take one signal: refused, event, pause, resume, cancelling, team; or ignore it."""
    try:
        _take(run, name, args)
    except BadSignal as problem:
        ignored = IgnoredSignal(name=name[:100], reason=str(problem), at=workflow.now())
        run.ignored = [*run.ignored, ignored][-KEEP_IGNORED:]
        workflow.logger.warning("ignored signal %r: %s", name[:100], problem)


def _take(run: RunState, name: str, args: Sequence[RawValue]) -> None:
    match name:
        case "refused":
            attempt = _read(args, RefusedAttempt)
            run.refused.append(attempt.model_copy(update={"at": workflow.now()}))
        case "event":
            # Kept until a step waits for it: early events are not lost, up to a
            # bound in size and number (engine.workflow._early_events).
            if run.bounded() and (dropped := early_events.too_large(args)) is not None:
                early_events.drop(run, dropped)
                return
            event = _read(args, ExternalEvent)
            if run.bounded() and (dropped := early_events.no_room(run, event)) is not None:
                early_events.drop(run, dropped)
                return
            run.events.append(event)
        case "pause":
            _read(args, OperatorAction)  # who: in the history with the signal
            run.paused = True
            run.set_state("paused")
        case "resume":
            _read(args, OperatorAction)
            run.paused = False
            run.set_state("running")
        case "cancelling":
            # Who cancels, and why: recorded just before the cancellation itself.
            action = _read(args, OperatorAction)
            reason = f": {action.reason}" if action.reason else ""
            run.error = f"cancelled by {action.by}{reason}"
        case "team":
            # A newer team directory, used for decisions from now on.
            run.team = _read_team(args)
        case _:
            raise BadSignal(f"no such signal (a campaign takes: {KNOWN})")


def _read(args: Sequence[RawValue], model: type[Model]) -> Model:
    if len(args) != 1:
        raise BadSignal(f"takes one argument, not {len(args)}")
    try:
        value: Model = workflow.payload_converter().from_payload(args[0].payload, model)
    except Exception as error:  # whatever the payload is, it is only ignored
        raise BadSignal(f"not a {model.__name__}: {_explain(error)}") from None
    if not isinstance(value, model):  # null arrives as None, unchecked
        raise BadSignal(f"not a {model.__name__}: {type(value).__name__}")
    return value


def _read_team(args: Sequence[RawValue]) -> TeamSnapshot:
    """A team push (who pushed, and the directory), or a bare snapshot as older
    clients sent it."""
    try:
        return _read(args, TeamPush).team
    except BadSignal:
        return _read(args, TeamSnapshot)


def _explain(error: BaseException) -> str:
    cause: BaseException | None = error
    while cause is not None and not isinstance(cause, ValidationError):
        cause = cause.__cause__
    if isinstance(cause, ValidationError):
        return explain_validation(cause)
    return (str(error).strip() or type(error).__name__).splitlines()[0][:200]


def explain_validation(error: ValidationError) -> str:
    """The first problems of a payload, as ``field: what is wrong``."""
    problems = error.errors(include_url=False, include_input=False)[:3]
    return "; ".join(
        ": ".join([".".join(str(part) for part in p["loc"]), p["msg"]]).lstrip(": ")
        for p in problems
    )
