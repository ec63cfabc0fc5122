"""``webhook.post``: signed event deliveries a subscriber can verify, the same on every attempt.

The subscriber is a real local HTTP server; it checks each delivery with the
recipe documented in :mod:`workers.builtins.webhook`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from httpserver import RecordedRequest, RecordingServer, http_server
from support import TRUST, compile_text, new_task_queue, start
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment

from engine.contracts import SECRET_MARKER, TaskRequest
from workers import (
    WORKFLOWS,
    EgressConfig,
    SecretStore,
    WorkerConfig,
    build_worker,
    builtin_registry,
    workflow_runner,
)

__all__ = ["http_server"]  # the fixture, imported for pytest

WHERE = 'step "Tell subscribers" (launch.mops:8:3)'
SECRET = "whsec_7Hq2LmZx9PdK"
DEFAULT_SECRET = "whsec_default_Rt5Wc"
KEY = "launch-2025-q3/notify.1"
SCHEDULED = datetime(2025, 9, 1, 9, 30, tzinfo=UTC)
EVENT = {"campaign": "Q3 launch", "channels": ["blog", "email"], "budget": 1200.5}
Activity = Callable[[TaskRequest], Awaitable[dict[str, Any]]]


def verify_signature(
    secret: str, headers: Mapping[str, str], body: bytes, *, tolerance: int = 300
) -> bool:
    """What a subscriber does with a delivery, as the module docstring tells it to."""
    timestamp = headers["x-mops-timestamp"]
    signed = timestamp.encode() + b"." + body
    expected = "v1=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return (
        hmac.compare_digest(expected, headers["x-mops-signature"])
        and abs(time.time() - int(timestamp)) <= tolerance
    )


# The subscriber listens on loopback, which a worker reaches only when allowed.
LOCAL = EgressConfig(allow=("127.0.0.1",))


def _webhook(
    *, webhook_secret: str | None = None, send_to: str = "https://hooks.acme.example"
) -> Activity:
    """The action as the worker runs it; both signing secrets are bound to ``send_to``."""
    registry = builtin_registry()
    activities = registry.activities(
        config=WorkerConfig(webhook_secret=webhook_secret, egress=LOCAL),
        secrets=SecretStore(
            env={
                "MOPS_SECRET_HOOK_SECRET": SECRET,
                "MOPS_SECRET_HOOK_SECRET_SEND_TO": send_to,
                "MOPS_SECRET_DEFAULT_HOOKS": DEFAULT_SECRET,
                "MOPS_SECRET_DEFAULT_HOOKS_SEND_TO": send_to,
            }
        ),
    )
    return dict(zip(registry.names, activities, strict=True))["webhook.post"]


WEBHOOK = _webhook()


@pytest.fixture
def webhook(http_server: RecordingServer) -> Activity:
    """The action with its signing secrets bound to the test's subscriber."""
    return _webhook(send_to=http_server.url)


def _env(*, attempt: int = 1) -> ActivityEnvironment:
    # Temporal keeps scheduled_time across attempts; each attempt has its own start.
    later = SCHEDULED + timedelta(seconds=attempt - 1)
    env = ActivityEnvironment()
    env.info = dataclasses.replace(
        env.info,
        workflow_id="launch-2025-q3",
        activity_id="notify.1",
        attempt=attempt,
        scheduled_time=SCHEDULED,
        current_attempt_scheduled_time=later,
        started_time=later,
    )
    return env


def _request(**arguments: Any) -> TaskRequest:
    return TaskRequest(
        step="notify", title="Tell subscribers", source="launch.mops:8:3", arguments=arguments
    )


def _arguments(url: str, **more: Any) -> dict[str, Any]:
    return {
        "url": url,
        "event": "campaign.launched",
        "data": EVENT,
        "secret": {SECRET_MARKER: "hook_secret"},
        **more,
    }


async def _failure(activity: Activity, **arguments: Any) -> ApplicationError:
    with pytest.raises(ApplicationError) as caught:
        await _env().run(activity, _request(**arguments))
    return caught.value


def _tampered(request: RecordedRequest) -> bytes:
    return request.body.replace(b"Q3 launch", b"Q4 launch")


