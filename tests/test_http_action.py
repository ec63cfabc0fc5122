"""``http.post`` against a real local HTTP server, run as a Temporal activity."""

from __future__ import annotations

import dataclasses
import socket
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest
from httpserver import RecordingServer, http_server
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from engine.contracts import TaskRequest
from workers import builtin_registry

__all__ = ["http_server"]  # the fixture, imported for pytest

WHERE = 'step "Publish" (blog.mops:12:3)'
Activity = Callable[[TaskRequest], Awaitable[dict[str, Any]]]


def _activity(name: str) -> Activity:
    registry = builtin_registry()
    return dict(zip(registry.names, registry.activities(), strict=True))[name]


POST = _activity("http.post")


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
    with pytest.raises(ApplicationError) as caught:
        await env.run(POST, _request(**arguments))
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
