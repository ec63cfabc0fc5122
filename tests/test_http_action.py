"""``http.post`` and ``http.request`` against a real local HTTP server, run as Temporal
activities through the registry's wrapper (secret resolution and scrubbing included)."""

from __future__ import annotations

import dataclasses
import socket
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest
from httpserver import RecordingServer, http_server
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from engine.contracts import SECRET_MARKER, TaskRequest
from workers import EgressConfig, SecretStore, WorkerConfig, builtin_registry

__all__ = ["http_server"]  # the fixture, imported for pytest

WHERE = 'step "Publish" (blog.mops:12:3)'
TOKEN = "tok_live_5e4d3c2b1a"
KEY = "launch-2025-q3/publish#1"
Activity = Callable[[TaskRequest], Awaitable[dict[str, Any]]]
# The local test servers listen on loopback, which a worker reaches only when allowed.
LOCAL = WorkerConfig(egress=EgressConfig(allow=("127.0.0.1",)))


def _activity(name: str, *, send_to: str = "https://api.acme.example") -> Activity:
    """The action as the worker runs it; the API token may go to ``send_to``."""
    registry = builtin_registry()
    activities = registry.activities(
        config=LOCAL,
        secrets=SecretStore(
            env={"MOPS_SECRET_API_TOKEN": TOKEN, "MOPS_SECRET_API_TOKEN_SEND_TO": send_to}
        ),
    )
    return dict(zip(registry.names, activities, strict=True))[name]


POST = _activity("http.post")
REQUEST = _activity("http.request")


def _env(*, attempt: int = 1) -> ActivityEnvironment:
    env = ActivityEnvironment()
    env.info = dataclasses.replace(
        env.info, workflow_id="launch-2025-q3", activity_id="publish#1", attempt=attempt
    )
    return env


def _request(**arguments: Any) -> TaskRequest:
    return TaskRequest(
        step="publish", title="Publish", source="blog.mops:12:3", arguments=arguments
    )


async def _post_failure(env: ActivityEnvironment, **arguments: Any) -> ApplicationError:
    return await _failure(POST, env, **arguments)


async def _failure(
    activity: Activity, env: ActivityEnvironment, **arguments: Any
) -> ApplicationError:
    with pytest.raises(ApplicationError) as caught:
        await env.run(activity, _request(**arguments))
    return caught.value


async def test_sends_json_with_the_step_idempotency_key(http_server: RecordingServer) -> None:
    result = await _env().run(
        POST,
        _request(
            url=f"{http_server.url}/hooks/launch",
            json={"campaign": "Q3", "channels": ["blog", "email"]},
            headers={"X-Team": "mops"},
        ),
    )

    assert result == {
        "status": 200,
        "body": '{"ok": true}',
        "truncated": False,
        "json": {"ok": True},
    }
    [request] = http_server.requests
    assert request.method == "POST"
    assert request.path == "/hooks/launch"
    assert request.json == {"campaign": "Q3", "channels": ["blog", "email"]}
    assert request.headers["idempotency-key"] == "launch-2025-q3/publish#1"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["user-agent"].startswith("mops-flow/")
    assert request.headers["x-team"] == "mops"


async def test_every_attempt_sends_the_same_idempotency_key(http_server: RecordingServer) -> None:
    http_server.answer_next(status=503, body="busy")
    with pytest.raises(ApplicationError):
        await _env(attempt=1).run(POST, _request(url=http_server.url))
    await _env(attempt=2).run(POST, _request(url=http_server.url))

    assert http_server.by_idempotency_key == {"launch-2025-q3/publish#1": 2}


async def test_non_json_answer_has_text_body_and_null_json(http_server: RecordingServer) -> None:
    http_server.answer(status=202, body="queued", content_type="text/plain")

    result = await _env().run(POST, _request(url=http_server.url))

    assert result == {"status": 202, "body": "queued", "truncated": False, "json": None}
    assert http_server.requests[0].body == b""  # no json argument: no body


async def test_long_body_is_cut_at_64_kib(http_server: RecordingServer) -> None:
    http_server.answer(body="x" * 100_000, content_type="text/plain")

    result = await _env().run(POST, _request(url=http_server.url))

    assert result["truncated"] is True
    assert len(result["body"]) == 64 * 1024


