"""Operators and auditors: campaigns, one campaign, starting, pausing, resuming,
cancelling (with a preview), and the auditor's history, report and export."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from temporalio.service import RPCError

from engine.audit import (
    HistoryProblem,
    campaign_histories,
    campaign_timeline,
    chain_head,
    export_records,
    process_of,
    read_timeline,
    render_timeline,
    report_html,
    time_zone,
    to_csv,
    to_jsonl,
)
from engine.client import (
    CampaignSummary,
    campaign_status,
    list_campaigns,
    resolve_inputs,
    signed_signal,
    start_campaign,
)
from engine.compiler import CompileFailed, compile_file
from engine.errors import UserError
from engine.ir import ProcessIR
from engine.workflow.campaign import CANCEL_SIGNAL, PAUSE_SIGNAL, RESUME_SIGNAL, OperatorAction
from engine.workflow.provenance import SignedKind
from engine.workflow.team import snapshot
from mops.web import _forms
from mops.web._auth import SignedIn, Viewer, backend, checked_form
from mops.web._backend import Backend
from mops.web._render import page
from workers import SecretStore, action_catalogue, redact

router = APIRouter()
VERBS: dict[str, SignedKind] = {
    "pause": PAUSE_SIGNAL,
    "resume": RESUME_SIGNAL,
    "cancel": CANCEL_SIGNAL,
}


def auditor(who: SignedIn) -> Viewer:
    if not who.auditor:
        raise HTTPException(403, "Only operators and auditors see campaigns.")
    return who


def operator(who: SignedIn) -> Viewer:
    if not who.operator:
        raise HTTPException(403, "Only operators start, pause, resume and cancel campaigns.")
    return who


Auditor = Annotated[Viewer, Depends(auditor)]
Operator = Annotated[Viewer, Depends(operator)]


async def campaigns(
    b: Backend, *, process: str = "", state: str = "", waiting_on: str = "", limit: int = 200
) -> list[CampaignSummary]:
    """``mops list``'s filters; one row per campaign, across continue-as-new."""
    try:
        found = await list_campaigns(
            b.client,
            task_queue=b.settings.task_queue,
            process=process or None,
            state=state or None,
            waiting_on=waiting_on or None,
            limit=limit,
        )
    except UserError as error:
        raise HTTPException(400, error.message) from None
    seen: dict[str, CampaignSummary] = {}
    for row in found:  # newest first: the newest run of each campaign stands for it
        seen.setdefault(row.id, row)
    return list(seen.values())


@router.get("/campaigns", response_class=HTMLResponse)
async def campaigns_page(
    request: Request,
    who: Auditor,
    process: str = "",
    state: str = "",
    waiting_on: str = "",
) -> Response:
    b = backend(request)
    rows = await campaigns(b, process=process, state=state, waiting_on=waiting_on)
    return page(
        request,
        "campaigns.html",
        who=who,
        rows=rows,
        process=process,
        state=state,
        waiting_on=waiting_on,
    )


@router.get("/campaigns/{campaign}", response_class=HTMLResponse)
async def campaign_page(request: Request, campaign: str, who: Auditor) -> Response:
    b = backend(request)
    try:
        status = await campaign_status(b.client, campaign, query_timeout=2.0)
        timeline = await campaign_timeline(b.client, campaign)
    except UserError as error:
        raise HTTPException(404, error.message) from None
    text = render_timeline(timeline, time_zone(who.time_zone))
    return page(request, "campaign.html", who=who, status=status, id=campaign, timeline=text)


@router.get("/campaigns/{campaign}/report", response_class=HTMLResponse)
async def report(request: Request, campaign: str, who: Auditor) -> Response:
    b = backend(request)
    histories = await campaign_histories(b.client, campaign)
    try:
        timeline, process = read_timeline(histories), process_of(histories)
    except HistoryProblem as problem:
        raise HTTPException(404, f"'{campaign}' is not a campaign: {problem}") from None
    html = report_html(timeline, process, time_zone(who.time_zone), dt.datetime.now(dt.UTC))
    return HTMLResponse(
        html,
        headers={
            "Content-Security-Policy": (
                "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
            )
        },
    )


@router.get("/campaigns/{campaign}/export")
async def export(request: Request, campaign: str, who: Auditor, format: str = "jsonl") -> Response:
    b = backend(request)
    text, head = await export_text(b, campaign, format)
    suffix = "csv" if format == "csv" else "jsonl"
    return Response(
        text,
        media_type="text/csv" if format == "csv" else "application/x-ndjson",
        headers={
            "Content-Disposition": f'attachment; filename="{campaign}.{suffix}"',
            "X-Mops-Chain-Head": head,
        },
    )


async def export_text(b: Backend, campaign: str, format: str) -> tuple[str, str]:
    """A campaign's hash-chained export (with its seals), scrubbed of this machine's
    secrets, and its chain head (``mops audit verify --head``)."""
    try:
        timeline = await campaign_timeline(b.client, campaign)
    except UserError as error:
        raise HTTPException(404, error.message) from None
    store = SecretStore()
    known = [store.get(name) for name in store.names()]
    chained = export_records([timeline], scrub=(lambda t: redact(t, known)) if known else None)
    text = to_csv(chained) if format == "csv" else to_jsonl(chained)
    return text, chain_head(chained)


