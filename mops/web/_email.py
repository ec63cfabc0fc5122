"""Approve by e-mail: a signed, single-use, expiring link opens a confirmation page;
only its button decides (mail scanners open links, they do not press buttons).

The link names the person it was mailed to; the decision is signed by the app for
that person with the method ``email_link``. Expired, changed and replayed links
are refused and recorded in the security log.
"""

from __future__ import annotations

import hashlib
import hmac

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from engine.client import BadLink, LinkClaim, read_link, task_url
from engine.workflow.work_items import Act, is_action
from mops.web import _decide
from mops.web._auth import address, backend
from mops.web._backend import Backend
from mops.web._inbox import open_step
from mops.web._render import page

router = APIRouter()


def _confirm_token(b: Backend, token: str) -> str:
    """What the confirmation page's form carries: bound to this very link."""
    return hmac.new(b.link_key, b"confirm:" + token.encode(), hashlib.sha256).hexdigest()


def _claim(b: Backend, request: Request, token: str) -> LinkClaim:
    try:
        claim = read_link(b.link_key, token)
    except BadLink as bad:
        b.store.log("refused", "-", address(request), f"e-mail link: {bad}")
        raise HTTPException(410, str(bad)) from None
    if b.store.link_used(claim.nonce):
        b.store.log("refused", claim.person, address(request), "e-mail link used again (replayed)")
        raise HTTPException(410, "This link was already used: open the task in the app instead.")
    return claim


@router.get("/email/{token}", response_class=HTMLResponse)
async def confirm_page(request: Request, token: str) -> Response:
    """The confirmation page: nothing changes on GET."""
    b = backend(request)
    claim = _claim(b, request, token)
    row = await open_step(b, claim.person, claim.campaign, claim.step)
    return page(
        request,
        "email.html",
        claim=claim,
        row=row,
        confirm=_confirm_token(b, token),
        token=token,
        task=task_url(b.settings.base_url, claim.campaign, claim.step),
        sent=None,
    )


@router.post("/email/{token}", response_class=HTMLResponse)
async def confirmed(request: Request, token: str) -> Response:
    b = backend(request)
    form = await request.form()
    if not hmac.compare_digest(str(form.get("confirm") or ""), _confirm_token(b, token)):
        b.store.log("refused", "-", address(request), "e-mail link confirmed without its form")
        raise HTTPException(403, "This confirmation was not sent from its page.")
    claim = _claim(b, request, token)
    action = str(form.get("action") or "")
    if not is_action(action) or action not in ("approve", "reject", "request_changes"):
        raise HTTPException(400, "approve, reject or request changes")
    row = await open_step(b, claim.person, claim.campaign, claim.step)
    if row is None or row.form != "approval":
        raise HTTPException(409, "Nothing to decide here any more: the step is not open for you.")
    if not b.store.use_link(claim.nonce):
        b.store.log("refused", claim.person, address(request), "e-mail link used again (replayed)")
        raise HTTPException(410, "This link was already used: open the task in the app instead.")
    act = Act(
        step=claim.step,
        actor=claim.person,
        action=action,
        comment=str(form.get("comment") or "")[:4000],
    )
    sent = await _decide.send(
        b,
        act,
        campaign=claim.campaign,
        update_id=hashlib.sha256(claim.nonce.encode()).hexdigest()[:32],
        method="email_link",
        round_=row.round,
    )
    return page(
        request, "email.html", claim=claim, row=row, confirm="", token=token, task="", sent=sent
    )