async def test_404_fails_for_good_naming_step_without_secrets(
    http_server: RecordingServer,
) -> None:
    http_server.answer(status=404, body="no such\nhook", content_type="text/plain")

    error = await _post_failure(
        _env(),
        url=f"{http_server.url}/hooks/gone?token=s3cr3t",
        headers={"Authorization": "Bearer s3cr3t"},
    )

    assert error.non_retryable
    assert error.type == "ActionFailed"
    assert (
        error.message
        == f"{WHERE}: POST {http_server.url}/hooks/gone answered 404 Not Found: no such hook"
    )
    assert "s3cr3t" not in str(error)


@pytest.mark.parametrize("status", [500, 503, 408])
async def test_server_errors_are_retried(http_server: RecordingServer, status: int) -> None:
    http_server.answer(status=status, body="try later", content_type="text/plain")

    error = await _post_failure(_env(), url=f"{http_server.url}/hook")

    assert not error.non_retryable
    assert error.message.startswith(f"{WHERE}: POST {http_server.url}/hook answered {status} ")


async def test_429_retries_after_the_delay_the_server_asks(http_server: RecordingServer) -> None:
    http_server.answer(status=429, body="slow down", headers={"Retry-After": "7"})

    error = await _post_failure(_env(), url=http_server.url)

    assert not error.non_retryable
    assert error.next_retry_delay == timedelta(seconds=7)


async def test_connection_refused_is_retried() -> None:
    with socket.socket() as probe:  # a port nobody listens on once closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    error = await _post_failure(_env(), url=f"http://127.0.0.1:{port}/hook")

    assert not error.non_retryable
    assert error.message.startswith(
        f"{WHERE}: POST http://127.0.0.1:{port}/hook failed: ConnectError"
    )


async def test_timeout_seconds_is_honoured(http_server: RecordingServer) -> None:
    http_server.answer(delay=10)

    started = time.monotonic()
    error = await _post_failure(_env(), url=f"{http_server.url}/hook", timeout_seconds=0.3)
    elapsed = time.monotonic() - started

    assert not error.non_retryable
    assert error.message == f"{WHERE}: POST {http_server.url}/hook timed out after 0.3s"
    assert elapsed < 3


@pytest.mark.parametrize(
    ("arguments", "problem"),
    [
        (
            {"url": "not a url"},
            "argument 'url': Input should be a valid URL, relative URL without a base",
        ),
        ({"url": "ftp://example.com/x"}, "argument 'url': URL scheme should be 'http' or 'https'"),
        ({}, "missing argument 'url'"),
        ({"url": "http://example.com", "jsn": {}}, "unknown argument 'jsn'"),
        (
            {"url": "http://example.com", "headers": {"Idempotency-Key": "mine"}},
            "argument 'headers': Value error, "
            "Idempotency-Key is set by MOps Flow from the campaign and step",
        ),
        (
            {"url": "http://example.com", "headers": {"X-Token": "s3cr3t\r\nX-Evil: 1"}},
            "argument 'headers': Value error, header 'X-Token' has a character that cannot be sent",
        ),
        (
            {"url": "http://example.com", "timeout_seconds": 0},
            "argument 'timeout_seconds': Input should be greater than 0",
        ),
    ],
)
async def test_invalid_arguments_fail_for_good_naming_the_field(
    arguments: dict[str, Any], problem: str
) -> None:
    error = await _post_failure(_env(), **arguments)

    assert error.non_retryable
    assert error.type == "InvalidArguments"
    assert error.message == f"{WHERE}: {problem}"


async def test_post_does_not_follow_redirects(http_server: RecordingServer) -> None:
    http_server.answer(status=302, body="", headers={"Location": "/moved"})

    result = await _env().run(POST, _request(url=f"{http_server.url}/hook"))

    assert result["status"] == 302  # below 400: a success for http.post, as it always was
    assert [r.path for r in http_server.requests] == ["/hook"]


# ---- http.request ------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "PATCH", "DELETE"])
async def test_request_sends_each_method_with_key_and_user_agent(
    http_server: RecordingServer, method: str
) -> None:
    http_server.answer(headers={"X-Request-Id": "req-42"})

    result = await _env().run(REQUEST, _request(method=method, url=f"{http_server.url}/contacts"))

    [request] = http_server.requests
    assert (request.method, request.path, request.body) == (method, "/contacts", b"")
    assert request.headers["idempotency-key"] == KEY
    assert request.headers["user-agent"].startswith("mops-flow/")
    assert result["status"] == 200
    assert result["json"] == {"ok": True}
    assert result["headers"]["x-request-id"] == "req-42"
    assert result["headers"]["content-type"] == "application/json"


async def test_request_defaults_to_get(http_server: RecordingServer) -> None:
    await _env().run(REQUEST, _request(url=http_server.url))

    assert http_server.requests[0].method == "GET"


