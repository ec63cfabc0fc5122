"""The embedded Temporal server and how ``mops`` connects to Temporal.

Everything here runs the real ``temporal`` CLI; nothing of Temporal is mocked.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.request
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import pytest
from google.protobuf.duration_pb2 import Duration
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest
from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest, RegisterNamespaceRequest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from waiting import eventually

from engine.client import (
    EmbeddedServer,
    ServerInfo,
    Settings,
    connect,
    ensure_search_attributes,
    find_temporal_cli,
)
from engine.errors import ServerUnreachable, UserError
from engine.workflow import attributes as search_attributes

T = TypeVar("T")


def _settings(state_dir: Path, port: int = 0) -> Settings:
    return Settings(state_dir=state_dir, server_port=port)


def _no_config(tmp_path: Path, **env: str) -> dict[str, str]:
    """An environment that ignores the developer's own Temporal config file."""
    return {"TEMPORAL_CONFIG_FILE": str(tmp_path / "absent.toml"), **env}


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/cmdline").read_bytes() != b""  # a zombie has none


def _kill_hard(pid: int) -> None:
    """kill -9 a server this test process started, and reap it so no zombie remains."""
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)


@pytest.fixture(scope="module")
def running(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[EmbeddedServer, ServerInfo]]:
    """One embedded server shared by the read-only tests of this module."""
    server = EmbeddedServer(_settings(tmp_path_factory.mktemp("mops-state")))
    try:
        yield server, server.ensure_running()
    finally:
        server.stop()


@pytest.mark.e2e
def test_status_names_the_server_and_its_ui_answers(
    running: tuple[EmbeddedServer, ServerInfo],
) -> None:
    server, started = running
    status = server.status()
    assert status == started
    assert status.address.startswith("127.0.0.1:")
    assert status.db_file == server.state_dir / "temporal.db"
    assert status.db_file.exists()
    assert json.loads((server.state_dir / "server.json").read_text())["pid"] == status.pid
    with urllib.request.urlopen(status.ui_url, timeout=10) as response:
        assert response.status == 200


@pytest.mark.e2e
def test_second_start_reuses_the_running_server(
    running: tuple[EmbeddedServer, ServerInfo],
) -> None:
    server, started = running
    again = EmbeddedServer(_settings(server.state_dir)).ensure_running()
    assert (again.pid, again.address) == (started.pid, started.address)


@pytest.mark.e2e
async def test_search_attributes_are_registered_at_start(
    running: tuple[EmbeddedServer, ServerInfo],
) -> None:
    _, started = running
    client = await Client.connect(started.address)
    listed = await client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace="default")
    )
    registered = {
        name: IndexedValueType.Name(kind).removeprefix("INDEXED_VALUE_TYPE_")
        for name, kind in listed.custom_attributes.items()
    }
    # "KeywordList" is registered as KEYWORD_LIST.
    assert {name: registered.get(name) for name in search_attributes.ALL} == {
        name: re.sub(r"(?<!^)(?=[A-Z])", "_", kind).upper()
        for name, kind in search_attributes.ALL.items()
    }


@pytest.mark.e2e
async def test_missing_search_attributes_are_added_once(
    running: tuple[EmbeddedServer, ServerInfo],
) -> None:
    _, started = running
    client = await Client.connect(started.address)
    namespace = f"mops-{uuid.uuid4().hex[:8]}"
    await client.workflow_service.register_namespace(
        RegisterNamespaceRequest(
            namespace=namespace, workflow_execution_retention_period=Duration(seconds=86400)
        )
    )
    # A new namespace reaches the frontend's cache only after a moment.
    added = await eventually(lambda: ensure_search_attributes(client, namespace))
    assert sorted(added) == sorted(search_attributes.ALL)
    assert await ensure_search_attributes(client, namespace) == []


@pytest.mark.e2e
async def test_connect_without_address_uses_the_embedded_server(
    running: tuple[EmbeddedServer, ServerInfo], tmp_path: Path
) -> None:
    server, started = running
    settings = _settings(server.state_dir)
    client, info = await connect(settings, env=_no_config(tmp_path))
    assert (info.address, info.namespace, info.embedded) == (started.address, "default", True)
    assert info.ui_url == started.ui_url
    assert client.data_converter is pydantic_data_converter


@pytest.mark.e2e
async def test_api_key_for_a_cluster_is_not_sent_to_the_embedded_server(
    running: tuple[EmbeddedServer, ServerInfo], tmp_path: Path
) -> None:
    server, started = running
    env = _no_config(tmp_path, TEMPORAL_API_KEY="meant-for-the-cloud")
    _, info = await connect(_settings(server.state_dir), env=env)
    assert (info.address, info.embedded) == (started.address, True)


