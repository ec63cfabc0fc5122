"""Secrets are named in process files and never reach history, logs or error messages."""

from __future__ import annotations

import base64
import json
import logging
from pathlib import Path

import pytest
from httpserver import Answer, RecordingServer
from support import TRUST, compile_text, new_task_queue, start, worker_for
from temporalio.client import WorkflowFailureError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from workers import (
    WORKFLOWS,
    EgressConfig,
    SecretStore,
    WorkerConfig,
    build_worker,
    builtin_registry,
    workflow_runner,
)

TOKEN = "tok_live_9f8e7d6c5b4a"
PROCESS = """\
process sync "Sync the launch to the CMS"
  input hook: url
  task push "Push to the CMS" = http.post(
    url: hook,
    json: {title: "Launch"},
    headers: {authorization: secret("cms_token")},
  )
  output status = push.status
"""


def history_text(history_json: str) -> str:
    """Every string in a history, with every payload decoded: what an auditor could read."""
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("data"), str) and "metadata" in node:
                found.append(base64.b64decode(node["data"]).decode("utf-8", "replace"))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
        elif isinstance(node, str):
            found.append(node)

    walk(json.loads(history_json))
    return "\n".join(found)


async def run(env: WorkflowEnvironment, hook: str, send_to: str) -> tuple[object, str]:
    registry = builtin_registry()
    process = compile_text(PROCESS, registry)
    queue = new_task_queue()
    worker = build_worker(
        env.client,
        task_queue=queue,
        registry=registry,
        workflows=WORKFLOWS,
        workflow_runner=workflow_runner(isolate_interpreter=True),
        trust=TRUST,
        max_cached_workflows=0,
        # The CMS listens on loopback, which a worker reaches only when allowed.
        config=WorkerConfig(egress=EgressConfig(allow=("127.0.0.1",))),
        secrets=SecretStore(
            env={"MOPS_SECRET_CMS_TOKEN": TOKEN, "MOPS_SECRET_CMS_TOKEN_SEND_TO": send_to}
        ),
    )
    async with worker:
        handle = await start(env.client, process, {"hook": hook}, queue)
        try:
            outcome: object = await handle.result()
        except WorkflowFailureError as failure:
            outcome = failure
        history = history_text((await handle.fetch_history()).to_json())
    return outcome, history


async def test_the_action_gets_the_secret_and_history_never_has_it(
    time_env: WorkflowEnvironment, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with RecordingServer.running() as cms:
        outcome, history = await run(time_env, cms.url + "/posts", cms.url)
    assert outcome == {"outputs": {"status": 200}, "steps_done": 1}
    assert cms.requests[0].headers["authorization"] == TOKEN
    # The history holds the reference, by name, and never the value.
    assert '{"$secret":"cms_token"}' in history
    assert TOKEN not in history
    assert TOKEN not in caplog.text


async def test_an_error_that_quotes_the_secret_is_scrubbed(time_env: WorkflowEnvironment) -> None:
    with RecordingServer.running() as cms:
        cms.answer(Answer(status=401, body=f'{{"error": "bad token {TOKEN}"}}'))
        outcome, history = await run(time_env, cms.url + "/posts", cms.url)
    assert isinstance(outcome, WorkflowFailureError)
    assert isinstance(outcome.cause, ApplicationError)
    assert "401" in outcome.cause.message
    assert "(body not shown: the request carried a secret)" in outcome.cause.message
    assert TOKEN not in history


async def test_a_result_that_echoes_the_secret_is_refused(time_env: WorkflowEnvironment) -> None:
    with RecordingServer.running() as cms:
        cms.answer(Answer(status=200, body=f'{{"seen": "{TOKEN}"}}'))
        outcome, history = await run(time_env, cms.url + "/posts", cms.url)
    assert isinstance(outcome, WorkflowFailureError)
    assert isinstance(outcome.cause, ApplicationError)
    assert "returned a secret value in its result" in outcome.cause.message
    assert TOKEN not in history


async def test_a_missing_secret_fails_the_step_clearly(time_env: WorkflowEnvironment) -> None:
    registry = builtin_registry()
    process = compile_text(PROCESS, registry)
    queue = new_task_queue()
    worker = worker_for(time_env.client, registry, queue)
    with RecordingServer.running() as cms:
        async with worker:
            handle = await start(time_env.client, process, {"hook": cms.url}, queue)
            with pytest.raises(WorkflowFailureError) as caught:
                await handle.result()
    assert isinstance(caught.value.cause, ApplicationError)
    assert caught.value.cause.message.endswith(
        "failed: secret 'cms_token' is not configured on this worker: "
        "set MOPS_SECRET_CMS_TOKEN or add it to the secrets file"
    )
    assert cms.requests == []


def test_secrets_file_is_read_and_must_be_private(tmp_path: Path) -> None:
    file = tmp_path / "secrets.toml"
    file.write_text('cms_token = "from-file"\n')
    file.chmod(0o600)
    store = SecretStore(env={}, file=file)
    assert store.get("cms_token") == "from-file"
    assert store.names() == ["cms_token"]
    assert SecretStore(env={"MOPS_SECRET_CMS_TOKEN": "env"}, file=file).get("cms_token") == "env"
    file.chmod(0o644)
    from engine.errors import UserError

    with pytest.raises(UserError) as caught:
        SecretStore(env={}, file=file)
    assert caught.value.hint == f"chmod 600 {file}"
