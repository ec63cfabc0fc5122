"""``http.post``: send JSON to a webhook, at most once per step execution.

Every request carries the step's idempotency key in an ``Idempotency-Key``
header, so a receiver that honours it drops the duplicates that retries and
worker crashes produce.
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import json
import re
from datetime import timedelta
from typing import Any

import httpx
from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, field_validator

from workers import ActionContext, ActionFailed, action

__all__ = ["PostParams", "PostResult", "post"]

BODY_LIMIT = 64 * 1024
"""Bytes of the response body kept in the result; the rest is dropped."""

_EXCERPT = 200
_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_VALUE = re.compile(r"^[\x20-\x7e\t]*$")
# Failures the receiver may get over: worth trying the same request again.
_RETRYABLE_STATUS = frozenset({408, 429})


def _user_agent() -> str:
    try:
        version = importlib.metadata.version("mops-flow")
    except importlib.metadata.PackageNotFoundError:
        version = "0+unknown"
    return f"mops-flow/{version}"


_USER_AGENT = _user_agent()


class PostParams(BaseModel):
    """Arguments of ``http.post``."""

    model_config = ConfigDict(extra="forbid")

    url: AnyHttpUrl = Field(description="Where to send the request (http or https).")
    json_body: Any = Field(
        default=None, alias="json", description="Sent as the JSON body; no body when absent."
    )
    headers: dict[str, str] | None = Field(default=None, description="Extra request headers.")
    timeout_seconds: float = Field(
        default=30, gt=0, le=100, description="Give up on one attempt after this many seconds."
    )

    @field_validator("headers")
    @classmethod
    def _sendable(cls, headers: dict[str, str] | None) -> dict[str, str] | None:
        # Messages name the header, never its value: values often hold secrets.
        for name, value in (headers or {}).items():
            if not _TOKEN.match(name):
                raise ValueError(f"'{name}' is not a valid header name")
            if name.lower() == "idempotency-key":
                raise ValueError("Idempotency-Key is set by MOps Flow from the campaign and step")
            if not _VALUE.match(value):
                raise ValueError(f"header '{name}' has a character that cannot be sent")
        return headers


class PostResult(BaseModel):
    """What ``http.post`` returns."""

    status: int = Field(description="The HTTP status code.")
    body: str = Field(description=f"The response body, cut at {BODY_LIMIT // 1024} KiB.")
    truncated: bool = Field(description="True when the body was cut.")
    json_body: Any = Field(
        alias="json", description="The body parsed as JSON, or null when it is not JSON."
    )


@action(
    "http.post",
    description="POST JSON to a URL with the step's idempotency key",
    timeout=timedelta(minutes=2),  # above the largest timeout_seconds
)
async def post(params: PostParams, ctx: ActionContext) -> PostResult:
    """Send the request; fail retryably when the receiver may recover, finally when not."""
    url = httpx.URL(str(params.url))
    shown = str(url.copy_with(userinfo=b"", query=None, fragment=None))
    headers = {
        "User-Agent": _USER_AGENT,
        **(params.headers or {}),
        "Idempotency-Key": ctx.idempotency_key,
    }
    try:
        async with (
            asyncio.timeout(params.timeout_seconds),
            httpx.AsyncClient(timeout=params.timeout_seconds) as client,
            client.stream("POST", url, json=params.json_body, headers=headers) as response,
        ):
            raw = bytearray()
            async for chunk in response.aiter_bytes():
                raw += chunk
                if len(raw) > BODY_LIMIT:
                    break
    except (TimeoutError, httpx.TimeoutException):
        raise ActionFailed(
            f"POST {shown} timed out after {params.timeout_seconds:g}s", retryable=True
        ) from None
    except httpx.TransportError as error:
        raise ActionFailed(
            f"POST {shown} failed: {type(error).__name__}: {error}", retryable=True
        ) from error

    truncated = len(raw) > BODY_LIMIT
    body = _decode(bytes(raw[:BODY_LIMIT]), response.charset_encoding)
    status = response.status_code
    ctx.logger.info("POST %s answered %d", shown, status, extra={"status": status})
    if status >= 400:
        excerpt = " ".join(body[:_EXCERPT].split())
        raise ActionFailed(
            f"POST {shown} answered {status} {response.reason_phrase}: {excerpt}".rstrip(": "),
            retryable=status >= 500 or status in _RETRYABLE_STATUS,
            next_retry_delay=_retry_after(response.headers.get("Retry-After")),
        )
    parsed = None
    if not truncated and "json" in response.headers.get("Content-Type", "").lower():
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = None
    return PostResult(status=status, body=body, truncated=truncated, json=parsed)


def _decode(raw: bytes, charset: str | None) -> str:
    try:
        return raw.decode(charset or "utf-8", errors="replace")
    except LookupError:  # a charset Python does not know
        return raw.decode("utf-8", errors="replace")


def _retry_after(value: str | None) -> timedelta | None:
    # Only the delay-seconds form; an HTTP date falls back to the retry policy.
    if value is None or not value.strip().isdigit():
        return None
    return timedelta(seconds=min(int(value), 3600))