# ---- starting --------------------------------------------------------------------------------


def process_files(b: Backend) -> dict[str, Path]:
    folder = b.settings.processes
    if folder is None:
        return {}
    return {p.stem: p for p in sorted(folder.glob("*.mops"))}


def compiled(b: Backend, name: str) -> ProcessIR:
    path = process_files(b).get(name)
    if path is None:
        raise HTTPException(404, f"no process '{name}' in {b.settings.processes}")
    try:
        process, _checked = compile_file(path, action_catalogue(), directory=b.directory())
    except CompileFailed as failed:
        count = len(failed.checked.diagnostics)
        raise HTTPException(400, f"{path.name} has {count} problem(s): run 'mops check'") from None
    except UserError as error:
        raise HTTPException(400, error.message) from None
    return process


@router.get("/start", response_class=HTMLResponse)
async def start_list(request: Request, who: Operator) -> Response:
    b = backend(request)
    return page(request, "start.html", who=who, files=process_files(b), process=None, fields=[])


@router.get("/start/{name}", response_class=HTMLResponse)
async def start_form(request: Request, name: str, who: Operator) -> Response:
    b = backend(request)
    process = compiled(b, name)
    return page(
        request,
        "start.html",
        who=who,
        files={},
        process=process,
        fields=_forms.inputs_form(process),
        name=name,
    )


@router.post("/start/{name}", response_class=HTMLResponse)
async def start(request: Request, name: str, who: Operator) -> Response:
    b = backend(request)
    form = await checked_form(request, who)
    process = compiled(b, name)
    types = {i.name: i.type for i in process.inputs}
    values, shown = _forms.read(_forms.inputs_form(process), types, form)
    if _forms.problems(shown):
        return page(
            request,
            "start.html",
            code=422,
            who=who,
            files={},
            process=process,
            fields=shown,
            name=name,
        )
    campaign = await start_for(b, who, process, values)
    return page(request, "started.html", who=who, campaign=campaign, process=process)


async def start_for(b: Backend, who: Viewer, process: ProcessIR, inputs: dict[str, object]) -> str:
    """Start a campaign signed by the app for the operator ``who``."""
    try:
        resolved = resolve_inputs(process, json_values=inputs)
    except UserError as error:
        raise HTTPException(400, error.message) from None
    directory = b.directory()
    handle = await start_campaign(
        b.client,
        process,
        resolved,
        task_queue=b.settings.task_queue,
        credentials=b.credentials(who.person, who.method),
        team=None if directory is None else snapshot(directory),
    )
    b.keep(process)
    b.store.keep_start(handle.id, process.version, dict(resolved), who.person)
    return handle.id


# ---- operating ---------------------------------------------------------------------------------


@router.get("/operate", response_class=HTMLResponse)
async def operate_preview(
    request: Request,
    who: Operator,
    verb: str,
    process: str = "",
    campaign: str = "",
) -> Response:
    """Which campaigns a pause, resume or cancel would touch: nothing happens on GET."""
    b = backend(request)
    targets = await _targets(b, verb, process, campaign)
    return page(
        request,
        "operate.html",
        who=who,
        verb=verb,
        targets=targets,
        process=process,
        campaign=campaign,
    )


async def _targets(b: Backend, verb: str, process: str, campaign: str) -> list[str]:
    if verb not in VERBS:
        raise HTTPException(400, f"unknown action '{verb}': pause, resume or cancel")
    if campaign:
        return [campaign]
    if not process:
        raise HTTPException(400, "which campaigns? name a process or a campaign")
    state = "paused" if verb == "resume" else "running"
    return [c.id for c in await campaigns(b, process=process, state=state, limit=10_000)]


@router.post("/operate", response_class=HTMLResponse)
async def operate(request: Request, who: Operator) -> Response:
    b = backend(request)
    form = await checked_form(request, who)
    verb = form.get("verb", "")
    targets = await _targets(b, verb, form.get("process", ""), form.get("campaign", ""))
    done = await apply(b, who, verb, targets, form.get("reason", ""))
    return page(request, "operate.html", who=who, verb=verb, targets=targets, done=done)


async def apply(b: Backend, who: Viewer, verb: str, targets: list[str], reason: str) -> list[str]:
    """Pause, resume or cancel ``targets``, signed by the app for the operator."""
    signing = b.credentials(who.person, who.method)
    action = OperatorAction(by=who.person, reason=reason)
    done = []
    for campaign in targets:
        try:
            await signed_signal(b.client, campaign, VERBS[verb], action, credentials=signing)
            if verb == "cancel":
                await b.client.get_workflow_handle(campaign).cancel()
        except RPCError:
            continue
        done.append(campaign)
    return done