@pytest.mark.e2e
async def test_connect_to_an_unknown_namespace_says_so(
    running: tuple[EmbeddedServer, ServerInfo], tmp_path: Path
) -> None:
    server, _ = running
    env = _no_config(tmp_path, TEMPORAL_NAMESPACE="no-such-namespace")
    with pytest.raises(ServerUnreachable) as caught:
        await connect(_settings(server.state_dir), env=env)
    assert "namespace no-such-namespace does not exist" in str(caught.value)


@pytest.mark.e2e
def test_stop_ends_the_server_and_keeps_the_campaign_database(tmp_path: Path) -> None:
    server = EmbeddedServer(_settings(tmp_path / "state"))
    try:
        info = server.ensure_running()
    finally:
        stopped = server.stop()
    assert stopped
    assert server.status() is None
    assert not _pid_alive(info.pid)
    assert not (tmp_path / "state" / "server.json").exists()
    assert info.db_file.exists()
    assert server.stop() is False


@pytest.mark.e2e
def test_concurrent_starts_share_one_server(tmp_path: Path) -> None:
    servers = [EmbeddedServer(_settings(tmp_path / "state")) for _ in range(3)]
    try:
        with ThreadPoolExecutor(len(servers)) as pool:
            started = list(pool.map(lambda server: server.ensure_running(), servers))
    finally:
        servers[0].stop()
    assert len({info.pid for info in started}) == 1


@pytest.mark.e2e
def test_taken_preferred_port_falls_back_to_a_free_one(tmp_path: Path) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = int(squatter.getsockname()[1])
        server = EmbeddedServer(_settings(tmp_path / "state", port=taken))
        try:
            info = server.ensure_running()
        finally:
            server.stop()
    assert info.port != taken


@pytest.mark.e2e
def test_server_that_dies_at_start_reports_its_log(tmp_path: Path) -> None:
    state = tmp_path / "state"
    (state / "temporal.db").mkdir(parents=True)  # SQLite cannot open a directory
    server = EmbeddedServer(_settings(state))
    with pytest.raises(ServerUnreachable) as caught:
        server.ensure_running(timeout=30)
    assert "exited during start-up" in caught.value.message
    assert caught.value.message.endswith(", 3 times")
    assert f"last lines of {state / 'server.log'}" in (caught.value.hint or "")
    assert server.status() is None
    log = (state / "server.log").read_text()
    assert "starting it again in 1 s (attempt 2 of 3)" in log
    assert "starting it again in 1 s (attempt 3 of 3)" in log


@pytest.mark.e2e
def test_server_that_exits_at_start_is_started_again(tmp_path: Path) -> None:
    state = tmp_path / "state"
    db_file = state / "temporal.db"
    db_file.mkdir(parents=True)  # the first start fails: SQLite cannot open a directory
    log_file = state / "server.log"

    def clear_the_way() -> None:
        # Once mops says it will start the server again, the database can be opened.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if log_file.exists() and "starting it again" in log_file.read_text():
                db_file.rmdir()
                return
            time.sleep(0.01)

    server = EmbeddedServer(_settings(state))
    with ThreadPoolExecutor(1) as pool:
        cleared = pool.submit(clear_the_way)
        try:
            info = server.ensure_running()
            status = server.status()
        finally:
            server.stop()
        cleared.result()
    assert status == info
    assert db_file.is_file()
    log = log_file.read_text()
    assert "the embedded Temporal server exited during start-up (exit code" in log
    assert "starting it again in 1 s (attempt 2 of 3)" in log


@pytest.mark.e2e
async def test_killed_server_restarts_on_the_same_database(tmp_path: Path) -> None:
    server = EmbeddedServer(_settings(tmp_path / "state"))
    try:
        first = await server.ensure_running_async()
        client = await Client.connect(first.address)
        await client.workflow_service.register_namespace(
            RegisterNamespaceRequest(
                namespace="survivor", workflow_execution_retention_period=Duration(seconds=86400)
            )
        )
        _kill_hard(first.pid)
        assert server.status() is None
        second = await server.ensure_running_async()
        client = await Client.connect(second.address)
        described = await client.workflow_service.describe_namespace(
            DescribeNamespaceRequest(namespace="survivor")
        )
    finally:
        server.stop()
    assert second.pid != first.pid
    assert described.namespace_info.name == "survivor"


