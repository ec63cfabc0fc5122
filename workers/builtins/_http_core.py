"""One HTTP exchange as the built-in HTTP actions make it, and how its failures count.

``http.post``, ``http.request`` and ``webhook.post`` differ in what they send;
they share how it is sent: with the step's idempotency key and our
``User-Agent``, within one time limit, heartbeating while the answer streams
in, keeping at most :data:`BODY_LIMIT` bytes of it, and turning every failure
into an :class:`~workers.ActionFailed` that says whether trying again may help.

Which answers are worth another attempt:

* 5xx, 408 Request Timeout, 425 Too Early and 429 Too Many Requests: the
  receiver may recover; a ``Retry-After`` header sets the delay (capped at an hour).
* 409 Conflict: the idempotency-key convention (IETF draft
  ``draft-ietf-httpapi-idempotency-key-header``, Stripe) answers 409 while the
  first request with the same key is still being processed; the retry then
  gets that request's answer. A lasting conflict costs the step's remaining
  attempts, no more.
* Any other status outside the expected ones, e.g. 400, 401, 404, 422: the
  same request will fail the same way, so the step fails at once.
* Timeouts and connection errors: retried.

Redirects are not followed: a 3xx is answered to the step as it is. Following
one would re-send the request, its idempotency key and its credentials to
another address, and clients turn a redirected POST into a GET.

Where a request may go: every secret the step uses must be bound to the URL
(:mod:`workers._destinations`), and the connection goes only to an address the
worker's egress policy allows (:mod:`workers._egress`). Both refusals fail the
step for good, before anything is sent.

What a request that carried a secret brings back: the receiver may echo the
secret in a form no redaction knows (cut, re-encoded, partly). So the response
body is dropped unless the action declares it the product of the step
(``keep_body``: ``http.post`` and ``http.request`` do; the body is still refused
when it holds any known form of the secret), and an error names the status but
never the body or the ``Location`` of such a response. The reason phrase is
always the standard one for the status, never the server's own words.
"""

from __future__ import annotations

import asyncio
import email.utils
import http
import importlib.metadata
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from workers._action import ActionContext
from workers._egress import egress_client
from workers._failures import ActionFailed, EgressRefused

__all__ = [
    "ANY_2XX",
    "BODY_LIMIT",
    "USER_AGENT",
    "Reply",
    "check_header_value",
    "check_headers",
    "encode_json",
    "exchange",
]

BODY_LIMIT = 64 * 1024
"""Bytes of the response body kept in the result; the rest is dropped."""

ANY_2XX = frozenset(range(200, 300))
"""The statuses that count as success unless a step says otherwise."""

RETRYABLE_STATUS = frozenset({408, 409, 425, 429})
"""4xx answers worth the same request again (every 5xx is, too)."""

_EXCERPT = 200
_MAX_RETRY_AFTER = timedelta(hours=1)
# Used with fullmatch: '$' alone would let a value end in a line break.
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_VALUE = re.compile(r"[\x20-\x7e\t]*")


def _user_agent() -> str:
    try:
        version = importlib.metadata.version("mops-flow")
    except importlib.metadata.PackageNotFoundError:
        version = "0+unknown"
    return f"mops-flow/{version}"


USER_AGENT = _user_agent()


def check_headers(headers: dict[str, str] | None) -> dict[str, str] | None:
    """``headers`` if every one can be sent and none is one MOps Flow sets itself.

    Messages name the header, never its value: values often hold secrets.

    Raises:
        ValueError: a header name or value that cannot be sent, or ``Idempotency-Key``.
    """
    for name, value in (headers or {}).items():
        if not _TOKEN.fullmatch(name):
            raise ValueError(f"'{name}' is not a valid header name")
        if name.lower() == "idempotency-key":
            raise ValueError("Idempotency-Key is set by MOps Flow from the campaign and step")
        check_header_value(f"header '{name}'", value)
    return headers


def check_header_value(what: str, value: str) -> None:
    """Reject a header value with a line break or a non-ASCII character, naming ``what``.

    Raises:
        ValueError: the value cannot be sent in a header.
    """
    if not _VALUE.fullmatch(value):
        raise ValueError(f"{what} has a character that cannot be sent")


