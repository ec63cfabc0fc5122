"""Signing in and out: local accounts and OpenID Connect single sign-on.

Sign-ins, failed attempts and rate-limited attempts go to the app's security log.
"""

from __future__ import annotations

import secrets
import warnings
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from mops.web._auth import (
    PRE_COOKIE,
    SESSION_COOKIE,
    SignedIn,
    address,
    backend,
    checked_form,
    hash_password,
    open_session,
    password_ok,
    pre_ok,
    pre_token,
    session_of,
    set_cookie,
)
from mops.web._backend import Backend
from mops.web._render import page

router = APIRouter()
_DUMMY = hash_password(secrets.token_hex(8))
"""Checked against when the person has no account, so a wrong name takes as long."""


def _safe_next(target: str | None) -> str:
    return target if target and target.startswith("/") and not target.startswith("//") else "/"


@router.get("/login", response_class=HTMLResponse)
async def login_form(request: Request, next: str = "/") -> Response:
    b = backend(request)
    seed = request.cookies.get(PRE_COOKIE) or secrets.token_urlsafe(16)
    request.cookies[PRE_COOKIE] = seed
    response = page(
        request,
        "login.html",
        csrf=pre_token(request),
        next=_safe_next(next),
        sso=b.settings.oidc.label if b.settings.oidc else None,
        error=None,
    )
    set_cookie(response, PRE_COOKIE, seed, max_age=3600, b=b)
    return response


@router.post("/login")
async def login(request: Request) -> Response:
    b = backend(request)
    form = await request.form()
    person = str(form.get("person") or "").strip()
    password = str(form.get("password") or "")
    target = _safe_next(str(form.get("next") or "/"))
    where = address(request)
    if not pre_ok(request, str(form.get("csrf") or "")):
        b.store.log("refused", person or "-", where, "sign-in form without its CSRF token")
        return _again(request, b, target, "This form is out of date: please sign in again.", 403)
    limiter = request.app.state.rate_limit
    if limiter.blocked(f"person:{person}", f"address:{where}"):
        b.store.log("rate_limited", person or "-", where, "too many failed sign-ins")
        return _again(
            request, b, target, "Too many failed sign-ins: wait 15 minutes and try again.", 429
        )
    account = b.store.account(person)
    known = account is not None and b.person(person) is not None
    ok = password_ok(account.hash if account else _DUMMY, password) and known
    if not ok:
        limiter.failed(f"person:{person}", f"address:{where}")
        b.store.log("sign_in_failed", person or "-", where, "wrong name or password")
        return _again(request, b, target, "Wrong name or password.", 401)
    limiter.passed(f"person:{person}")
    b.store.log("sign_in", person, where, "local account (web_login)")
    return _signed_in(b, person, "web_login", target)


def _again(request: Request, b: Backend, target: str, error: str, status: int) -> Response:
    return page(
        request,
        "login.html",
        code=status,
        csrf=pre_token(request),
        next=target,
        sso=b.settings.oidc.label if b.settings.oidc else None,
        error=error,
    )


def _signed_in(b: Backend, person: str, method: Any, target: str) -> Response:
    cookie, _session = open_session(b, person, method)
    response = RedirectResponse(target, status_code=303)
    set_cookie(response, SESSION_COOKIE, cookie, max_age=int(b.settings.session_hours * 3600), b=b)
    return response


@router.post("/logout")
async def logout(request: Request, who: SignedIn) -> Response:
    await checked_form(request, who)
    session = session_of(request)
    if session is not None:
        backend(request).store.end_session(session.id)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# ---- single sign-on -------------------------------------------------------------------------


def oauth_for(b: Backend) -> Any:
    """Authlib's client for the provider (imported only when single sign-on is set up)."""
    if b.settings.oidc is None:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # authlib's own httpx notice
        from authlib.integrations.starlette_client import OAuth

    oauth = OAuth()
    oidc = b.settings.oidc
    oauth.register(
        "sso",
        client_id=oidc.client_id,
        client_secret=oidc.client_secret,
        server_metadata_url=oidc.issuer.rstrip("/") + "/.well-known/openid-configuration",
        client_kwargs={"scope": "openid email profile"},
    )
    return oauth


@router.get("/login/sso")
async def sso_start(request: Request, next: str = "/") -> Response:
    oauth = request.app.state.oauth
    if oauth is None:
        return RedirectResponse("/login", status_code=303)
    request.session["next"] = _safe_next(next)
    redirect = backend(request).settings.base_url + "/login/sso/callback"
    result: Response = await oauth.sso.authorize_redirect(request, redirect)
    return result


@router.get("/login/sso/callback")
async def sso_callback(request: Request) -> Response:
    b = backend(request)
    oauth = request.app.state.oauth
    where = address(request)
    if oauth is None or b.settings.oidc is None:
        return RedirectResponse("/login", status_code=303)
    from authlib.integrations.starlette_client import OAuthError

    try:
        token = await oauth.sso.authorize_access_token(request)
    except OAuthError as error:
        b.store.log("sign_in_failed", "-", where, f"single sign-on: {error.error}")
        return _again(request, b, "/", f"Single sign-on failed: {error.error}", 401)
    claims = dict(token.get("userinfo") or {})
    value = str(claims.get(b.settings.oidc.claim) or "")
    if b.settings.oidc.claim == "email":
        found = b.person_by_email(value)
        person = found.id if found else None
    else:
        person = value if b.person(value) else None
    if person is None:
        b.store.log("sign_in_failed", value or "-", where, "single sign-on: not in the team")
        return _again(
            request, b, "/", f"'{value}' signed in, but is not in the team directory.", 403
        )
    b.store.log("sign_in", person, where, f"single sign-on ({b.settings.oidc.issuer})")
    return _signed_in(b, person, "sso", _safe_next(request.session.pop("next", "/")))