async def test_delivers_a_signed_event_the_subscriber_can_verify(
    http_server: RecordingServer,
    webhook: Activity,
) -> None:
    result = await _env().run(webhook, _request(**_arguments(f"{http_server.url}/hooks/mops")))

    assert result == {"status": 200, "delivery_id": KEY}
    [delivery] = http_server.requests
    assert delivery.method == "POST"
    assert delivery.path == "/hooks/mops"
    assert delivery.json == {
        "id": KEY,
        "event": "campaign.launched",
        "created": "2025-09-01T09:30:00Z",
        "data": EVENT,
    }
    # Compact, keys sorted: the bytes a subscriber hashes are canonical.
    assert (
        delivery.body == json.dumps(delivery.json, separators=(",", ":"), sort_keys=True).encode()
    )
    assert delivery.headers["content-type"] == "application/json"
    assert delivery.headers["idempotency-key"] == KEY
    assert delivery.headers["x-mops-event"] == "campaign.launched"
    assert delivery.headers["user-agent"].startswith("mops-flow/")
    assert abs(int(delivery.headers["x-mops-timestamp"]) - time.time()) < 5
    assert verify_signature(SECRET, delivery.headers, delivery.body)


async def test_a_tampered_or_stale_delivery_fails_verification(
    http_server: RecordingServer,
    webhook: Activity,
) -> None:
    await _env().run(webhook, _request(**_arguments(http_server.url)))
    [delivery] = http_server.requests

    assert not verify_signature(SECRET, delivery.headers, _tampered(delivery))
    assert not verify_signature("whsec_wrong", delivery.headers, delivery.body)
    stale = int(delivery.headers["x-mops-timestamp"]) - 3600
    replayed = {**delivery.headers, "x-mops-timestamp": str(stale)}
    assert not verify_signature(SECRET, replayed, delivery.body)


async def test_a_retried_attempt_sends_the_same_body_and_key_signed_again(
    http_server: RecordingServer,
    webhook: Activity,
) -> None:
    http_server.answer_next(status=503, body="busy", content_type="text/plain")
    with pytest.raises(ApplicationError) as caught:
        await _env(attempt=1).run(webhook, _request(**_arguments(http_server.url)))
    assert not caught.value.non_retryable

    result = await _env(attempt=2).run(webhook, _request(**_arguments(http_server.url)))

    first, second = http_server.requests
    assert first.body == second.body
    assert http_server.by_idempotency_key == {KEY: 2}
    assert len(http_server.applied) == 1  # an idempotent subscriber acts once
    assert all(verify_signature(SECRET, r.headers, r.body) for r in (first, second))
    assert result == {"status": 200, "delivery_id": KEY}


async def test_the_worker_default_secret_signs_when_the_step_names_none(
    http_server: RecordingServer,
) -> None:
    webhook = _webhook(webhook_secret="default_hooks", send_to=http_server.url)
    arguments = _arguments(http_server.url)
    del arguments["secret"]

    await _env().run(webhook, _request(**arguments))

    [delivery] = http_server.requests
    assert verify_signature(DEFAULT_SECRET, delivery.headers, delivery.body)


async def test_no_secret_at_all_fails_for_good_saying_how_to_configure_one(
    http_server: RecordingServer,
    webhook: Activity,
) -> None:
    arguments = _arguments(http_server.url)
    del arguments["secret"]

    error = await _failure(webhook, **arguments)

    assert error.non_retryable
    assert error.message == (
        f'{WHERE}: webhook.post has no signing secret: pass secret: secret("<name>") in the '
        "step, or set MOPS_WEBHOOK_SECRET on the worker to the name of a secret it holds "
        "(value in MOPS_SECRET_<NAME> or in the secrets file)"
    )
    assert http_server.requests == []


async def test_a_default_secret_the_worker_lacks_fails_for_good(
    http_server: RecordingServer,
) -> None:
    arguments = _arguments(http_server.url)
    del arguments["secret"]

    error = await _failure(
        _webhook(webhook_secret="partner_hooks", send_to=http_server.url), **arguments
    )

    assert error.non_retryable
    assert error.type == "SecretMissing"
    assert error.message == (
        f"{WHERE}: secret 'partner_hooks' is not configured on this worker: "
        "set MOPS_SECRET_PARTNER_HOOKS or add it to the secrets file"
    )
    assert http_server.requests == []


