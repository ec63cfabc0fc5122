"""The egress policy, attacked as a process author would: every built-in connector
refuses loopback, private, link-local, metadata and other non-public addresses —
also behind a host name, also inside IPv6 — unless the worker's settings allow
them, and connects to the very address it checked.

Every server here is real and listens on loopback; the names that resolve
to chosen addresses come from a stand-in resolver (no DNS server is needed).
"""

from __future__ import annotations

import dataclasses
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from httpserver import RecordingServer, http_server
from pydantic import ValidationError
from smtpserver import Mailbox, smtp_server
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from engine.contracts import TaskRequest
from workers import EgressConfig, SecretStore, SmtpConfig, WorkerConfig, builtin_registry
from workers import settings_problem as problem_of
from workers._egress import refusal

__all__ = ["http_server"]  # the fixture, imported for pytest

WHERE = 'step "Call the API" (api.mops:4:3)'
Activity = Callable[[TaskRequest], Awaitable[dict[str, Any]]]


def _action(name: str, config: WorkerConfig, secrets: SecretStore | None = None) -> Activity:
    registry = builtin_registry()
    activities = registry.activities(config=config, secrets=secrets or SecretStore(env={}))
    return dict(zip(registry.names, activities, strict=True))[name]


def _run(activity: Activity, **arguments: Any) -> Awaitable[Any]:
    env = ActivityEnvironment()
    env.info = dataclasses.replace(env.info, workflow_id="c-1", activity_id="call.1")
    request = TaskRequest(
        step="call", title="Call the API", source="api.mops:4:3", arguments=arguments
    )
    return env.run(activity, request)


async def _refused(activity: Activity, **arguments: Any) -> ApplicationError:
    with pytest.raises(ApplicationError) as caught:
        await _run(activity, **arguments)
    error = caught.value
    assert error.type == "EgressRefused"
    assert error.non_retryable
    assert "\n" not in error.message and "Traceback" not in error.message
    return error


@pytest.fixture
def lookups() -> list[str]:
    """Every name the stand-in resolver was asked for, in order."""
    return []


@pytest.fixture
def names(monkeypatch: pytest.MonkeyPatch, lookups: list[str]) -> dict[str, list[list[str]]]:
    """Host names under ``.test`` that resolve to chosen addresses, one answer per lookup
    (the last answer repeats): what an attacker's DNS server can make them do."""
    answers: dict[str, list[list[str]]] = {}
    real = socket.getaddrinfo

    def resolve(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else str(host)
        lookups.append(name)
        if name not in answers:
            return real(host, port, *args, **kwargs)
        queue = answers[name]
        addresses = queue.pop(0) if len(queue) > 1 else queue[0]
        return [
            (
                socket.AF_INET6 if ":" in a else socket.AF_INET,
                socket.SOCK_STREAM,
                6,
                "",
                (a, int(port or 0), 0, 0) if ":" in a else (a, int(port or 0)),
            )
            for a in addresses
        ]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    return answers


# ---- what is refused, by kind -----------------------------------------------


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "a loopback address"),
        ("127.9.9.9", "a loopback address"),
        ("::1", "a loopback address"),
        ("10.1.2.3", "a private address"),
        ("172.16.0.1", "a private address"),
        ("192.168.1.1", "a private address"),
        ("fd12:3456::1", "a private (unique local) address"),
        ("169.254.1.1", "a link-local address"),
        ("fe80::1", "a link-local address"),
        ("169.254.169.254", "a cloud metadata address"),
        ("169.254.170.2", "a cloud metadata address"),
        ("100.100.100.200", "a cloud metadata address"),
        ("fd00:ec2::254", "a cloud metadata address"),
        ("100.64.0.1", "a carrier-grade NAT address"),
        ("224.0.0.251", "a multicast address"),
        ("ff02::1", "a multicast address"),
        ("0.0.0.0", "an unspecified address"),
        ("::", "an unspecified address"),
        ("192.0.2.10", "a reserved or non-public address"),
        ("240.0.0.1", "a reserved or non-public address"),
    ],
)
def test_each_non_public_range_is_refused_by_default(address: str, kind: str) -> None:
    assert refusal(address, ipaddress.ip_address(address), EgressConfig()) == f"{address} is {kind}"


@pytest.mark.parametrize(
    ("address", "inner", "kind"),
    [
        ("::ffff:127.0.0.1", "127.0.0.1", "a loopback address"),  # IPv4-mapped
        ("::ffff:169.254.169.254", "169.254.169.254", "a cloud metadata address"),
        ("::127.0.0.1", "127.0.0.1", "a loopback address"),  # IPv4-compatible
        ("64:ff9b::10.0.0.1", "10.0.0.1", "a private address"),  # NAT64
        ("2002:c0a8:0101::1", "192.168.1.1", "a private address"),  # 6to4
    ],
)
def test_ipv4_inside_ipv6_is_judged_as_the_ipv4_address(
    address: str, inner: str, kind: str
) -> None:
    ip = ipaddress.ip_address(address)
    assert refusal(address, ip, EgressConfig()) == f"{ip} (IPv4 {inner} inside IPv6) is {kind}"


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:4700::1111", "::ffff:93.184.216.34"])
def test_public_addresses_pass(address: str) -> None:
    assert refusal(address, ipaddress.ip_address(address), EgressConfig()) is None


