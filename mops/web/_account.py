"""A person's account page (personal tokens) and the auditors' security log."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from mops.web._auth import SignedIn, backend, checked_form, new_token
from mops.web._render import page

router = APIRouter()


@router.get("/account", response_class=HTMLResponse)
async def account(request: Request, who: SignedIn) -> Response:
    b = backend(request)
    return page(request, "account.html", who=who, tokens=b.store.tokens(who.person), made=None)


@router.post("/account/tokens", response_class=HTMLResponse)
async def make_token(request: Request, who: SignedIn) -> Response:
    b = backend(request)
    form = await checked_form(request, who)
    name = (form.get("name") or "script").strip()[:60]
    made = new_token("personal")
    b.store.add_token(made, who.person, "personal", name)
    b.store.log(
        "token",
        who.person,
        request.client.host if request.client else "-",
        f"personal token '{name}' made",
    )
    return page(request, "account.html", who=who, tokens=b.store.tokens(who.person), made=made)


@router.post("/account/tokens/revoke", response_class=HTMLResponse)
async def revoke(request: Request, who: SignedIn) -> Response:
    b = backend(request)
    form = await checked_form(request, who)
    b.store.revoke_tokens(who.person, form.get("name", ""))
    return page(request, "account.html", who=who, tokens=b.store.tokens(who.person), made=None)


@router.get("/audit/security", response_class=HTMLResponse)
async def security(request: Request, who: SignedIn) -> Response:
    if not who.auditor:
        raise HTTPException(403, "Only operators and auditors read the sign-in log.")
    return page(request, "security.html", who=who, entries=backend(request).store.security_log(500))