async def test_the_secret_never_appears_in_errors(
    http_server: RecordingServer, webhook: Activity
) -> None:
    # A subscriber that quotes its configuration back when it refuses a delivery.
    http_server.answer(status=400, body=f"expected secret {SECRET}", content_type="text/plain")

    error = await _failure(webhook, **_arguments(http_server.url))

    assert error.non_retryable
    assert error.message == (
        f"{WHERE}: POST {http_server.url}/ answered 400 Bad Request: "
        "(body not shown: the request carried a secret)"
    )
    assert SECRET not in str(error)
    assert SECRET.encode() not in http_server.requests[0].body


@pytest.mark.parametrize(
    ("status", "headers", "retryable", "delay"),
    [
        (503, {"Retry-After": "30"}, True, timedelta(seconds=30)),
        (429, {}, True, None),
        (410, {}, False, None),
        (302, {"Location": "https://elsewhere.example/hook"}, False, None),
    ],
)
async def test_failures_are_classified_as_for_http_request(
    http_server: RecordingServer,
    webhook: Activity,
    status: int,
    headers: dict[str, str],
    retryable: bool,
    delay: timedelta | None,
) -> None:
    http_server.answer(status=status, body="", headers=headers)

    error = await _failure(webhook, **_arguments(http_server.url))

    assert error.non_retryable is not retryable
    assert error.next_retry_delay == delay


@pytest.mark.parametrize(
    ("arguments", "problem"),
    [
        ({"event": ""}, "argument 'event': String should match pattern"),
        ({"event": "campaign launched"}, "argument 'event': String should match pattern"),
        ({"timeout_seconds": 0}, "argument 'timeout_seconds': Input should be greater than 0"),
    ],
)
async def test_invalid_arguments_fail_for_good(arguments: dict[str, Any], problem: str) -> None:
    error = await _failure(WEBHOOK, **_arguments("http://example.com", **arguments))

    assert error.type == "InvalidArguments"
    assert error.message.startswith(f"{WHERE}: {problem}")


def test_signature_in_the_language_types() -> None:
    action = builtin_registry().get("webhook.post")
    assert action is not None
    signature = action.signature()

    assert {p.name: (p.type, p.required) for p in signature.params} == {
        "url": ("url", True),
        "event": ("text", True),
        "data": ("any", False),
        "secret": ("secret", False),
        "timeout_seconds": ("number", False),
    }
    assert [(f.name, f.type) for f in signature.result] == [
        ("status", "number"),
        ("delivery_id", "text"),
    ]


PROCESS = """\
process announce "Announce the launch to subscribers"
  input hook: url
  task notify "Tell subscribers" = webhook.post(
    url: hook,
    event: "campaign.launched",
    data: {campaign: "Q3 launch", channels: ["blog", "email"]},
    secret: secret("hook_secret"),
  )
    retry 3 times
  output status = notify.status
  output delivery = notify.delivery_id
"""


async def test_temporal_retries_deliver_identical_bytes(time_env: WorkflowEnvironment) -> None:
    # Temporal itself, not a stand-in: scheduled_time must hold across its retries.
    registry = builtin_registry()
    queue = new_task_queue()
    with RecordingServer.running() as subscriber:
        worker = build_worker(
            time_env.client,
            task_queue=queue,
            registry=registry,
            workflows=WORKFLOWS,
            workflow_runner=workflow_runner(isolate_interpreter=True),
            trust=TRUST,
            max_cached_workflows=0,
            config=WorkerConfig(egress=LOCAL),
            secrets=SecretStore(
                env={
                    "MOPS_SECRET_HOOK_SECRET": SECRET,
                    "MOPS_SECRET_HOOK_SECRET_SEND_TO": subscriber.url,
                }
            ),
        )
        subscriber.answer_next(status=500, body="restarting", content_type="text/plain")
        async with worker:
            process = compile_text(PROCESS, registry)
            handle = await start(time_env.client, process, {"hook": subscriber.url}, queue)
            outcome = await handle.result()
            history = await handle.fetch_history()

    first, second = subscriber.requests
    assert first.body == second.body
    assert first.headers["idempotency-key"] == second.headers["idempotency-key"]
    assert all(verify_signature(SECRET, r.headers, r.body) for r in (first, second))
    delivery = first.json
    assert outcome == {
        "outputs": {"status": 200, "delivery": delivery["id"]},
        "steps_done": 1,
    }
    [scheduled] = [
        e.event_time.ToDatetime(UTC)
        for e in history.events
        if e.HasField("activity_task_scheduled_event_attributes")
    ]
    assert delivery["created"] == scheduled.strftime("%Y-%m-%dT%H:%M:%SZ")
