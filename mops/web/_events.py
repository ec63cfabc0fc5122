"""Inbound events: ``POST /events/NAME`` from a CRM or a form tool, each integration
with its own signing secret, the Standard Webhooks scheme or a plain HMAC; anything
else is refused with 401 and recorded.

Standard Webhooks (https://www.standardwebhooks.com): headers ``webhook-id``,
``webhook-timestamp`` and ``webhook-signature: v1,BASE64`` of HMAC-SHA256 over
``ID.TIMESTAMP.BODY`` with the secret after ``whsec_``. HMAC: header
``X-Mops-Signature: t=TIMESTAMP,sha256=HEX`` of HMAC-SHA256 over ``TIMESTAMP.BODY``.
Either way the integration is named by ``X-Mops-Integration``, the timestamp must
be within five minutes, and a message id is accepted once.
"""

from __future__ import annotations

import base64
import fnmatch
import hashlib
import hmac
import json
import time
from typing import Any

from fastapi import APIRouter, HTTPException, Request

from engine.client import Credentials, send_event
from engine.errors import UserError
from mops.web._auth import address, backend
from mops.web._backend import Backend
from mops.web._settings import integration_signer
from mops.web._store import Integration

router = APIRouter(tags=["events"])
TOLERANCE = 300


def _unauthorized(b: Backend, request: Request, who: str, why: str) -> HTTPException:
    b.store.log("refused", f"integration:{who}", address(request), f"event refused: {why}")
    return HTTPException(401, f"not accepted: {why}")


def verify(item: Integration, headers: Any, body: bytes, now: float) -> str:
    """The message id of a correctly signed delivery; raises ValueError with the reason."""
    if item.scheme == "standard-webhooks":
        message_id = str(headers.get("webhook-id", ""))
        stamp = str(headers.get("webhook-timestamp", ""))
        signatures = str(headers.get("webhook-signature", ""))
        secret = base64.b64decode(item.secret.removeprefix("whsec_"))
        signed = f"{message_id}.{stamp}.".encode() + body
        expected = base64.b64encode(hmac.new(secret, signed, hashlib.sha256).digest()).decode()
        given = [s.partition(",")[2] for s in signatures.split() if s.startswith("v1,")]
        ok = any(hmac.compare_digest(expected, g) for g in given)
    else:
        fields = dict(p.partition("=")[::2] for p in headers.get("x-mops-signature", "").split(","))
        stamp = fields.get("t", "")
        digest = hmac.new(item.secret.encode(), stamp.encode() + b"." + body, hashlib.sha256)
        ok = hmac.compare_digest(digest.hexdigest(), fields.get("sha256", ""))
        message_id = f"{stamp}:{digest.hexdigest()[:32]}"
    if not message_id or not stamp.isdigit():
        raise ValueError("missing signature headers")
    if not ok:
        raise ValueError("bad signature")
    if abs(now - int(stamp)) > TOLERANCE:
        raise ValueError("timestamp too old or in the future")
    return message_id


@router.post("/events/{name}")
async def event(request: Request, name: str) -> Any:
    """Deliver an external event (``{"key": ..., "data": {...}}``) to the campaigns
    waiting for it; signed per integration (see above), 401 otherwise."""
    b = backend(request)
    who = request.headers.get("x-mops-integration", "")
    item = b.store.integration(who) if who else None
    if item is None:
        raise _unauthorized(b, request, who or "-", "unknown integration")
    body = await request.body()
    try:
        message_id = verify(item, request.headers, body, time.time())
    except (ValueError, TypeError) as error:
        raise _unauthorized(b, request, who, str(error)) from None
    if not b.store.use_link(f"event:{who}:{message_id}"):
        raise _unauthorized(b, request, who, "this delivery was accepted before (replayed)")
    if not any(fnmatch.fnmatchcase(name, pattern) for pattern in item.events):
        raise HTTPException(403, f"integration {who} may not send '{name}'")
    try:
        sent = json.loads(body)
    except ValueError:
        raise HTTPException(422, "the body is not JSON") from None
    if not isinstance(sent, dict) or not isinstance(sent.get("key"), str):
        raise HTTPException(422, 'send {"key": "...", "data": {...}}')
    data = sent.get("data") or {}
    if not isinstance(data, dict):
        raise HTTPException(422, "data must be a JSON object")
    signer = integration_signer(b.settings.state_dir, who)
    if b.refresh_trust is not None:
        b.refresh_trust()  # the worker beside the app trusts a key made since it started
    try:
        delivered = await send_event(
            b.client,
            name=name,
            key=sent["key"],
            data=data,
            task_queue=b.settings.task_queue,
            credentials=Credentials(signer, who, "integration", "integration_key"),
        )
    except UserError as error:
        raise HTTPException(422, error.message) from None
    return {"delivered_to": delivered}