def _start_server_without_attributes(port: int, db_file: Path) -> subprocess.Popen[bytes]:
    """What an older MOps Flow may have left running."""
    return subprocess.Popen(
        [
            *(str(find_temporal_cli()), "server", "start-dev", "--headless"),
            *("--ip", "127.0.0.1", "--port", str(port)),
            *("--db-filename", str(db_file), "--log-level", "error"),
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        start_new_session=True,
    )


@pytest.mark.e2e
async def test_server_started_without_our_attributes_gets_them_on_reuse(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    port = _closed_port()
    db_file = state / "temporal.db"
    older = _start_server_without_attributes(port, db_file)
    server = EmbeddedServer(_settings(state))
    try:
        record = ServerInfo(
            address=f"127.0.0.1:{port}",
            ui_url="http://127.0.0.1:1",
            pid=older.pid,
            db_file=db_file,
            log_file=state / "server.log",
            started_at=datetime.now(UTC),
        )
        (state / "server.json").write_text(record.model_dump_json())
        await eventually(lambda: Client.connect(record.address), exceptions=(RuntimeError,))
        reused = await server.ensure_running_async()
        client = await Client.connect(reused.address)
        listed = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace="default")
        )
    finally:
        server.stop()
        older.wait(timeout=10)
    assert reused.pid == older.pid
    assert set(search_attributes.ALL) <= set(listed.custom_attributes)


def test_stale_record_of_a_dead_server_is_removed(tmp_path: Path) -> None:
    dead = subprocess.Popen(["true"])
    dead.wait()
    record = ServerInfo(
        address=f"127.0.0.1:{_closed_port()}",
        ui_url="http://127.0.0.1:1",
        pid=dead.pid,
        db_file=tmp_path / "temporal.db",
        log_file=tmp_path / "server.log",
        started_at=datetime(2025, 1, 1, tzinfo=UTC),
    )
    (tmp_path / "server.json").write_text(record.model_dump_json())
    assert EmbeddedServer(_settings(tmp_path)).status() is None
    assert not (tmp_path / "server.json").exists()


def test_status_without_state_is_none(tmp_path: Path) -> None:
    server = EmbeddedServer(_settings(tmp_path / "never-created"))
    assert server.status() is None
    assert server.stop() is False
    assert not (tmp_path / "never-created").exists()


async def test_closed_port_is_unreachable_quickly(tmp_path: Path) -> None:
    address = f"127.0.0.1:{_closed_port()}"
    started = time.monotonic()
    with pytest.raises(ServerUnreachable) as caught:
        await connect(_settings(tmp_path), env=_no_config(tmp_path, TEMPORAL_ADDRESS=address))
    assert time.monotonic() - started < 5
    assert caught.value.message == f"cannot reach Temporal at {address}: connection refused"
    assert "TEMPORAL_ADDRESS" in (caught.value.hint or "")
    assert not (tmp_path / "server.json").exists()  # no embedded server as a fallback


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("not a host::", "not a valid address"),
        ("http://127.0.0.1:7233", "without a scheme"),
    ],
)
async def test_malformed_address_is_unreachable(tmp_path: Path, address: str, reason: str) -> None:
    with pytest.raises(ServerUnreachable) as caught:
        await connect(_settings(tmp_path), env=_no_config(tmp_path, TEMPORAL_ADDRESS=address))
    assert caught.value.message.startswith(f"cannot reach Temporal at {address}: ")
    assert reason in caught.value.message
    assert "\n" not in caught.value.message


async def test_unreadable_config_file_is_reported_in_one_line(tmp_path: Path) -> None:
    config = tmp_path / "temporal.toml"
    config.write_text("[[[not toml\n")
    with pytest.raises(ServerUnreachable) as caught:
        await connect(_settings(tmp_path), env={"TEMPORAL_CONFIG_FILE": str(config)})
    assert caught.value.message.startswith("cannot read the Temporal client configuration: ")
    assert "\n" not in caught.value.message


async def test_without_start_nothing_running_is_unreachable(tmp_path: Path) -> None:
    with pytest.raises(ServerUnreachable) as caught:
        await connect(_settings(tmp_path), start_embedded=False, env=_no_config(tmp_path))
    assert caught.value.message == "the embedded Temporal server is not running"
    assert not (tmp_path / "server.json").exists()


def test_cli_is_found_beside_python() -> None:
    assert find_temporal_cli().parent == Path(sys.executable).parent


def test_missing_cli_is_a_user_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sysconfig, "get_path", lambda name: str(tmp_path))
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(UserError) as caught:
        find_temporal_cli()
    assert "reinstall" in (caught.value.hint or "")