def test_the_allow_list_takes_addresses_networks_and_names() -> None:
    policy = EgressConfig(allow=("127.0.0.1", "10.20.0.0/16", "crm.corp.test", "*.intra.test"))
    loopback, inside, outside = (
        ipaddress.ip_address(a) for a in ("127.0.0.1", "10.20.3.4", "10.21.0.1")
    )

    assert refusal("127.0.0.1", loopback, policy) is None
    assert refusal("::ffff:127.0.0.1", ipaddress.ip_address("::ffff:127.0.0.1"), policy) is None
    assert refusal("10.20.3.4", inside, policy) is None
    assert refusal("10.21.0.1", outside, policy) == "10.21.0.1 is a private address"
    assert refusal("crm.corp.test", outside, policy) is None
    assert refusal("cms.intra.test", outside, policy) is None
    assert refusal("intra.test", outside, policy) is not None  # '*.' is below, not the name itself


def test_a_name_never_unlocks_a_metadata_address() -> None:
    metadata = ipaddress.ip_address("169.254.169.254")
    assert refusal("meta.test", metadata, EgressConfig(allow=("meta.test",))) == (
        "meta.test resolves to 169.254.169.254, a cloud metadata address"
    )
    assert refusal("meta.test", metadata, EgressConfig(allow=("169.254.169.254",))) is None


def test_an_invalid_allow_entry_names_the_setting() -> None:
    with pytest.raises(ValidationError) as caught:
        WorkerConfig.from_env({"MOPS_EGRESS_ALLOW": "127.0.0.1, crm_host!"})
    assert problem_of(caught.value) == (
        "MOPS_EGRESS_ALLOW='127.0.0.1, crm_host!': Value error, "
        "'crm_host!' is neither an address, a network (10.0.0.0/8) nor a host name"
    )
    allowed = WorkerConfig.from_env({"MOPS_EGRESS_ALLOW": "127.0.0.1, 10.0.0.0/8 *.corp.test"})
    assert allowed.egress.allow == ("127.0.0.1", "10.0.0.0/8", "*.corp.test")


# ---- the HTTP connectors, against a real server on loopback -------------------


@pytest.mark.parametrize("host", ["127.0.0.1", "[::ffff:127.0.0.1]", "2130706433", "localhost"])
async def test_http_to_loopback_is_refused_and_nothing_is_sent(
    http_server: RecordingServer, host: str
) -> None:
    port = http_server.port
    post = _action("http.post", WorkerConfig())

    error = await _refused(post, url=f"http://{host}:{port}/admin/resume", json={"all": True})

    assert http_server.requests == []
    assert error.message.startswith(f"{WHERE}: POST http://")  # as the URL parser wrote it
    assert f":{port}/admin/resume refused: " in error.message
    assert "a loopback address; a worker reaches it only when its settings allow it" in (
        error.message
    )
    # The hint names what to allow: IPv4 for IPv4 inside IPv6, or the name.
    assert error.message.endswith("e.g. MOPS_EGRESS_ALLOW=127.0.0.1") or error.message.endswith(
        "e.g. MOPS_EGRESS_ALLOW=127.0.0.1 or MOPS_EGRESS_ALLOW=localhost"
    )


async def test_the_cloud_metadata_service_is_refused_before_any_connection() -> None:
    request = _action("http.request", WorkerConfig())

    error = await _refused(request, url="http://169.254.169.254/latest/meta-data/iam/")

    assert error.message == (
        f"{WHERE}: GET http://169.254.169.254/latest/meta-data/iam/ refused: "
        "169.254.169.254 is a cloud metadata address; a worker reaches it only when its "
        "settings allow it, e.g. MOPS_EGRESS_ALLOW=169.254.169.254"
    )


async def test_a_name_is_judged_by_the_addresses_it_resolves_to(
    http_server: RecordingServer, names: dict[str, list[list[str]]]
) -> None:
    port = http_server.port
    # One public address is not enough: every address the name has must pass.
    names["api.partner.test"] = [["93.184.216.34", "127.0.0.1"]]

    error = await _refused(
        _action("http.request", WorkerConfig()), url=f"http://api.partner.test:{port}/"
    )

    assert "api.partner.test resolves to 127.0.0.1, a loopback address" in error.message
    assert "MOPS_EGRESS_ALLOW=127.0.0.1 or MOPS_EGRESS_ALLOW=api.partner.test" in error.message
    assert http_server.requests == []