def encode_json(value: Any) -> bytes:
    """``value`` as compact UTF-8 JSON, the bytes ``http.post`` has always sent."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


@dataclass(frozen=True, kw_only=True)
class Reply:
    """An answer with an expected status.

    Attributes:
        status: The HTTP status code.
        headers: The response headers, names in lower case, repeats joined by ", ".
        body: The body decoded as text, cut at :data:`BODY_LIMIT` bytes; empty
            when withheld.
        truncated: True when the body was cut.
        withheld: True when the body was dropped: the request carried a secret
            and the action did not declare the body safe to keep.
    """

    status: int
    headers: dict[str, str]
    body: str
    truncated: bool
    withheld: bool = False

    @property
    def json_body(self) -> Any:
        """The body parsed as JSON, or None when it is not (or not all of it is here)."""
        if self.truncated or "json" not in self.headers.get("content-type", "").lower():
            return None
        try:
            return json.loads(self.body)
        except ValueError:
            return None


async def exchange(
    ctx: ActionContext,
    *,
    method: str,
    url: str,
    query: Mapping[str, str] | None = None,
    headers: Mapping[str, str],
    body: bytes | None,
    timeout_seconds: float,
    expect: frozenset[int],
    keep_body: bool = False,
) -> Reply:
    """Send one request with the step's idempotency key and read the answer.

    Args:
        ctx: The step's context: its idempotency key, logger and heartbeat.
        method: The HTTP method.
        url: Where to send it; only scheme, host, port and path appear in messages.
        query: Query parameters, replacing those of the same name in ``url``.
        headers: Headers to send; they may replace ``User-Agent``, never ``Idempotency-Key``.
        body: The request body, or None for none.
        timeout_seconds: Limit for the whole exchange, body included.
        expect: The statuses that count as success.
        keep_body: The action declares the response body the product of the step:
            keep it even when the request carried a secret.

    Raises:
        SecretNotAllowed: a secret of the step is not bound to ``url``.
        EgressRefused: the worker's egress policy refuses the address of ``url``.
        ActionFailed: a timeout, a transport error or an unexpected status;
            retryable when the same request may succeed later.
    """
    target = httpx.URL(url).copy_merge_params(dict(query)) if query else httpx.URL(url)
    shown = _shown(target)
    ctx.require_destination(target)
    carried = bool(ctx.used_secrets)
    sent = {"User-Agent": USER_AGENT, **headers, "Idempotency-Key": ctx.idempotency_key}
    try:
        async with (
            asyncio.timeout(timeout_seconds),
            egress_client(ctx.config.egress, timeout=timeout_seconds) as client,
            client.stream(method, target, content=body, headers=sent) as response,
        ):
            raw = bytearray()
            async for chunk in response.aiter_bytes():
                raw += chunk
                # Proof of life for a slow answer; the SDK throttles what it sends.
                ctx.heartbeat(len(raw))
                if len(raw) > BODY_LIMIT:
                    break
    except EgressRefused as refused:
        raise EgressRefused(f"{method} {shown} refused: {refused.message}") from None
    except (TimeoutError, httpx.TimeoutException):
        raise ActionFailed(
            f"{method} {shown} timed out after {timeout_seconds:g}s", retryable=True
        ) from None
    except httpx.RequestError as error:
        raise ActionFailed(
            f"{method} {shown} failed: {type(error).__name__}: {error}", retryable=True
        ) from None

    status = response.status_code
    ctx.logger.info("%s %s answered %d", method, shown, status, extra={"status": status})
    withheld = carried and not keep_body and bool(raw)
    reply = Reply(
        status=status,
        headers=dict(response.headers.items()),
        body="" if withheld else _decode(bytes(raw[:BODY_LIMIT]), response.charset_encoding),
        truncated=len(raw) > BODY_LIMIT,
        withheld=withheld,
    )
    if status not in expect:
        raise _unexpected(method, target, reply, expect, carried=carried)
    return reply


def _unexpected(
    method: str,
    target: httpx.URL,
    reply: Reply,
    expect: frozenset[int],
    *,
    carried: bool,
) -> ActionFailed:
    status = reply.status
    note = ""
    location = reply.headers.get("location")
    if 300 <= status < 400 and location:
        shown = "another address" if carried else _shown(target.join(location))
        note = f" (redirect to {shown} not followed)"
    elif status < 400:
        note = f" (expected {_describe(expect)})"
    if carried:
        # The receiver may echo the secret in a form no redaction knows, and a
        # cut excerpt could keep all but one character of it.
        shown_body = reply.body or reply.withheld
        excerpt = "(body not shown: the request carried a secret)" if shown_body else ""
    else:
        excerpt = " ".join(reply.body[:_EXCERPT].split())
    retryable = status >= 500 or status in RETRYABLE_STATUS
    return ActionFailed(
        f"{method} {_shown(target)} answered {status} {_reason(status)}{note}: {excerpt}".rstrip(
            ": "
        ),
        retryable=retryable,
        next_retry_delay=_retry_after(reply.headers.get("retry-after")) if retryable else None,
    )


def _reason(status: int) -> str:
    # The standard phrase, never the server's: a reason phrase is one more echo.
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return ""


def _shown(url: httpx.URL) -> str:
    # Credentials hide in user info and query strings; messages go into history.
    return str(url.copy_with(userinfo=b"", query=None, fragment=None))


def _describe(expect: frozenset[int]) -> str:
    return "2xx" if expect == ANY_2XX else ", ".join(str(s) for s in sorted(expect))


def _decode(raw: bytes, charset: str | None) -> str:
    try:
        return raw.decode(charset or "utf-8", errors="replace")
    except LookupError:  # a charset Python does not know
        return raw.decode("utf-8", errors="replace")


def _retry_after(value: str | None) -> timedelta | None:
    """The delay a ``Retry-After`` header asks for: seconds or an HTTP date."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        delay = timedelta(seconds=int(value))
    else:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:  # "-0000": UTC by RFC 5322
            when = when.replace(tzinfo=UTC)
        delay = when - datetime.now(UTC)
    if delay <= timedelta():
        return None
    return min(delay, _MAX_RETRY_AFTER)
