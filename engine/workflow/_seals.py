"""The campaign checks every seal before anything happens (see :mod:`engine.workflow.provenance`).

- A start must be signed by a key its worker trusts with the right to start,
  for exactly the start that arrived (whose IR's content hash it names), in the
  name of whoever the start says started it, and recently when the server took
  it; otherwise the campaign fails at once, before any step, and nothing runs.
  A continued run (continue-as-new) and a sub-process are started by the engine
  itself: Temporal says so
  (``continued_run_id``, ``parent``), and they carry the first run's verdict.
- A decision must be signed, fresh, for this very update, by a key that may
  sign for the person who acts: otherwise the update validator refuses it with
  the reason.
- A signal must be signed, by a key that may send it, and not seen before:
  otherwise it changes nothing and is recorded as ignored.

Starts and signals are checked again when a campaign replays, against the keys
as they were valid when each seal was made: a retired key keeps its old
signatures valid (``valid_until``), so the verdicts never change. Never delete
a key from a trust file while campaigns it signed for may still run.

Histories recorded before seals existed replay as they ran (named patches).
Runs inside the workflow sandbox.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError
from temporalio import workflow
from temporalio.common import RawValue
from temporalio.exceptions import ApplicationError

from engine.workflow import attributes as sa
from engine.workflow import patches
from engine.workflow._state import RunState
from engine.workflow.campaign import CampaignStart
from engine.workflow.provenance import (
    Refused,
    Seal,
    SignedKind,
    Verified,
    check,
    ir_hash,
    trust_for,
)
from engine.workflow.work_items import Act

KEEP_NONCES = 500
"""Single-use ids of signals kept per run (the newest): a replayed signal is ignored."""


def _refused_start(why: str) -> ApplicationError:
    return ApplicationError(
        f"the campaign's start is refused: {why}; nothing ran",
        type="RefusedStart",
        non_retryable=True,
    )


def verify_start(start: CampaignStart, args: Sequence[RawValue]) -> Verified | None:
    """Who started the campaign, proven; None only for a history recorded before seals.

    Raises:
        ApplicationError: the start is unsigned, or its seal does not check out.
    """
    info = workflow.info()
    if len(args) == 1:
        if start.resume is not None and info.continued_run_id is not None:
            return start.started  # continued as new by the campaign itself
        if info.parent is not None:
            return start.started  # a sub-process, started by its caller
        if not patches.SIGNED_STARTS.applies():
            return None  # recorded before starts were signed
        raise _refused_start("it is not signed (start campaigns with mops, the app or its API)")
    sent = args[0].payload.data
    try:
        seal = workflow.payload_converter().from_payload(args[1].payload, Seal)
        content = ir_hash(sent)
    except Exception:  # whatever arrived, it is refused the same way
        raise _refused_start("its signature cannot be read") from None
    if not isinstance(seal, Seal):
        raise _refused_start("its signature cannot be read")
    try:
        if start.schedule is not None:
            verified = _scheduled(start.schedule, sent, seal)
        else:
            # Fresh when the server took the start: a start copied out of an old
            # campaign's history cannot run that campaign again under its id.
            when = info.workflow_start_time
            verified = check(
                trust_for(info.task_queue), "start", info.workflow_id, sent, seal, now=when
            )
    except Refused as why:
        raise _refused_start(str(why)) from None
    if seal.ir_hash != content:
        raise _refused_start("the process it carries is not the one that was signed")
    if start.resume is not None or start.started is not None:
        raise _refused_start("a new campaign cannot claim to continue another")
    if start.started_by != verified.principal:
        signer = verified.principal
        raise _refused_start(f"it says {start.started_by} started it, but {signer} signed")
    claimed = info.typed_search_attributes.get(sa.VERSION)
    if claimed is not None and claimed != start.process.version:
        raise _refused_start(f"it is listed as version {claimed} but runs {start.process.version}")
    return verified


def _scheduled(schedule: str, sent: bytes, seal: Seal) -> Verified:
    """A start made by the Temporal Schedule ``schedule``: its seal was made when an
    operator created the schedule, bound to the schedule's id, so it is not fresh — but
    Temporal must say that this schedule started the campaign, under an id it made.

    Raises:
        Refused: why the start does not count.
    """
    info = workflow.info()
    by = info.typed_search_attributes.get(sa.SCHEDULED_BY)
    if by != schedule or not info.workflow_id.startswith(f"{schedule}-"):
        raise Refused(f"it says the schedule {schedule} started it, but no such schedule did")
    verified = check(trust_for(info.task_queue), "schedule", schedule, sent, seal)
    return verified.model_copy(update={"schedule": schedule})


def signal_refusal(
    run: RunState, what: SignedKind, sent: bytes, seal: Seal, *, event: str | None
) -> str | None:
    """Why a signed signal does not count, or None (then it counts once, and only once).

    No freshness check: a signal may wait for a worker; a replayed one is caught by its
    single-use id. Keys are judged as they were when the seal was made, so the verdict
    replays unchanged after a key is retired (never delete a key from the trust file).
    """
    if seal.nonce in run.nonces:
        return "sent before (a signal counts once)"
    info = workflow.info()
    try:
        check(trust_for(info.task_queue), what, info.workflow_id, sent, seal, event=event)
    except Refused as why:
        return str(why)
    remember_nonce(run, seal.nonce)
    return None


def decision_refusal(run: RunState, payload: bytes, raw_seal: Any, act: Act) -> str | None:
    """Why a decision's seal does not let it through (the validator's reason), or None."""
    if raw_seal is None:
        return "the decision is not signed: decide with mops or the people's app"
    try:
        seal = Seal.model_validate(raw_seal)
    except ValidationError:
        return "the decision's signature cannot be read"
    update = workflow.current_update_info()
    if seal.nonce in run.nonces:
        return "the decision was sent before (a signed decision counts once)"
    info = workflow.info()
    try:
        verified = check(
            trust_for(info.task_queue),
            "act",
            info.workflow_id,
            payload,
            seal,
            now=workflow.now(),
            nonce=None if update is None else update.id,
        )
    except Refused as why:
        return f"the decision is refused: {why}"
    if verified.principal != act.actor:
        return f"the decision is signed for {verified.principal}, not for {act.actor}"
    return None


def remember_nonce(run: RunState, nonce: str) -> None:
    """A signal or decision counted: the same signed message will not count again."""
    run.nonces = [*run.nonces, nonce][-KEEP_NONCES:]