async def test_the_connection_goes_to_the_address_that_was_checked(
    names: dict[str, list[list[str]]], lookups: list[str]
) -> None:
    # DNS rebinding: the name answers an allowed address to the check, then an
    # internal one. Only 127.0.0.1 is allowed; an internal service listens on
    # 127.0.0.3 at the same port.
    config = WorkerConfig(egress=EgressConfig(allow=("127.0.0.1",)))
    with RecordingServer.running() as allowed, _listener("127.0.0.3", allowed.port) as internal:
        names["rebind.test"] = [["127.0.0.1"], ["127.0.0.3"]]
        result = await _run(_action("http.post", config), url=f"http://rebind.test:{allowed.port}/")
        assert lookups.count("rebind.test") == 1  # nothing looked the name up again
        assert result["status"] == 200

        names["rebind.test"] = [["127.0.0.3"]]
        error = await _refused(
            _action("http.post", config), url=f"http://rebind.test:{allowed.port}/"
        )

        assert "rebind.test resolves to 127.0.0.3, a loopback address" in error.message
        assert len(allowed.requests) == 1
        with pytest.raises(BlockingIOError):  # nobody ever connected to it
            internal.accept()


@contextmanager
def _listener(host: str, port: int) -> Iterator[socket.socket]:
    """A TCP port that accepts no one but shows whether anyone connected."""
    with socket.socket() as listening:
        listening.bind((host, port))
        listening.listen()
        listening.setblocking(False)
        yield listening


async def test_an_allow_list_entry_lets_the_worker_reach_a_local_service(
    http_server: RecordingServer,
) -> None:
    config = WorkerConfig(egress=EgressConfig(allow=("127.0.0.0/8",)))

    result = await _run(_action("http.post", config), url=f"{http_server.url}/hook")

    assert result["status"] == 200
    assert len(http_server.requests) == 1


async def test_webhook_post_is_refused_too(http_server: RecordingServer) -> None:
    secrets = SecretStore(
        env={"MOPS_SECRET_HOOK": "whsec_x1y2z3", "MOPS_SECRET_HOOK_SEND_TO": http_server.url}
    )
    webhook = _action("webhook.post", WorkerConfig(), secrets)

    await _refused(webhook, url=http_server.url, event="go", secret={"$secret": "hook"})

    assert http_server.requests == []


async def test_a_proxy_in_the_environment_is_not_used(
    http_server: RecordingServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Through a proxy the worker could not know where a request goes.
    monkeypatch.setenv("HTTP_PROXY", http_server.url)
    monkeypatch.setenv("ALL_PROXY", http_server.url)
    config = WorkerConfig(egress=EgressConfig(allow=("127.0.0.1",)))

    await _refused(_action("http.post", config), url="http://169.254.169.254/")

    assert http_server.requests == []


# ---- SMTP and notifications ----------------------------------------------------


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    with smtp_server() as server:
        yield server


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
async def test_smtp_to_a_loopback_server_is_refused_unless_allowed(
    mailbox: Mailbox, host: str
) -> None:
    smtp = SmtpConfig(host=host, port=mailbox.port)
    send = _action("email.send", WorkerConfig(smtp=smtp))

    error = await _refused(send, to=["jane@acme.com"], subject="Launch", body="Go.")

    assert error.message.startswith(f"{WHERE}: SMTP server {host}:{mailbox.port} refused: ")
    assert mailbox.received == []
    allowed = WorkerConfig(smtp=smtp, egress=EgressConfig(allow=("127.0.0.1", "::1")))
    await _run(_action("email.send", allowed), to=["jane@acme.com"], subject="Go", body="Go.")
    assert len(mailbox.received) == 1


async def test_a_chat_webhook_on_a_private_address_is_refused(
    tmp_path: Path, mailbox: Mailbox, http_server: RecordingServer
) -> None:
    team = tmp_path / "team.toml"
    team.write_text(
        '[roles]\neditor = "Edits"\n\n[people.ben]\nname = "Ben"\nemail = "ben@acme.com"\n'
        'roles = ["editor"]\nnotify = "webhook"\nwebhook_secret = "chat_ben"\n'
    )
    secrets = SecretStore(
        env={
            "MOPS_SECRET_CHAT_BEN": f"{http_server.url}/hooks/T0/B0/xoxb",
            "MOPS_SECRET_CHAT_BEN_SEND_TO": http_server.url,
        }
    )
    config = WorkerConfig(smtp=SmtpConfig(port=mailbox.port), directory_file=team)

    error = await _refused(
        _action("notify.send", config, secrets), to=["role:editor"], message="Hi"
    )

    assert error.message.startswith(f"{WHERE}: the chat webhook refused: 127.0.0.1 is a loopback")
    assert "xoxb" not in error.message
    assert http_server.requests == []
