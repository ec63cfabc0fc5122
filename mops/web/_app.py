"""The people's app: one ASGI application (FastAPI), its routers and its guards."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware
from temporalio.client import Client

from engine.client import ConnectionInfo, Settings, link_key_path
from engine.contracts import Directory
from engine.insights import store_file
from mops.web import (
    _account,
    _api,
    _campaigns,
    _email,
    _events,
    _insights,
    _signin,
    _tasks,
)
from mops.web._auth import NeedsSignIn, RateLimit, address, session_of
from mops.web._backend import Backend
from mops.web._render import HERE, page
from mops.web._settings import WebSettings, app_signer, secret_file
from mops.web._store import Store

_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "frame-ancestors 'self'; form-action 'self' {sso}"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "SAMEORIGIN",
}


def make_backend(
    client: Client,
    web: WebSettings,
    settings: Settings,
    directory_file: Path | None,
    *,
    connection: ConnectionInfo,
) -> Backend:
    """Everything the app needs, with its keys made on first use (docs/security.md);
    ``connection`` says which cluster ``client`` talks to (its insights store)."""
    store = Store(web.state_dir / "web.sqlite")
    return Backend(
        client=client,
        settings=web,
        signer=app_signer(web.state_dir, web.name),
        store=store,
        link_key=secret_file(link_key_path(settings.state_dir)),
        session_key=secret_file(web.state_dir / "keys" / "web-session.key"),
        directory_file=directory_file,
        insights_store=store_file(settings.state_dir, connection),
    )


def create_app(b: Backend) -> FastAPI:
    """The app around ``b``."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await b.open_steps.current(b.client)  # filled in the background from now
        yield
        await b.open_steps.close()
        await refresher.close()
        b.store.close()

    app = FastAPI(
        title="MOps Flow",
        summary="The people's app: inbox, tasks, campaigns, audit; and its JSON API",
        lifespan=lifespan,
        docs_url="/api/docs",
        openapi_url="/api/openapi.json",
        redoc_url=None,
    )
    app.state.backend = b
    app.state.rate_limit = RateLimit(b.settings.login_attempts)
    app.state.insights = refresher = _insights.Refresher(b)
    app.state.oauth = _signin.oauth_for(b)
    app.add_middleware(
        SessionMiddleware,
        secret_key=secrets.token_hex(32) if b.settings.oidc is None else b.session_key.hex(),
        session_cookie="mops_sso",
        max_age=600,
        same_site="lax",
        https_only=b.settings.secure,
    )
    sso = b.settings.oidc.issuer if b.settings.oidc else ""

    @app.middleware("http")
    async def guard(request: Request, call_next: object) -> Response:
        response: Response = await call_next(request)  # type: ignore[operator]
        for name, value in _HEADERS.items():
            response.headers.setdefault(name, value.format(sso=sso).strip())
        return response

    @app.exception_handler(NeedsSignIn)
    async def sign_in_first(request: Request, _error: NeedsSignIn) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if request.method != "GET":
            b.store.log("refused", "-", address(request), f"not signed in: {request.url.path}")
            return JSONResponse({"detail": "sign in first"}, status_code=401)
        return RedirectResponse(f"/login?next={target}", status_code=303)

    @app.exception_handler(HTTPException)
    async def refused(request: Request, error: HTTPException) -> Response:
        if error.status_code == 403:
            session = session_of(request)
            b.store.log(
                "refused",
                session.person if session else "-",
                address(request),
                f"403 {request.method} {request.url.path}: {error.detail}",
            )
        if request.url.path.startswith(("/api/", "/events/")):
            return JSONResponse(
                {"detail": error.detail}, status_code=error.status_code, headers=error.headers
            )
        return page(request, "error.html", code=error.status_code, message=error.detail, who=None)

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, error: RequestValidationError) -> Response:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors()
        )
        if request.url.path.startswith(("/api/", "/events/")):
            return JSONResponse({"detail": problems}, status_code=422)
        return page(request, "error.html", code=422, message=problems, who=None)

    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    for module in (_signin, _tasks, _campaigns, _insights, _email, _account, _api, _events):
        app.include_router(module.router)
    return app


def directory_file(env_value: str | None, here: Path) -> Path | None:
    """The team directory: ``MOPS_DIRECTORY``, else ``team.toml`` in ``here`` or above."""
    if env_value:
        return Path(env_value)
    for folder in (here, *here.parents):
        found = folder / "team.toml"
        if found.is_file():
            return found
    return None


__all__ = ["Directory", "create_app", "directory_file", "make_backend"]