async def test_request_sends_json_query_and_headers(http_server: RecordingServer) -> None:
    await _env().run(
        REQUEST,
        _request(
            method="PATCH",
            url=f"{http_server.url}/contacts/7?fields=tags&page=1",
            query={"page": "2", "q": "spring launch"},
            headers={"X-Team": "mops"},
            json={"tags": ["webinar"]},
        ),
    )

    [request] = http_server.requests
    assert request.path == "/contacts/7?fields=tags&page=2&q=spring+launch"
    assert request.json == {"tags": ["webinar"]}
    assert request.headers["content-type"] == "application/json"
    assert request.headers["x-team"] == "mops"


async def test_bearer_token_from_a_secret_is_sent_and_the_answer_not_quoted(
    http_server: RecordingServer,
) -> None:
    # A careless API echoes the credentials it refused.
    http_server.answer(status=401, body=f"token {TOKEN} expired", content_type="text/plain")

    error = await _failure(
        _activity("http.request", send_to=http_server.url),
        _env(),
        url=f"{http_server.url}/me",
        bearer_token={SECRET_MARKER: "api_token"},
    )

    assert http_server.requests[0].headers["authorization"] == f"Bearer {TOKEN}"
    assert error.non_retryable
    assert error.message == (
        f"{WHERE}: GET {http_server.url}/me answered 401 Unauthorized: "
        "(body not shown: the request carried a secret)"
    )
    assert TOKEN not in str(error)


async def test_bearer_token_result_never_holds_the_token(http_server: RecordingServer) -> None:
    result = await _env().run(
        _activity("http.request", send_to=http_server.url),
        _request(url=http_server.url, bearer_token={SECRET_MARKER: "api_token"}),
    )

    assert TOKEN not in repr(result)


async def test_expected_statuses_replace_2xx(http_server: RecordingServer) -> None:
    http_server.answer(status=404, body="gone already", content_type="text/plain")

    result = await _env().run(
        REQUEST, _request(method="DELETE", url=f"{http_server.url}/tag/9", expect=[204, 404])
    )

    assert result["status"] == 404
    assert result["body"] == "gone already"


async def test_a_success_status_not_expected_fails_for_good(http_server: RecordingServer) -> None:
    http_server.answer(status=200, body="updated", content_type="text/plain")

    error = await _failure(
        REQUEST, _env(), method="POST", url=f"{http_server.url}/contacts", expect=[201]
    )

    assert error.non_retryable
    assert error.message == (
        f"{WHERE}: POST {http_server.url}/contacts answered 200 OK (expected 201): updated"
    )


async def test_redirects_are_not_followed(http_server: RecordingServer) -> None:
    http_server.answer(status=301, body="", headers={"Location": "/v2/contacts?key=abc"})

    error = await _failure(REQUEST, _env(), url=f"{http_server.url}/v1/contacts")

    assert error.non_retryable
    assert error.message == (
        f"{WHERE}: GET {http_server.url}/v1/contacts answered 301 Moved Permanently "
        f"(redirect to {http_server.url}/v2/contacts not followed)"
    )
    assert [r.path for r in http_server.requests] == ["/v1/contacts"]


@pytest.mark.parametrize("status", [408, 409, 425, 429, 500, 502, 503])
async def test_request_retries_answers_the_server_may_get_over(
    http_server: RecordingServer, status: int
) -> None:
    http_server.answer(status=status, body="later", content_type="text/plain")

    error = await _failure(REQUEST, _env(), url=http_server.url)

    assert not error.non_retryable
    assert error.next_retry_delay is None  # no Retry-After: the step's retry policy decides


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410, 422])
async def test_request_fails_for_good_on_client_errors(
    http_server: RecordingServer, status: int
) -> None:
    http_server.answer(
        status=status, body="no", content_type="text/plain", headers={"Retry-After": "5"}
    )

    error = await _failure(REQUEST, _env(), url=http_server.url)

    assert error.non_retryable
    assert error.next_retry_delay is None


@pytest.mark.parametrize(
    ("retry_after", "delay"),
    [
        ("120", timedelta(seconds=120)),
        ("86400", timedelta(hours=1)),  # capped
        ("soon", None),
        ("Wed, 21 Oct 2015 07:28:00 GMT", None),  # in the past
    ],
)
async def test_retry_after_sets_the_next_retry_delay(
    http_server: RecordingServer, retry_after: str, delay: timedelta | None
) -> None:
    http_server.answer(status=503, body="", headers={"Retry-After": retry_after})

    error = await _failure(REQUEST, _env(), url=http_server.url)

    assert not error.non_retryable
    assert error.next_retry_delay == delay


