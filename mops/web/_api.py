"""The JSON API (OpenAPI at /api/openapi.json): what the CLI does for people and
operators, for scripts and the marketing stack, authenticated by personal or
integration tokens (``Authorization: Bearer ...``)."""

from __future__ import annotations

import json
import secrets
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import PlainTextResponse, Response
from pydantic import BaseModel, Field

from engine.audit import campaign_timeline
from engine.client import CampaignSummary, campaign_status
from engine.errors import UserError
from engine.insights import Figures
from engine.workflow.campaign import CampaignStatus
from engine.workflow.work_items import Act
from mops.web import _campaigns, _decide, _insights
from mops.web._auth import (
    ApiCaller,
    Caller,
    Viewer,
    address,
    backend,
    new_token,
    password_ok,
)
from mops.web._inbox import Row, inbox, open_step
from mops.web._store import SentDecision

router = APIRouter(prefix="/api", tags=["api"])


def person(caller: ApiCaller) -> Caller:
    if caller.kind != "person":
        raise HTTPException(403, "an integration token acts for no person")
    return caller


Person = Annotated[Caller, Depends(person)]


def auditor(caller: Person) -> Caller:
    if "audit" not in caller.rights:
        raise HTTPException(403, "only operators and auditors read campaigns")
    return caller


def operator(caller: Person) -> Caller:
    if "operate" not in caller.rights:
        raise HTTPException(403, "only operators start, pause, resume and cancel")
    return caller


def insights_reader(caller: Person) -> Caller:
    if "audit" not in caller.rights:
        raise HTTPException(403, _insights.REFUSED)
    return caller


AuditorCaller = Annotated[Caller, Depends(auditor)]
InsightsReader = Annotated[Caller, Depends(insights_reader)]
OperatorCaller = Annotated[Caller, Depends(operator)]


def _viewer(caller: Caller) -> Viewer:
    return Viewer(caller.owner, caller.owner, caller.method, "", caller.rights)


class DecisionRequest(BaseModel):
    """A decision on an open step."""

    action: Literal["approve", "reject", "request_changes", "complete", "delegate"]
    comment: str = Field(default="", max_length=4000)
    outputs: dict[str, Any] = {}
    """For ``complete``: the values the work item returns, as JSON."""
    to: str | None = None
    """For ``delegate``: who takes the step over."""
    decision_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_-]{8,64}$")
    """Your idempotency key: the same id sends the decision once, however often sent."""


class StartRequest(BaseModel):
    process: str
    """A process file's name in the app's process folder (without .mops)."""
    inputs: dict[str, Any] = {}


class OperateRequest(BaseModel):
    verb: Literal["pause", "resume", "cancel"]
    process: str = ""
    campaign: str = ""
    reason: str = ""
    yes: bool = False
    """False: only say which campaigns it would touch."""


class TokenRequest(BaseModel):
    person: str
    password: str
    name: str = "cli"


@router.get("/tasks", response_model=list[Row])
async def tasks(request: Request, caller: Person, process: str = "") -> list[Row]:
    """The open work items and approvals of the caller, soonest deadline first."""
    return await inbox(backend(request), caller.owner, process=process or None)


@router.post("/tasks/{campaign}/{step}/decision", response_model=SentDecision)
async def decide(
    request: Request,
    campaign: str,
    step: str,
    body: DecisionRequest,
    caller: Person,
) -> SentDecision:
    """Approve, reject, request changes, complete or delegate. The answer's ``state`` is
    ``confirmed``, ``refused`` or ``pending`` (ask ``GET /api/decisions/{update_id}``)."""
    b = backend(request)
    known = b.store.decision(body.decision_id) if body.decision_id else None
    if known is not None and known.person == caller.owner:
        return await _decide.follow(b, known.update_id)  # sent before: the same decision
    row = await open_step(b, caller.owner, campaign, step, indexed=True)
    act = Act(
        step=step,
        actor=caller.owner,
        action=body.action,
        comment=body.comment,
        outputs=body.outputs,
        to=body.to,
    )
    if row is None:
        from mops.web._tasks import refuse

        raise await refuse(
            b, request, _viewer(caller), campaign, act, f"{caller.owner} may not act on '{step}'"
        )
    try:
        return await _decide.send(
            b,
            act,
            campaign=campaign,
            update_id=body.decision_id or secrets.token_hex(16),
            method=caller.method,
            round_=row.round,
        )
    except ValueError as error:
        raise HTTPException(400, str(error)) from None


@router.get("/decisions/{update_id}", response_model=SentDecision)
async def decision(request: Request, update_id: str, caller: Person) -> SentDecision:
    b = backend(request)
    known = b.store.decision(update_id)
    if known is None or known.person != caller.owner:
        raise HTTPException(404, "no such decision of yours")
    return await _decide.follow(b, update_id)


