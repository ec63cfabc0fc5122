"""The inbox, the task page, and the decisions people take on it."""

from __future__ import annotations

import contextlib
import datetime as dt
import secrets
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict
from temporalio.client import WorkflowExecutionStatus, WorkflowQueryFailedError
from temporalio.service import RPCError

from engine import ir
from engine.audit import campaign_timeline
from engine.client import report_refusal
from engine.errors import UserError
from engine.workflow import attributes as sa
from engine.workflow.campaign import STATUS_QUERY, CampaignStatus
from engine.workflow.facts import OPENED_MEMO
from engine.workflow.work_items import Act, WorkItem, is_action
from mops.web import _decide, _forms
from mops.web._auth import SignedIn, Viewer, address, backend, checked_form
from mops.web._backend import Backend
from mops.web._inbox import Row, human_step, inbox, open_step, time_left
from mops.web._render import page

router = APIRouter()

ACTIONS = {
    "approve": "Approve",
    "reject": "Reject",
    "request_changes": "Request changes",
    "complete": "Complete",
    "delegate": "Delegate",
}


@router.get("/", response_class=HTMLResponse)
async def inbox_page(
    request: Request,
    who: SignedIn,
    process: str = "",
    campaign: str = "",
) -> Response:
    b = backend(request)
    rows = await inbox(b, who.person, process=process or None, campaign=campaign or None)
    processes = sorted({r.process for r in rows})
    return page(
        request,
        "inbox.html",
        who=who,
        rows=rows,
        process=process,
        campaign=campaign,
        processes=processes,
        worker=await b.worker_running(),
    )


async def _row(
    b: Backend, person: str, campaign: str, step: str, *, indexed: bool = False
) -> Row | None:
    return await open_step(b, person, campaign, step, indexed=indexed)


async def _open_item(b: Backend, campaign: str, step: str) -> tuple[WorkItem | None, bool]:
    """The open step as the campaign sees it, and whether it answered: it does through a
    worker, within 2 seconds, or it cannot take a decision now either."""
    if not await b.worker_running():
        return None, False
    try:
        status: CampaignStatus = await b.client.get_workflow_handle(campaign).query(
            STATUS_QUERY, result_type=CampaignStatus, rpc_timeout=dt.timedelta(seconds=2)
        )
    except (RPCError, WorkflowQueryFailedError):
        return None, False
    return next((i for i in status.open_items if i.step == step), None), True


async def task_context(b: Backend, who: Viewer, campaign: str, step_id: str) -> dict[str, Any]:
    """Everything the task page shows, from visibility and what the app keeps.

    Raises:
        HTTPException: 404 when the step is not open for this person.
    """
    row = await _row(b, who.person, campaign, step_id)
    if row is None:
        raise HTTPException(404, "This task is not open for you (done, or not yours).")
    handle = b.client.get_workflow_handle(campaign)
    description = await handle.describe()
    version = description.typed_search_attributes.get(sa.VERSION)
    process = await b.process(version, campaign)
    step = human_step(process, step_id)
    start = await b.campaign_start(campaign)
    item, answered = await _open_item(b, campaign, step_id)
    if item is not None and who.person in item.barred:
        raise HTTPException(404, "This task is not open for you (separation of duties).")
    returns = (
        item.returns if item else tuple((f.name, f.type) for f in (step.returns if step else ()))
    )
    escalated = item.escalated if item else 0
    rungs = step.escalations if step else ()
    next_rung = rungs[escalated] if escalated < len(rungs) else None
    memo = await description.memo()
    return {
        "row": row,
        "process": process,
        "step": step,
        # joins: the language branch's step instruction text (IR field `instructions`).
        "instructions": getattr(step, "instructions", None),
        "inputs": start[1] if start else {},
        "started_by": start[2] if start else "",
        "item": item,
        "fields": _forms.returns_form(returns),
        "conversation": await conversation(b, campaign),
        "escalates_to": ", ".join(f"{p.kind} {p.name}" for p in next_rung.to) if next_rung else "",
        "opened": memo.get(OPENED_MEMO),
        "worker": answered,
        "decision_id": secrets.token_hex(16),
        "people": sorted(directory.people) if (directory := b.directory()) else [],
        "running": description.status == WorkflowExecutionStatus.RUNNING,
    }


class Said(BaseModel):
    """One decision of the campaign's conversation, as the task page shows it."""

    model_config = ConfigDict(frozen=True)

    person: str
    action: str
    step: str
    at: dt.datetime
    comment: str = ""
    outputs: dict[str, Any] = {}
    state: str = "confirmed"
    round: int | None = None
    to: str = ""


_ACTIONS_OF = {
    "approved": "approve",
    "rejected": "reject",
    "changes_requested": "request_changes",
    "completed": "complete",
    "delegated": "delegate",
}


