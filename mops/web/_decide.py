"""Sending a person's decision, signed by the app for them, and following it until the
campaign confirms or refuses it.

A decision is never reported as failed and recorded later. Its Temporal update id
is made when the page is shown (a hidden field), so sending the form twice sends
one decision. If the campaign does not answer within a few seconds (no worker, a
loaded machine) the decision is shown as *pending*, and the page asks again for
that very update until the campaign has accepted or refused it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import cast

from temporalio.client import (
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.service import RPCError, RPCStatusCode

from engine.client import payload_bytes, report_refusal, said
from engine.workflow.campaign import ACT_UPDATE
from engine.workflow.facts import Decided
from engine.workflow.limits import decision_problem
from engine.workflow.provenance import Method
from engine.workflow.work_items import Act, Action
from mops.web._backend import Backend
from mops.web._store import SentDecision, now

ANSWER_WITHIN = dt.timedelta(seconds=4)
"""How long the page waits for the campaign before it shows the decision as pending."""
POLL_WITHIN = dt.timedelta(seconds=2)


async def send(
    b: Backend,
    act: Act,
    *,
    campaign: str,
    update_id: str,
    method: Method,
    round_: int | None,
) -> SentDecision:
    """Send ``act`` for ``act.actor`` (whom the app authenticated by ``method``)."""
    known = b.store.decision(update_id)
    if known is not None:
        # The same form sent again: the same decision, followed, never sent twice.
        if known.state == "pending":
            return await follow(b, update_id)
        return known
    if (too_large := decision_problem(act)) is not None:
        raise ValueError(f"not sent: {too_large}")
    sent = SentDecision(
        update_id=update_id,
        campaign=campaign,
        step=act.step,
        round=round_,
        person=act.actor,
        action=act.action,
        comment=act.comment,
        outputs=dict(act.outputs),
        method=method,
        state="pending",
        answer="sent; waiting for the campaign to confirm",
        at=now(),
    )
    # Written before it is sent; off the event loop (a commit waits for the disk).
    await asyncio.to_thread(b.store.add_decision, sent)
    credentials = b.credentials(act.actor, method)
    seal = credentials.signer.sign(
        "act", campaign, payload_bytes(act), credentials, nonce=update_id
    )
    handle = b.client.get_workflow_handle(campaign)
    try:
        decided: Decided = await handle.execute_update(
            ACT_UPDATE,
            args=[act, seal],
            id=update_id,
            result_type=Decided,
            rpc_timeout=ANSWER_WITHIN,
        )
    except WorkflowUpdateRPCTimeoutOrCancelledError:
        return await _settled(b, update_id, "pending", _pending_words())
    except WorkflowUpdateFailedError as refused:
        return await _refused(b, campaign, act, refused, method, update_id)
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            return await _settled(b, update_id, "refused", f"no running campaign '{campaign}'")
        return await _settled(b, update_id, "pending", _pending_words())
    return await _settled(b, update_id, "confirmed", said(decided))


async def follow(b: Backend, update_id: str) -> SentDecision:
    """Ask the campaign again about a pending decision, by its update id."""
    known = b.store.decision(update_id)
    if known is None or known.state != "pending":
        assert known is not None
        return known
    handle = b.client.get_workflow_handle(known.campaign)
    try:
        decided: Decided = await handle.get_update_handle(update_id, result_type=Decided).result(
            rpc_timeout=POLL_WITHIN
        )
    except WorkflowUpdateRPCTimeoutOrCancelledError:
        return known
    except WorkflowUpdateFailedError as refused:
        act = Act(
            step=known.step,
            actor=known.person,
            action=cast(Action, known.action),
            comment=known.comment,
            outputs=known.outputs,
        )
        return await _refused(
            b,
            known.campaign,
            act,
            refused,
            cast(Method, known.method),
            update_id,
        )
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            # The server no longer holds the update (it restarted before a worker took
            # it): nothing was recorded, and the person is told so.
            return await _settled(
                b, update_id, "lost", "not recorded: the campaign never received it; send it again"
            )
        return known
    return await _settled(b, update_id, "confirmed", said(decided))


async def _refused(
    b: Backend,
    campaign: str,
    act: Act,
    refused: WorkflowUpdateFailedError,
    method: Method,
    update_id: str,
) -> SentDecision:
    reason = getattr(refused.cause, "message", None) or str(refused.cause)
    await report_refusal(
        b.client, campaign, act, reason, credentials=b.credentials(act.actor, method)
    )
    return await _settled(b, update_id, "refused", f"refused: {reason}")


async def _settled(b: Backend, update_id: str, state: str, answer: str) -> SentDecision:
    await asyncio.to_thread(b.store.settle, update_id, state, answer)
    if state == "confirmed":
        b.open_steps.changed()  # the next inbox looks again, whenever it comes
    found = b.store.decision(update_id)
    assert found is not None
    return found


def _pending_words() -> str:
    return (
        "pending: sent and kept by the server; the campaign confirms it as soon as a "
        "worker takes it (this page asks again by itself)"
    )
