"""``http.post`` and ``http.request``: call an HTTP API, at most once per step execution.

Every request carries the step's idempotency key in an ``Idempotency-Key``
header, so a receiver that honours it drops the duplicates that retries and
worker crashes produce. Which failures are retried, and why redirects are not
followed, is described in :mod:`workers.builtins._http_core`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Literal

from pydantic import (
    AnyHttpUrl,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    field_validator,
    model_validator,
)

from workers._action import ActionContext, action
from workers.builtins._http_core import (
    ANY_2XX,
    BODY_LIMIT,
    Reply,
    check_header_value,
    check_headers,
    encode_json,
    exchange,
)

__all__ = [
    "BODY_LIMIT",
    "PostParams",
    "PostResult",
    "RequestParams",
    "RequestResult",
    "post",
    "request",
]

# http.post predates ``expect``: every answer below 400 is a success, as it always was.
_BELOW_400 = frozenset(range(100, 400))
_TIMEOUT = timedelta(minutes=2)  # above the largest timeout_seconds


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
        return check_headers(headers)


class PostResult(BaseModel):
    """What ``http.post`` returns."""

    status: int = Field(description="The HTTP status code.")
    body: str = Field(description=f"The response body, cut at {BODY_LIMIT // 1024} KiB.")
    truncated: bool = Field(description="True when the body was cut.")
    json_body: Any = Field(
        alias="json", description="The body parsed as JSON, or null when it is not JSON."
    )


class RequestParams(BaseModel):
    """Arguments of ``http.request``."""

    model_config = ConfigDict(extra="forbid")

    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = Field(
        default="GET", description="The HTTP method."
    )
    url: AnyHttpUrl = Field(description="Where to send the request (http or https).")
    query: dict[str, str] | None = Field(
        default=None, description="Query parameters; they replace those of the same name in url."
    )
    headers: dict[str, str] | None = Field(default=None, description="Extra request headers.")
    json_body: Any = Field(
        default=None, alias="json", description="Sent as the JSON body; no body when absent."
    )
    bearer_token: SecretStr | None = Field(
        default=None, description="Sent as 'Authorization: Bearer <token>'."
    )
    timeout_seconds: float = Field(
        default=30, gt=0, le=100, description="Give up on one attempt after this many seconds."
    )
    expect: list[int] | None = Field(
        default=None,
        min_length=1,
        description="The statuses that count as success (default: any 2xx).",
    )

    @field_validator("headers")
    @classmethod
    def _sendable(cls, headers: dict[str, str] | None) -> dict[str, str] | None:
        return check_headers(headers)

    @field_validator("bearer_token")
    @classmethod
    def _sendable_token(cls, token: SecretStr | None) -> SecretStr | None:
        if token is not None:
            check_header_value("bearer_token", token.get_secret_value())
        return token

    @field_validator("expect")
    @classmethod
    def _statuses(cls, expect: list[int] | None) -> list[int] | None:
        for status in expect or ():
            if not 100 <= status <= 599:
                raise ValueError(f"{status} is not an HTTP status (100 to 599)")
        return expect

    @model_validator(mode="after")
    def _consistent(self) -> RequestParams:
        if self.json_body is not None and self.method == "GET":
            raise ValueError("a GET request carries no JSON body: send values in 'query'")
        named = {name.lower() for name in self.headers or {}}
        if self.bearer_token is not None and "authorization" in named:
            raise ValueError("give either bearer_token or an Authorization header, not both")
        return self


class RequestResult(PostResult):
    """What ``http.request`` returns."""

    headers: dict[str, str] = Field(
        description="The response headers, names in lower case, repeats joined by ', '."
    )


@action(
    "http.post",
    description="POST JSON to a URL with the step's idempotency key",
    timeout=_TIMEOUT,
    heartbeat=timedelta(seconds=30),
)
async def post(params: PostParams, ctx: ActionContext) -> PostResult:
    """Send the request; fail retryably when the receiver may recover, finally when not."""
    headers, body = _with_json(params.json_body, params.headers)
    reply = await exchange(
        ctx,
        method="POST",
        url=str(params.url),
        headers=headers,
        body=body,
        timeout_seconds=params.timeout_seconds,
        expect=_BELOW_400,
        keep_body=True,  # the answer is what the step is for; still checked for secrets
    )
    return PostResult(**_result_fields(reply))


@action(
    "http.request",
    description="Call an HTTP API (GET, POST, PUT, PATCH, DELETE) with the step's idempotency key",
    timeout=_TIMEOUT,
    heartbeat=timedelta(seconds=30),
)
async def request(params: RequestParams, ctx: ActionContext) -> RequestResult:
    """Send the request; fail retryably when the receiver may recover, finally when not."""
    headers, body = _with_json(params.json_body, params.headers)
    if params.bearer_token is not None:
        token = params.bearer_token.get_secret_value()
        ctx.used_secrets.add(token)  # scrubbed even when passed as plain text
        headers["Authorization"] = f"Bearer {token}"
    reply = await exchange(
        ctx,
        method=params.method,
        url=str(params.url),
        query=params.query,
        headers=headers,
        body=body,
        timeout_seconds=params.timeout_seconds,
        expect=frozenset(params.expect) if params.expect else ANY_2XX,
        keep_body=True,  # the answer is what the step is for; still checked for secrets
    )
    return RequestResult(**_result_fields(reply), headers=reply.headers)


def _with_json(value: Any, headers: dict[str, str] | None) -> tuple[dict[str, str], bytes | None]:
    if value is None:
        return dict(headers or {}), None
    # A Content-Type the step gives wins, e.g. application/merge-patch+json.
    return {"Content-Type": "application/json", **(headers or {})}, encode_json(value)


def _result_fields(reply: Reply) -> dict[str, Any]:
    return {
        "status": reply.status,
        "body": reply.body,
        "truncated": reply.truncated,
        "json": reply.json_body,
    }