async def conversation(b: Backend, campaign: str) -> list[Said]:
    """Every decision the campaign recorded, however it was sent (the app, `mops
    approve`, an e-mail link), from its history's typed facts; then those the app sent
    that the campaign has not confirmed yet."""
    try:
        entries = (await campaign_timeline(b.client, campaign)).entries
    except (UserError, RPCError):
        entries = ()
    said = [
        Said(
            person=e.actor,
            action=_ACTIONS_OF[e.what],
            step=e.step,
            at=e.at,
            comment=e.comment,
            outputs=dict(e.details.get("outputs") or {}),
        )
        for e in entries
        if e.what in _ACTIONS_OF and e.actor_kind == "person"
    ]
    for sent in b.store.conversation(campaign):
        if sent.state == "pending":
            said.append(
                Said(
                    person=sent.person,
                    action=sent.action,
                    step=sent.step,
                    at=sent.at,
                    comment=sent.comment,
                    outputs=sent.outputs,
                    state="pending",
                    round=sent.round,
                )
            )
    return said


@router.get("/tasks/{campaign}/{step}", response_class=HTMLResponse)
async def task_page(request: Request, campaign: str, step: str, who: SignedIn) -> Response:
    b = backend(request)
    context = await task_context(b, who, campaign, step)
    return page(request, "task.html", who=who, actions=ACTIONS, errors=False, **context)


async def refuse(
    b: Backend, request: Request, who: Viewer, campaign: str, act: Act, reason: str
) -> HTTPException:
    """Refuse a decision the app will not sign: logged, and recorded in the campaign."""
    b.store.log("refused", who.person, address(request), f"{campaign} {act.step}: {reason}")
    with contextlib.suppress(RPCError):
        await report_refusal(
            b.client, campaign, act, reason, credentials=b.credentials(who.person, who.method)
        )
    return HTTPException(403, reason)


@router.post("/tasks/{campaign}/{step}", response_class=HTMLResponse)
async def decide(request: Request, campaign: str, step: str, who: SignedIn) -> Response:
    b = backend(request)
    form = await checked_form(request, who)
    action = form.get("action", "")
    if not is_action(action):
        raise HTTPException(400, f"unknown action '{action}'")
    known = b.store.decision(form.get("decision_id", ""))
    if known is not None and known.person == who.person:
        # The same form sent again (a double click, a reload): the same decision.
        return RedirectResponse(f"/decisions/{known.update_id}", status_code=303)
    act = Act(step=step, actor=who.person, action=action, comment=form.get("comment", "")[:4000])
    row = await _row(b, who.person, campaign, step, indexed=True)
    if row is None:
        raise await refuse(b, request, who, campaign, act, f"{who.person} may not act on '{step}'")
    if (action == "complete") != (row.form == "work"):
        raise await refuse(b, request, who, campaign, act, f"'{row.title}' cannot be {action}d")
    if action == "delegate":
        to = form.get("to", "")
        if b.person(to) is None:
            raise HTTPException(400, f"delegate to whom? '{to}' is not in the team directory")
        act = act.model_copy(update={"to": to})
    if action == "complete":
        context = await task_context(b, who, campaign, step)
        types = {name: t for name, t in _returns(context)}
        values, shown = _forms.read(context["fields"], types, form)
        if _forms.problems(shown):
            context.update(fields=shown)
            return page(
                request, "task.html", code=422, who=who, actions=ACTIONS, errors=True, **context
            )
        act = act.model_copy(update={"outputs": values})
    update_id = form.get("decision_id") or secrets.token_hex(16)
    try:
        sent = await _decide.send(
            b, act, campaign=campaign, update_id=update_id, method=who.method, round_=row.round
        )
    except ValueError as error:
        raise HTTPException(400, str(error)) from None
    # After the POST, a page of its own: a reload asks again, it never sends again.
    return RedirectResponse(f"/decisions/{sent.update_id}", status_code=303)


def _returns(context: dict[str, Any]) -> list[tuple[str, ir.TypeRef]]:
    item = context["item"]
    if item is not None:
        return list(item.returns)
    step = context["step"]
    return [(f.name, f.type) for f in (step.returns if step else ())]


@router.get("/decisions/{update_id}", response_class=HTMLResponse)
async def decision(request: Request, update_id: str, who: SignedIn) -> Response:
    b = backend(request)
    known = b.store.decision(update_id)
    if known is None or known.person != who.person:
        raise HTTPException(404, "no such decision of yours")
    sent = await _decide.follow(b, update_id)
    fragment = request.headers.get("hx-request") == "true"
    return page(
        request, "decision.html" if fragment else "decided.html", who=who, sent=sent, row=None
    )


@router.post("/away", response_class=HTMLResponse)
async def away(request: Request, who: SignedIn) -> Response:
    """Out of office: hand every open step that allows it to a delegate, now."""
    b = backend(request)
    form = await checked_form(request, who)
    to = form.get("to", "")
    if b.person(to) is None or to == who.person:
        raise HTTPException(400, f"hand your tasks to whom? '{to}' is not in the team directory")
    handed = []
    for row in await inbox(b, who.person):
        act = Act(
            step=row.step,
            actor=who.person,
            action="delegate",
            to=to,
            comment=form.get("comment", "out of office"),
        )
        sent = await _decide.send(
            b,
            act,
            campaign=row.campaign,
            update_id=secrets.token_hex(16),
            method=who.method,
            round_=row.round,
        )
        handed.append((row, sent))
    return page(request, "away.html", who=who, handed=handed, to=to)


__all__ = ["router", "time_left"]