@router.get("/campaigns", response_model=list[CampaignSummary])
async def campaigns(
    request: Request,
    caller: AuditorCaller,
    process: str = "",
    state: str = "",
    waiting_on: str = "",
) -> list[CampaignSummary]:
    return await _campaigns.campaigns(
        backend(request), process=process, state=state, waiting_on=waiting_on
    )


@router.get("/campaigns/{campaign}", response_model=CampaignStatus)
async def status(request: Request, campaign: str, caller: AuditorCaller) -> CampaignStatus:
    try:
        return await campaign_status(backend(request).client, campaign, query_timeout=2.0)
    except UserError as error:
        raise HTTPException(404, error.message) from None


@router.get("/campaigns/{campaign}/history")
async def history(request: Request, campaign: str, caller: AuditorCaller) -> Any:
    try:
        timeline = await campaign_timeline(backend(request).client, campaign)
    except UserError as error:
        raise HTTPException(404, error.message) from None
    return timeline.model_dump(mode="json")


@router.get("/campaigns/{campaign}/export", response_class=PlainTextResponse)
async def export(
    request: Request,
    caller: AuditorCaller,
    campaign: str,
    format: Literal["jsonl", "csv"] = "jsonl",
) -> Response:
    text, head = await _campaigns.export_text(backend(request), campaign, format)
    return PlainTextResponse(text, headers={"X-Mops-Chain-Head": head})


@router.get(
    "/insights",
    response_model=None,
    responses={
        200: {"model": Figures, "description": "every figure, per process and version"},
        403: {"description": "the caller is neither an operator nor an auditor"},
        422: {"description": "a filter is not one (a bad date or version)"},
    },
)
async def insights(
    request: Request,
    caller: InsightsReader,
    process: str = "",
    version: _insights.Versions = [],  # noqa: B006 (FastAPI copies a query's default)
    since: str = "",
    until: str = "",
) -> Response:
    """What ``mops insights --json`` prints for the same filters (docs/insights.md):
    ``process``, ``version`` (twice: two versions side by side), ``since`` and ``until``
    (start dates, ``2026-11-01`` or ISO date and time). When the analytics store was
    still being brought up to date, the figures leave out the running campaigns and
    those ended lately, and the ``X-Mops-Insights-Behind`` header says why."""
    found, fresh = await _insights.figures(
        request, _insights.chosen(process, version, since, until)
    )
    text = json.dumps(found, indent=2, default=str, ensure_ascii=False)
    said = " ".join((fresh.behind or "").split()).encode("ascii", "replace").decode()
    behind = {"X-Mops-Insights-Behind": said} if said else {}
    return Response(text, media_type="application/json", headers=behind)


@router.post("/campaigns")
async def start(request: Request, body: StartRequest, caller: OperatorCaller) -> Any:
    b = backend(request)
    process = _campaigns.compiled(b, body.process)
    campaign = await _campaigns.start_for(b, _viewer(caller), process, body.inputs)
    return {"campaign": campaign}


@router.post("/operate")
async def operate(request: Request, body: OperateRequest, caller: OperatorCaller) -> Any:
    """Pause, resume or cancel; without ``yes`` only the campaigns it would touch."""
    b = backend(request)
    targets = await _campaigns._targets(b, body.verb, body.process, body.campaign)
    if not body.yes:
        return {"would": body.verb, "campaigns": targets}
    done = await _campaigns.apply(b, _viewer(caller), body.verb, targets, body.reason)
    return {body.verb: done}


@router.post("/tokens")
async def token(request: Request, body: TokenRequest) -> Any:
    """A personal token for a person with a local account (``mops login``): shown once."""
    b = backend(request)
    where = address(request)
    limiter = request.app.state.rate_limit
    if limiter.blocked(f"person:{body.person}", f"address:{where}"):
        b.store.log("rate_limited", body.person, where, "too many failed sign-ins (API)")
        raise HTTPException(429, "too many failed sign-ins: wait 15 minutes")
    account = b.store.account(body.person)
    if (
        account is None
        or not password_ok(account.hash, body.password)
        or b.person(body.person) is None
    ):
        limiter.failed(f"person:{body.person}", f"address:{where}")
        b.store.log("sign_in_failed", body.person, where, "token request: wrong name or password")
        raise HTTPException(401, "wrong name or password")
    made = new_token("personal")
    b.store.add_token(made, body.person, "personal", body.name[:60])
    b.store.log("sign_in", body.person, where, f"personal token '{body.name[:60]}' issued")
    return {"token": made, "person": body.person}