async def test_retry_after_as_an_http_date(http_server: RecordingServer) -> None:
    when = datetime.now(UTC) + timedelta(minutes=10)
    http_server.answer(
        status=429, body="", headers={"Retry-After": format_datetime(when, usegmt=True)}
    )

    error = await _failure(REQUEST, _env(), url=http_server.url)

    assert error.next_retry_delay is not None
    assert timedelta(minutes=9) < error.next_retry_delay <= timedelta(minutes=10)


async def test_slow_answer_heartbeats_while_the_body_streams(http_server: RecordingServer) -> None:
    http_server.answer(
        body="x" * 4096, content_type="text/plain", chunk_size=1024, chunk_delay=0.05
    )
    env = _env()
    beats: list[tuple[Any, ...]] = []
    env.on_heartbeat = lambda *details: beats.append(details)

    result = await env.run(REQUEST, _request(url=http_server.url))

    assert len(result["body"]) == 4096
    received = [details[0] for details in beats]
    assert len(received) >= 4  # one per piece at least
    assert received == sorted(received)
    assert received[-1] == 4096


async def test_timeout_covers_a_body_that_streams_too_slowly(http_server: RecordingServer) -> None:
    http_server.answer(body="x" * 100, content_type="text/plain", chunk_size=10, chunk_delay=0.2)

    started = time.monotonic()
    error = await _failure(REQUEST, _env(), url=f"{http_server.url}/feed", timeout_seconds=0.5)

    assert time.monotonic() - started < 3
    assert not error.non_retryable
    assert error.message == f"{WHERE}: GET {http_server.url}/feed timed out after 0.5s"


async def test_long_json_body_is_cut_and_not_parsed(http_server: RecordingServer) -> None:
    http_server.answer(body='["' + "x" * 100_000 + '"]')

    result = await _env().run(REQUEST, _request(url=http_server.url))

    assert result["truncated"] is True
    assert len(result["body"]) == 64 * 1024
    assert result["json"] is None


@pytest.mark.parametrize(
    ("arguments", "problem"),
    [
        (
            {"method": "HEAD"},
            "argument 'method': Input should be 'GET', 'POST', 'PUT', 'PATCH' or 'DELETE'",
        ),
        (
            {"json": {"q": 1}},
            "argument '(all)': Value error, a GET request carries no JSON body: "
            "send values in 'query'",
        ),
        (
            {"bearer_token": "abc", "headers": {"authorization": "Basic eDp5"}},
            "argument '(all)': Value error, "
            "give either bearer_token or an Authorization header, not both",
        ),
        (
            {"bearer_token": "s3cr3t\nX-Evil: 1"},
            "argument 'bearer_token': Value error, "
            "bearer_token has a character that cannot be sent",
        ),
        (
            {"expect": []},
            "argument 'expect': List should have at least 1 item after validation, not 0",
        ),
        (
            {"expect": [200, 700]},
            "argument 'expect': Value error, 700 is not an HTTP status (100 to 599)",
        ),
        (
            {"headers": {"Idempotency-Key": "mine"}},
            "argument 'headers': Value error, "
            "Idempotency-Key is set by MOps Flow from the campaign and step",
        ),
    ],
)
async def test_request_invalid_arguments_fail_for_good(
    arguments: dict[str, Any], problem: str
) -> None:
    error = await _failure(REQUEST, _env(), url="http://example.com", **arguments)

    assert error.non_retryable
    assert error.type == "InvalidArguments"
    assert error.message == f"{WHERE}: {problem}"
    assert "s3cr3t" not in error.message


def test_request_signature_in_the_language_types() -> None:
    action = builtin_registry().get("http.request")
    assert action is not None
    signature = action.signature()

    params = {p.name: (p.type, p.required) for p in signature.params}
    assert params == {
        "method": ('one of "GET", "POST", "PUT", "PATCH", "DELETE"', False),
        "url": ("url", True),
        "query": ("record", False),
        "headers": ("record", False),
        "json": ("any", False),
        "bearer_token": ("secret", False),
        "timeout_seconds": ("number", False),
        "expect": ("list of number", False),
    }
    assert [(f.name, f.type) for f in signature.result] == [
        ("status", "number"),
        ("body", "text"),
        ("truncated", "bool"),
        ("json", "any"),
        ("headers", "record"),
    ]
