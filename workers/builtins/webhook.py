"""``webhook.post``: deliver a signed event to a subscriber, as Stripe and GitHub do.

The request body is one JSON object, serialised compactly with sorted keys::

    {"created":"2025-09-01T09:30:00Z","data":{...},"event":"campaign.launched",
     "id":"<delivery id>"}

``id`` is the step's idempotency key (also sent as ``Idempotency-Key``) and
``created`` the time the step first scheduled the delivery, so every attempt of
one delivery sends the very same bytes. Each attempt signs them afresh::

    X-Mops-Event: campaign.launched
    X-Mops-Timestamp: 1756719000
    X-Mops-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>

A receiver verifies a delivery like this (Python; any language has HMAC)::

    import hashlib, hmac, time

    def verify(secret: bytes, headers, body: bytes, tolerance: int = 300) -> bool:
        timestamp = headers["X-Mops-Timestamp"]
        signed = timestamp.encode() + b"." + body  # the raw bytes, before parsing
        expected = "v1=" + hmac.new(secret, signed, hashlib.sha256).hexdigest()
        return (
            hmac.compare_digest(expected, headers["X-Mops-Signature"])  # constant time
            and abs(time.time() - int(timestamp)) <= tolerance  # refuse replays
        )

and then drops a delivery whose ``id`` it has already processed: a retry after
a lost answer delivers the same event again, with the same id.

Failures are classified as for ``http.request`` (see
:mod:`workers.builtins._http_core`); only a 2xx answer counts as delivered.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import UTC, timedelta
from typing import Any

import temporalio.activity
from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, SecretStr

from workers._action import ActionContext, ActionFailed, action
from workers.builtins._http_core import ANY_2XX, exchange

__all__ = ["WebhookParams", "WebhookResult", "post", "sign"]

_EVENT = r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$"
_NO_SECRET = (
    'webhook.post has no signing secret: pass secret: secret("<name>") in the step, '
    "or set MOPS_WEBHOOK_SECRET on the worker to the name of a secret it holds "
    "(value in MOPS_SECRET_<NAME> or in the secrets file)"
)


class WebhookParams(BaseModel):
    """Arguments of ``webhook.post``."""

    model_config = ConfigDict(extra="forbid")

    url: AnyHttpUrl = Field(description="The subscriber's endpoint (http or https).")
    event: str = Field(
        pattern=_EVENT,
        max_length=200,
        description="The event type, e.g. 'campaign.launched' (letters, digits, . _ : -).",
    )
    data: Any = Field(default=None, description="The event's payload.")
    secret: SecretStr | None = Field(
        default=None,
        description="Signs the delivery (default: the worker's MOPS_WEBHOOK_SECRET secret).",
    )
    timeout_seconds: float = Field(
        default=30, gt=0, le=100, description="Give up on one attempt after this many seconds."
    )


class WebhookResult(BaseModel):
    """What ``webhook.post`` returns."""

    status: int = Field(description="The HTTP status code the subscriber answered.")
    delivery_id: str = Field(
        description="The delivery's id: the body's 'id' and the Idempotency-Key header."
    )


@action(
    "webhook.post",
    description="Deliver a signed JSON event to a webhook subscriber",
    timeout=timedelta(minutes=2),  # above the largest timeout_seconds
    heartbeat=timedelta(seconds=30),
)
async def post(params: WebhookParams, ctx: ActionContext) -> WebhookResult:
    """Deliver the event; fail retryably when the subscriber may recover, finally when not."""
    secret = _signing_secret(params, ctx)
    body = _envelope(params, ctx.idempotency_key)
    timestamp = int(time.time())
    reply = await exchange(
        ctx,
        method="POST",
        url=str(params.url),
        headers={
            "Content-Type": "application/json",
            "X-Mops-Event": params.event,
            "X-Mops-Timestamp": str(timestamp),
            "X-Mops-Signature": sign(secret, timestamp, body),
        },
        body=body,
        timeout_seconds=params.timeout_seconds,
        expect=ANY_2XX,
    )
    return WebhookResult(status=reply.status, delivery_id=ctx.idempotency_key)


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The ``X-Mops-Signature`` value for ``body`` sent at ``timestamp`` (unix seconds)."""
    signed = str(timestamp).encode() + b"." + body
    return "v1=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def _signing_secret(params: WebhookParams, ctx: ActionContext) -> str:
    if params.secret is not None:
        value = params.secret.get_secret_value()
        ctx.used_secrets.add(value)  # scrubbed even when passed as plain text
    elif ctx.config.webhook_secret:
        value = ctx.secret(ctx.config.webhook_secret)  # SecretMissing names the variable
    else:
        raise ActionFailed(_NO_SECRET, retryable=False)
    if not value:
        raise ActionFailed("webhook.post: the signing secret is empty", retryable=False)
    return value


def _envelope(params: WebhookParams, delivery_id: str) -> bytes:
    # scheduled_time is when the step first scheduled the activity; unlike
    # started_time it is the same on every attempt, so retries send the same bytes.
    scheduled = temporalio.activity.info().scheduled_time.astimezone(UTC)
    created = scheduled.isoformat(timespec="seconds").replace("+00:00", "Z")
    envelope = {"id": delivery_id, "event": params.event, "created": created, "data": params.data}
    try:
        return json.dumps(envelope, separators=(",", ":"), sort_keys=True, allow_nan=False).encode()
    except ValueError as error:  # NaN or infinity: JSON has no such numbers
        raise ActionFailed(
            f"webhook.post: data cannot be sent as JSON: {error}", retryable=False
        ) from None
