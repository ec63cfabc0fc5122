"""Who is signed in: local accounts (Argon2), sessions in secure cookies, CSRF tokens on
every POST, a sign-in rate limit, personal and integration tokens for the API.

Every route declares the signed-in person as a dependency (:func:`viewer` for pages,
:func:`api_caller` for the JSON API), so none can forget it. Every sign-in and every
refused attempt goes to the app's security log (:meth:`Store.log`).
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from typing import Annotated

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from fastapi import Depends, HTTPException, Request
from itsdangerous import BadSignature, URLSafeTimedSerializer

from engine.workflow.provenance import Method
from mops.web._backend import Backend
from mops.web._store import Session, now

SESSION_COOKIE = "mops_session"
PRE_COOKIE = "mops_pre"
"""Before sign-in: the cookie the sign-in form's CSRF token is bound to."""
HASHER = PasswordHasher()
WINDOW = 15 * 60.0


class NeedsSignIn(Exception):
    """A page asked for by someone not signed in: they are sent to the sign-in page."""


@dataclass(frozen=True)
class Viewer:
    """The signed-in person, how they signed in, and what the app lets them do."""

    person: str
    name: str
    method: Method
    csrf: str
    rights: frozenset[str]
    time_zone: str = "UTC"

    @property
    def operator(self) -> bool:
        return "operate" in self.rights

    @property
    def auditor(self) -> bool:
        return "audit" in self.rights


def backend(request: Request) -> Backend:
    found: Backend = request.app.state.backend
    return found


def address(request: Request) -> str:
    return request.client.host if request.client else "-"


def hash_password(password: str) -> str:
    return HASHER.hash(password)


def password_ok(hash_: str, password: str) -> bool:
    try:
        return HASHER.verify(hash_, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


# ---- sessions --------------------------------------------------------------------------------


def _serializer(b: Backend) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(b.session_key, salt="mops-session")


def open_session(b: Backend, person: str, method: Method) -> tuple[str, Session]:
    """A new session; returns the cookie's value (signed) and the session."""
    session = Session(
        id=secrets.token_urlsafe(24),
        person=person,
        method=method,
        csrf=secrets.token_urlsafe(24),
        expires=now() + dt.timedelta(hours=b.settings.session_hours),
    )
    b.store.add_session(session)
    return _serializer(b).dumps(session.id), session


def session_of(request: Request) -> Session | None:
    b = backend(request)
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    try:
        session_id = _serializer(b).loads(cookie, max_age=int(b.settings.session_hours * 3600))
    except BadSignature:
        return None
    return b.store.session(str(session_id))


def set_cookie(response: object, name: str, value: str, *, max_age: int | None, b: Backend) -> None:
    """Every cookie of the app: Secure, HttpOnly, SameSite=Lax, for the whole app."""
    response.set_cookie(  # type: ignore[attr-defined]
        name,
        value,
        max_age=max_age,
        httponly=True,
        secure=b.settings.secure,
        samesite="lax",
        path="/",
    )


def make_viewer(b: Backend, session: Session) -> Viewer:
    person = b.person(session.person)
    return Viewer(
        person=session.person,
        name=person.name if person else session.person,
        method=session.method,  # type: ignore[arg-type]
        csrf=session.csrf,
        rights=frozenset(b.rights(session.person)),
        time_zone=person.time_zone if person else "UTC",
    )


async def viewer(request: Request) -> Viewer:
    """The signed-in person of a page (a route dependency); sends others to sign in."""
    session = session_of(request)
    if session is None:
        raise NeedsSignIn()
    return make_viewer(backend(request), session)


SignedIn = Annotated[Viewer, Depends(viewer)]
"""A route's signed-in person."""


async def checked_form(request: Request, who: Viewer) -> dict[str, str]:
    """A POSTed form whose CSRF token is the session's; refused (403) otherwise."""
    form = await request.form()
    given = str(form.get("csrf") or request.headers.get("x-csrf-token") or "")
    if not given or not hmac.compare_digest(given, who.csrf):
        b = backend(request)
        b.store.log("refused", who.person, address(request), f"bad CSRF token: {request.url.path}")
        raise HTTPException(403, "This form is out of date or was not sent from this app.")
    return {k: str(v) for k, v in form.items() if isinstance(v, str)}


def pre_token(request: Request) -> str:
    """The CSRF token of the sign-in form, bound to the visitor's pre-session cookie."""
    b = backend(request)
    seed = request.cookies.get(PRE_COOKIE) or ""
    return hmac.new(b.session_key, b"pre:" + seed.encode(), "sha256").hexdigest()


def pre_ok(request: Request, given: str) -> bool:
    return bool(request.cookies.get(PRE_COOKIE)) and hmac.compare_digest(given, pre_token(request))


# ---- the sign-in rate limit ----------------------------------------------------------------


class RateLimit:
    """Failed sign-ins per person and per address within 15 minutes."""

    def __init__(self, allowed: int) -> None:
        self.allowed = allowed
        self._failures: dict[str, deque[float]] = defaultdict(deque)

    def _recent(self, key: str) -> deque[float]:
        found = self._failures[key]
        while found and found[0] < time.monotonic() - WINDOW:
            found.popleft()
        return found

    def blocked(self, *keys: str) -> bool:
        return any(len(self._recent(k)) >= self.allowed for k in keys)

    def failed(self, *keys: str) -> None:
        for key in keys:
            self._recent(key).append(time.monotonic())

    def passed(self, key: str) -> None:
        self._failures.pop(key, None)


# ---- tokens ------------------------------------------------------------------------------------


def new_token(kind: str) -> str:
    """A token shown once: ``mops_pat_...`` (personal) or ``mops_int_...`` (integration)."""
    return f"mops_{'pat' if kind == 'personal' else 'int'}_{secrets.token_urlsafe(32)}"


@dataclass(frozen=True)
class Caller:
    """Who calls the JSON API: a person (personal token or session) or an integration."""

    owner: str
    kind: str
    """``person`` or ``integration``."""
    method: Method
    rights: frozenset[str]


async def api_caller(request: Request) -> Caller:
    """The caller of an API route (a dependency): ``Authorization: Bearer TOKEN``, or a
    signed-in browser session for GET. Refused with 401 otherwise, and logged."""
    b = backend(request)
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token:
        owner = b.store.token(token.strip())
        if owner is None:
            b.store.log("refused", "-", address(request), f"bad API token: {request.url.path}")
            raise HTTPException(401, "unknown or revoked token", {"WWW-Authenticate": "Bearer"})
        if owner.kind == "integration":
            return Caller(owner.owner, "integration", "integration_key", frozenset())
        return Caller(owner.owner, "person", "api_token", frozenset(b.rights(owner.owner)))
    session = session_of(request)
    if session is not None and request.method == "GET":
        return Caller(
            session.person,
            "person",
            session.method,  # type: ignore[arg-type]
            frozenset(b.rights(session.person)),
        )
    if header:
        b.store.log("refused", "-", address(request), f"bad Authorization: {request.url.path}")
    raise HTTPException(
        401, "sign in: send Authorization: Bearer TOKEN", {"WWW-Authenticate": "Bearer"}
    )


ApiCaller = Annotated[Caller, Depends(api_caller)]
