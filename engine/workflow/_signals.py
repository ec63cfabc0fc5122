"""The signals a campaign takes, each payload checked strictly before it counts.

Anyone who can reach the namespace can send a signal, so one handler reads every
signal itself, raw: a payload that is not exactly what its signal takes (wrong
shape, extra fields, a number too long to read, an unknown signal name), and a
signal that is not signed by a key its worker trusts to send it (docs/security.md),
is recorded on the campaign's status as ignored, with the reason, and changes
nothing. The signal itself stays in the history, with the identity Temporal saw.
A malformed signal never fails a workflow task. Runs inside the workflow sandbox.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from pydantic import BaseModel, ValidationError
from temporalio import workflow
from temporalio.common import RawValue

from engine.workflow import _early_events as early_events
from engine.workflow import _seals as seals
from engine.workflow import patches
from engine.workflow._state import RunState
from engine.workflow.campaign import (
    CANCEL_SIGNAL,
    EVENT_SIGNAL,
    PAUSE_SIGNAL,
    REFUSED_SIGNAL,
    RESUME_SIGNAL,
    TEAM_SIGNAL,
    ExternalEvent,
    OperatorAction,
    RefusedAttempt,
    TeamPush,
)
from engine.workflow.provenance import Seal, SignedKind
from engine.workflow.team import TeamSnapshot

Model = TypeVar("Model", bound=BaseModel)
T = TypeVar("T")

KNOWN = ", ".join(
    sorted([REFUSED_SIGNAL, EVENT_SIGNAL, PAUSE_SIGNAL, RESUME_SIGNAL, CANCEL_SIGNAL, TEAM_SIGNAL])
)


class BadSignal(Exception):
    """A signal payload that is not what its signal takes."""


def take(run: RunState, name: str, args: Sequence[RawValue]) -> None:
    """Take one signal: refused, event, pause, resume, cancelling, team; or ignore it.

    A signed signal counts once its seal checks out; an unsigned one is ignored (it
    counted, as it arrived, in histories recorded before signals were signed).
    """
    try:
        _take(run, name, args)
    except BadSignal as problem:
        run.ignore(name, str(problem))


def _take(run: RunState, name: str, args: Sequence[RawValue]) -> None:
    if name not in _MODELS:
        raise BadSignal(f"no such signal (a campaign takes: {KNOWN})")
    what: SignedKind = name
    if len(args) not in (1, 2):
        raise BadSignal(f"takes a payload and its seal, not {len(args)} arguments")
    if what == "event" and run.bounded() and (dropped := early_events.too_large(args[:1])):
        early_events.drop(run, dropped)  # not even read
        return
    value = _team(args) if what == "team" else _decode(args[0], _MODELS[what])
    if len(args) == 1:
        if patches.SIGNED_SIGNALS.applies():
            raise BadSignal("not signed")
        apply(run, what, value)  # recorded before signals were signed
        return
    raw_seal = _decode(args[1], dict)
    try:
        seal = Seal.model_validate(raw_seal)
    except ValidationError:
        raise BadSignal("its signature cannot be read") from None
    sent = args[0].payload.data
    who = _who(what, value)
    if who is not None and who != seal.principal:
        raise BadSignal(f"it names {who}, but {seal.principal} signed it")
    event = value.name if isinstance(value, ExternalEvent) else None
    refusal = seals.signal_refusal(run, what, sent, seal, event=event)
    if refusal is not None:
        raise BadSignal(refusal)
    apply(run, what, value)


def apply(run: RunState, what: SignedKind, value: BaseModel) -> None:
    """A signal that counts: what it changes."""
    match value:
        case RefusedAttempt():
            run.refused.append(value.model_copy(update={"at": workflow.now()}))
        case ExternalEvent():
            # Kept until a step waits for it: early events are not lost, up to a
            # bound in size and number (engine.workflow._early_events).
            if run.bounded() and (dropped := early_events.no_room(run, value)) is not None:
                early_events.drop(run, dropped)
                return
            run.events.append(value)
        case OperatorAction() if what == "pause":
            run.paused = True
            run.set_state("paused")
        case OperatorAction() if what == "resume":
            run.paused = False
            run.set_state("running")
        case OperatorAction():
            # Who cancels, and why: recorded just before the cancellation itself.
            run.cancel_verified = True
            reason = f": {value.reason}" if value.reason else ""
            run.error = f"cancelled by {value.by}{reason}"
        case TeamPush():
            # A newer team directory, used for decisions from now on.
            run.team = value.team
        case TeamSnapshot():
            run.team = value


def _who(what: SignedKind, value: BaseModel) -> str | None:
    """Whom a signal names as acting (it must be who signed it)."""
    match value:
        case RefusedAttempt():
            return value.actor
        case OperatorAction():
            return value.by
        case TeamPush():
            return value.by
    return None


def _team(args: Sequence[RawValue]) -> BaseModel:
    """A team push (who pushed, and the directory), or a bare snapshot as older clients
    sent it (unsigned, so counted only in histories from then)."""
    try:
        return _decode(args[0], TeamPush)
    except BadSignal:
        if len(args) == 2:
            raise
        return _decode(args[0], TeamSnapshot)


_MODELS: dict[SignedKind, type[BaseModel]] = {
    "refused": RefusedAttempt,
    "event": ExternalEvent,
    "pause": OperatorAction,
    "resume": OperatorAction,
    "cancelling": OperatorAction,
    "team": TeamPush,
}


def _decode(arg: RawValue, model: type[T]) -> T:
    try:
        value: T = workflow.payload_converter().from_payload(arg.payload, model)
    except Exception as error:  # whatever the payload is, it is only ignored
        raise BadSignal(f"not a {model.__name__}: {_explain(error)}") from None
    if not isinstance(value, model):  # null arrives as None, unchecked
        raise BadSignal(f"not a {model.__name__}: {type(value).__name__}")
    return value


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
