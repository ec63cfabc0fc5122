"""Secrets bound to their destinations, attacked as a campaign runner would: point a
process that uses a worker's token at a listener of your own, and the worker
refuses to send it there — naming the host, never the value.

The listeners are real HTTP and SMTP servers on loopback, which the worker's
egress settings allow: what stops the token is its binding, not the egress policy.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from httpserver import RecordingServer, http_server
from smtpserver import PASSWORD, USER, smtp_server
from support import TRUST, compile_text, new_task_queue, start
from temporalio.client import WorkflowFailureError
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment
from test_secrets import history_text

from engine.contracts import SECRET_MARKER, TaskRequest
from engine.errors import UserError
from workers import (
    WORKFLOWS,
    Destination,
    EgressConfig,
    SecretStore,
    SmtpConfig,
    WorkerConfig,
    build_worker,
    builtin_registry,
    workflow_runner,
)

__all__ = ["http_server"]  # the fixture, imported for pytest

TOKEN = "tok_live_Zq8Xw3Lp0Rt6"
WHERE = 'step "Publish" (cms.mops:9:3)'
LOCAL = WorkerConfig(egress=EgressConfig(allow=("127.0.0.1",)))
Activity = Callable[[TaskRequest], Awaitable[dict[str, Any]]]


def _action(name: str, secrets: dict[str, str], config: WorkerConfig = LOCAL) -> Activity:
    registry = builtin_registry()
    activities = registry.activities(config=config, secrets=SecretStore(env=secrets))
    return dict(zip(registry.names, activities, strict=True))[name]


async def _refused(activity: Activity, **arguments: Any) -> ApplicationError:
    env = ActivityEnvironment()
    env.info = dataclasses.replace(env.info, workflow_id="c-1", activity_id="publish.1")
    request = TaskRequest(
        step="publish", title="Publish", source="cms.mops:9:3", arguments=arguments
    )
    with pytest.raises(ApplicationError) as caught:
        await env.run(activity, request)
    error = caught.value
    assert error.type == "SecretNotAllowed"
    assert error.non_retryable
    assert TOKEN not in str(error)
    return error


def _bound(to: str) -> dict[str, str]:
    return {"MOPS_SECRET_CMS_TOKEN": TOKEN, "MOPS_SECRET_CMS_TOKEN_SEND_TO": to}


async def test_a_bearer_token_is_not_sent_to_a_host_it_is_not_bound_to(
    http_server: RecordingServer,
) -> None:
    request = _action("http.request", _bound("https://cms.acme.example/api"))

    error = await _refused(
        request, url=f"{http_server.url}/collect", bearer_token={SECRET_MARKER: "cms_token"}
    )

    assert http_server.requests == []
    assert error.message == (
        f"{WHERE}: secret 'cms_token' may not be sent to http://127.0.0.1:{http_server.port}"
        "/collect: it is bound to https://cms.acme.example/api"
    )


async def test_a_secret_in_a_json_body_or_header_is_held_to_its_binding(
    http_server: RecordingServer,
) -> None:
    post = _action("http.post", _bound("https://cms.acme.example"))

    await _refused(post, url=http_server.url, json={"token": {SECRET_MARKER: "cms_token"}})
    await _refused(post, url=http_server.url, headers={"X-Key": {SECRET_MARKER: "cms_token"}})

    assert http_server.requests == []


async def test_an_unbound_secret_goes_nowhere_and_the_message_says_how_to_bind_it(
    http_server: RecordingServer,
) -> None:
    request = _action("http.request", {"MOPS_SECRET_CMS_TOKEN": TOKEN})

    error = await _refused(request, url=http_server.url, bearer_token={SECRET_MARKER: "cms_token"})

    assert http_server.requests == []
    assert error.message == (
        f"{WHERE}: secret 'cms_token' is not bound to any destination, so this worker sends "
        f"it nowhere (refused: http://127.0.0.1:{http_server.port}/): bind it with "
        'MOPS_SECRET_CMS_TOKEN_SEND_TO="http://127.0.0.1" or send_to = [...] in its entry '
        "of the secrets file"
    )


@pytest.mark.parametrize(
    ("path", "sent"),
    [
        ("/api", True),
        ("/api/v2/posts", True),
        ("/apix", False),
        ("/api/../admin", False),  # the URL parser removes the dots: /admin
        ("/api/%2e%2e/admin", False),  # a server may decode them
        ("/admin", False),
    ],
)
async def test_a_path_prefix_ends_at_a_slash_and_dot_segments_match_nothing(
    http_server: RecordingServer, path: str, sent: bool
) -> None:
    request = _action("http.request", _bound(f"{http_server.url}/api/"))
    arguments = {"url": http_server.url + path, "bearer_token": {SECRET_MARKER: "cms_token"}}

    if sent:
        env = ActivityEnvironment()
        await env.run(
            request, TaskRequest(step="p", title="Publish", source="x:1:1", arguments=arguments)
        )
        assert len(http_server.requests) == 1
    else:
        await _refused(request, **arguments)
        assert http_server.requests == []


async def test_scheme_and_port_are_part_of_the_binding(http_server: RecordingServer) -> None:
    # Bound to https on the standard port: neither plain http nor another port.
    https_only = _action("http.request", _bound("https://127.0.0.1"))
    other_port = _action("http.request", _bound("http://127.0.0.1:1"))

    for activity in (https_only, other_port):
        await _refused(activity, url=http_server.url, bearer_token={SECRET_MARKER: "cms_token"})

    assert http_server.requests == []


async def test_a_webhook_signing_secret_signs_only_for_its_subscribers(
    http_server: RecordingServer,
) -> None:
    # Signed deliveries sent elsewhere could be replayed to the real subscriber.
    secrets = {
        "MOPS_SECRET_CMS_TOKEN": TOKEN,
        "MOPS_SECRET_CMS_TOKEN_SEND_TO": "https://hooks.partner.example",
    }
    config = WorkerConfig(webhook_secret="cms_token", egress=EgressConfig(allow=("127.0.0.1",)))

    await _refused(_action("webhook.post", secrets, config), url=http_server.url, event="go")

    assert http_server.requests == []


async def test_the_smtp_password_goes_only_to_its_mail_server() -> None:
    with smtp_server(auth=True) as mailbox:
        smtp = SmtpConfig(
            host="127.0.0.1", port=mailbox.port, username=USER, password_secret="smtp_password"
        )
        config = WorkerConfig(smtp=smtp, egress=EgressConfig(allow=("127.0.0.1",)))
        secrets = {
            "MOPS_SECRET_SMTP_PASSWORD": PASSWORD,
            "MOPS_SECRET_SMTP_PASSWORD_SEND_TO": "smtp://mail.acme.example",
        }

        error = await _refused(
            _action("email.send", secrets, config), to=["jane@acme.com"], subject="Hi", body="."
        )

    assert error.message == (
        f"{WHERE}: secret 'smtp_password' may not be sent to smtp://127.0.0.1:{mailbox.port}/: "
        "it is bound to smtp://mail.acme.example"
    )
    assert mailbox.logins == [] and mailbox.received == []
    assert PASSWORD not in error.message


async def test_a_chat_webhook_url_secret_is_held_to_its_binding_without_showing_its_path(
    tmp_path: Path, http_server: RecordingServer
) -> None:
    team = tmp_path / "team.toml"
    team.write_text(
        '[roles]\neditor = "Edits"\n\n[people.ben]\nname = "Ben"\nemail = "ben@acme.com"\n'
        'roles = ["editor"]\nnotify = "webhook"\nwebhook_secret = "chat_ben"\n'
    )
    secrets = {
        "MOPS_SECRET_CHAT_BEN": f"{http_server.url}/services/T0/B0/Xy9secretpart",
        "MOPS_SECRET_CHAT_BEN_SEND_TO": "https://hooks.slack.com/services",
    }
    config = WorkerConfig(directory_file=team, egress=EgressConfig(allow=("127.0.0.1",)))

    error = await _refused(_action("notify.send", secrets, config), to=["role:editor"], message=".")

    assert error.message == (
        f"{WHERE}: secret 'chat_ben' may not be sent to http://127.0.0.1:{http_server.port}: "
        "it is bound to https://hooks.slack.com/services"
    )
    assert http_server.requests == []


# ---- the secrets file and the environment -----------------------------------


def _file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "secrets.toml"
    path.write_text(text)
    path.chmod(0o600)
    return path


def test_the_secrets_file_binds_each_secret(tmp_path: Path) -> None:
    path = _file(
        tmp_path,
        '[cms_token]\nvalue = "v1"\nsend_to = ["https://cms.acme.example/api", "https://*.cdn.example"]\n'
        '[secrets.crm_token]\nvalue = "v2"\nsend_to = ["https://crm.acme.example:8443"]\n',
    )
    # A file with a [secrets] table reads only that table; without one, the top level.
    nested = SecretStore(env={}, file=path)
    assert nested.names() == ["crm_token"]
    assert [str(d) for d in nested.destinations("crm_token")] == ["https://crm.acme.example:8443"]

    top = SecretStore(
        env={},
        file=_file(
            tmp_path, '[cms_token]\nvalue = "v1"\nsend_to = ["https://cms.acme.example/api/"]\n'
        ),
    )
    assert top.get("cms_token") == "v1"
    assert top.destinations("cms_token") == (
        Destination(scheme="https", host="cms.acme.example", port=None, path="/api"),
    )


def test_an_old_secrets_file_still_loads_and_warns_that_its_secrets_are_unbound(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = _file(tmp_path, 'cms_token = "v1"\ncrm_token = "v2"\n')

    with caplog.at_level(logging.WARNING, logger="mops.worker"):
        store = SecretStore(env={}, file=path)

    assert store.get("cms_token") == "v1"
    assert store.destinations("cms_token") == ()
    assert caplog.messages == [
        f"secrets file {path}: cms_token, crm_token bound to no destination, so no connector "
        'sends them anywhere; write each as [name] value = "..." send_to = ["https://host/path"] '
        "(see docs/security.md)"
    ]
    assert "v1" not in caplog.text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[cms_token]\nvalue = "hunter2"\nsend_to = ["ftp://cms.acme.example"]\n',
            "cms_token.send_to: 'ftp://cms.acme.example' must start with http://, https:// or smtp://",
        ),
        (
            '[cms_token]\nvalue = "hunter2"\nsend_to = ["https://u:p@cms.acme.example"]\n',
            "must not have a user, a query or a fragment",
        ),
        (
            '[cms_token]\nvalue = "hunter2"\nsend_too = ["https://cms.acme.example"]\n',
            "each secret is text or a table with value",
        ),
        ('[cms_token]\nsend_to = ["https://cms.acme.example"]\n', "not so for: cms_token"),
    ],
)
def test_a_malformed_binding_stops_the_worker_naming_it_never_the_value(
    tmp_path: Path, text: str, message: str
) -> None:
    with pytest.raises(UserError) as caught:
        SecretStore(env={}, file=_file(tmp_path, text))
    assert message in str(caught.value)
    assert "hunter2" not in str(caught.value)


def test_environment_bindings_are_checked_and_are_not_secrets() -> None:
    store = SecretStore(
        env={
            "MOPS_SECRET_CMS_TOKEN": TOKEN,
            "MOPS_SECRET_CMS_TOKEN_SEND_TO": "https://a.example, https://b.example/v2",
        }
    )
    assert store.names() == ["cms_token"]
    assert [str(d) for d in store.destinations("cms_token")] == [
        "https://a.example",
        "https://b.example/v2",
    ]
    with pytest.raises(UserError) as caught:
        SecretStore(env={"MOPS_SECRET_CMS_TOKEN_SEND_TO": "cms.acme.example"})
    assert str(caught.value).startswith(
        "MOPS_SECRET_CMS_TOKEN_SEND_TO: 'cms.acme.example' must start with http://"
    )


# ---- a whole campaign, as in the issue: -i cms_url=<a listener of mine> -----

PROCESS = """\
process sync "Sync the launch to the CMS"
  input cms_url: url
  task push "Push to the CMS" = http.request(
    method: "POST",
    url: cms_url,
    json: {title: "Launch"},
    bearer_token: secret("cms_token"),
  )
  output status = push.status
"""


async def test_a_campaign_pointed_at_a_listener_fails_and_the_token_never_leaves(
    time_env: WorkflowEnvironment,
) -> None:
    registry = builtin_registry()
    queue = new_task_queue()
    worker = build_worker(
        time_env.client,
        task_queue=queue,
        registry=registry,
        workflows=WORKFLOWS,
        workflow_runner=workflow_runner(isolate_interpreter=True),
        trust=TRUST,
        max_cached_workflows=0,
        config=LOCAL,
        secrets=SecretStore(env=_bound("https://cms.acme.example/api")),
    )
    with RecordingServer.running() as listener:
        async with worker:
            process = compile_text(PROCESS, registry)
            handle = await start(time_env.client, process, {"cms_url": listener.url}, queue)
            with pytest.raises(WorkflowFailureError) as caught:
                await handle.result()
            history = history_text((await handle.fetch_history()).to_json())

    assert listener.requests == []
    cause = caught.value.cause
    assert isinstance(cause, ApplicationError)
    assert (
        f"secret 'cms_token' may not be sent to http://127.0.0.1:{listener.port}/" in cause.message
    )
    assert TOKEN not in history
