"""People acting as themselves from the command line, through the people's app.

In a team, nobody acts as someone else: a person's decision reaches a campaign only
through the people's app, which signs it for the person it authenticated
(docs/security.md, "The two modes"). ``mops login --as ana`` keeps Ana's personal
token (``app-token.json`` in the state folder, 0600); ``mops tasks`` and the decision
commands given no ``--as`` then go through the app's JSON API with that token, and
the history records Ana's own act, signed in with an API token. ``MOPS_APP_TOKEN``
(with ``MOPS_APP_URL``) does the same for a script that keeps its token elsewhere.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from engine.client import Settings
from engine.errors import UserError

TOKEN_FILE = "app-token.json"
PENDING = 4
"""The exit code of a decision sent but not yet confirmed, as for one sent directly."""
DEFAULT_URL = "http://127.0.0.1:8080"


@dataclass(frozen=True)
class SignedIn:
    """Who the command line acts as, and through which app."""

    url: str
    token: str
    person: str | None
    """As ``mops login`` recorded it; None for a token from ``MOPS_APP_TOKEN``."""


def token_file(settings: Settings) -> Path:
    return settings.state_dir / TOKEN_FILE


def signed_in(settings: Settings) -> SignedIn | None:
    """The personal token to act with, or None when nobody signed in.

    Raises:
        UserError: the token file cannot be read.
    """
    url = os.environ.get("MOPS_APP_URL")
    if token := os.environ.get("MOPS_APP_TOKEN"):
        return SignedIn((url or DEFAULT_URL).rstrip("/"), token, None)
    path = token_file(settings)
    if not path.exists():
        return None
    try:
        kept = json.loads(path.read_text(encoding="utf-8"))
        found = SignedIn(str(url or kept["url"]).rstrip("/"), str(kept["token"]), kept["person"])
    except (OSError, ValueError, KeyError, TypeError):
        raise UserError(f"{path} cannot be read: sign in again with mops login") from None
    return found


def who(settings: Settings, person: str | None) -> SignedIn | None:
    """Whom a people's command acts as: None for ``--as PERSON`` (asserted by the local
    operator), the signed-in person otherwise.

    Raises:
        UserError: neither ``--as`` nor a sign-in.
    """
    if person is not None:
        return None
    found = signed_in(settings)
    if found is None:
        raise UserError(
            "say who acts: sign in with 'mops login --as PERSON' (your own decisions, "
            "through the people's app) or give --as PERSON (asserted by you, the operator)"
        )
    return found


async def _call(who: SignedIn, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    try:
        async with httpx.AsyncClient(timeout=60) as client:
            answer = await client.request(
                method,
                f"{who.url}{path}",
                json=body,
                headers={"Authorization": f"Bearer {who.token}"},
            )
    except httpx.HTTPError as error:
        raise UserError(f"the app at {who.url} does not answer ({type(error).__name__})") from None
    if answer.status_code == 401:
        raise UserError(f"the app at {who.url} refused the token: sign in again with mops login")
    try:
        found = answer.json()
    except ValueError:
        found = None
    if answer.status_code >= 400:
        detail = found.get("detail") if isinstance(found, dict) else None
        if isinstance(detail, list):  # a body the API could not read, field by field
            detail = "; ".join(str(d.get("msg", d)) for d in detail if isinstance(d, dict))
        raise UserError(f"refused: {detail or f'the app answered {answer.status_code}'}")
    return found


async def tasks(who: SignedIn) -> list[dict[str, Any]]:
    """The signed-in person's open work items and approvals, soonest deadline first."""
    found = await _call(who, "GET", "/api/tasks")
    return list(found) if isinstance(found, list) else []


async def decide(
    who: SignedIn,
    campaign: str,
    step: str,
    *,
    action: str,
    comment: str,
    outputs: dict[str, str],
    to: str | None,
    decision_id: str | None = None,
    wait: float | None = None,
) -> dict[str, Any]:
    """Send one decision as the signed-in person; what became of it (the app's answer,
    followed until the campaign confirmed or refused it, or for ``wait`` seconds)."""
    body = {
        "action": action,
        "comment": comment,
        "outputs": {name: _value(text) for name, text in outputs.items()},
        "to": to,
        # The same id sends the decision once, however often it is sent (--update-id).
        "decision_id": decision_id or secrets.token_hex(16),
    }
    sent = await _call(who, "POST", f"/api/tasks/{campaign}/{step}/decision", body)
    assert isinstance(sent, dict)
    if sent.get("state") == "pending":  # no worker answered yet: ask once more
        sent = await _call(who, "GET", f"/api/decisions/{sent['update_id']}")
    if wait is not None:
        until = time.monotonic() + wait
        while sent.get("state") == "pending" and time.monotonic() < until:
            await asyncio.sleep(min(0.5, max(0.0, until - time.monotonic())))
            sent = await _call(who, "GET", f"/api/decisions/{sent['update_id']}")
    return dict(sent)


def _value(text: str) -> Any:
    """An output as a person types it: JSON where it reads as JSON (450, true, a list),
    the text itself otherwise; the campaign checks it against what the step returns."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def said(sent: dict[str, Any]) -> str:
    """What became of a decision sent through the app, in the app's words.

    Raises:
        UserError: the campaign refused it.
    """
    answer = str(sent.get("answer") or sent.get("state"))
    if sent.get("state") in ("refused", "lost"):
        raise UserError(answer)
    if sent.get("state") == "pending":
        return f"{answer} (send it again with --update-id {sent.get('update_id')})"
    return answer
