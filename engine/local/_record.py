"""The record of the running embedded server (``server.json``), read without the SDK.

:class:`engine.client.EmbeddedServer` writes the record and manages the server;
what is here only tells whether the recorded server is alive and where it
listens, which is all a reader over the HTTP API needs.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
from pathlib import Path

HOST = "127.0.0.1"
"""The embedded server listens on this address only."""
RECORD_FILE = "server.json"


def accepts(port: int) -> bool:
    """Whether something accepts connections on ``port`` of :data:`HOST`."""
    try:
        with socket.create_connection((HOST, port), timeout=0.5):
            return True
    except OSError:
        return False


def is_alive(pid: int, db_file: Path) -> bool:
    """Whether ``pid`` is still the server of ``db_file``, not a dead one or a reused pid."""
    with contextlib.suppress(ChildProcessError):
        # Reap it if it is our own child: a zombie would pass the kill(0) test.
        if os.waitpid(pid, os.WNOHANG)[0]:
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return False  # someone else's process took over the pid
    cmdline = Path(f"/proc/{pid}/cmdline")
    if not Path("/proc/self").exists():
        return True  # no procfs (macOS): the pid is all we can check
    try:
        return str(db_file).encode() in cmdline.read_bytes().split(b"\0")
    except OSError:
        return False


def http_api_of_running_server(state_dir: Path) -> str | None:
    """``127.0.0.1:PORT`` of the HTTP API of the embedded server of ``state_dir``, when
    its record names one, its process is alive and its gRPC port accepts connections
    (as :meth:`engine.client.EmbeddedServer.status` requires); else None.

    A server started before its HTTP address was recorded has none: the caller then
    goes the way every other command goes.
    """
    try:
        record = json.loads((state_dir / RECORD_FILE).read_bytes())
        http = record["http_address"]
        pid, db_file, address = record["pid"], Path(record["db_file"]), record["address"]
        port = int(str(address).rpartition(":")[2])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not isinstance(http, str) or not isinstance(pid, int):
        return None
    if not is_alive(pid, db_file) or not accepts(port):
        return None
    return http
