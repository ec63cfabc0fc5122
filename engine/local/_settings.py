"""MOps Flow's own settings of the local installation, read from the environment.

Read here, with the standard library only, so that a command that needs no more
(``mops status`` on the embedded server) validates them exactly as every other
command does; :class:`engine.client.Settings` is made from the same reading.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple

from engine.errors import UserError

DEFAULT_TASK_QUEUE = "mops"


class LocalSettings(NamedTuple):
    """Where the state lives, which task queue, which gRPC port the embedded server prefers."""

    state_dir: Path
    task_queue: str
    server_port: int


def local_settings(env: Mapping[str, str] | None = None) -> LocalSettings:
    """``MOPS_HOME`` (else ``$XDG_STATE_HOME/mops``, else ``~/.local/state/mops``),
    ``MOPS_TASK_QUEUE`` and ``MOPS_SERVER_PORT``.

    Raises:
        UserError: the port is not a port number, or the task queue is empty.
    """
    env = os.environ if env is None else env
    port = env.get("MOPS_SERVER_PORT", "7233")
    if not port.isdigit() or int(port) > 65535:
        raise UserError(f"MOPS_SERVER_PORT='{port}' is not a port number (0 to 65535)")
    queue = env.get("MOPS_TASK_QUEUE", DEFAULT_TASK_QUEUE)
    if not queue.strip():
        raise UserError("MOPS_TASK_QUEUE is empty")
    return LocalSettings(_state_dir(env), queue, int(port))


def _state_dir(env: Mapping[str, str]) -> Path:
    if home := env.get("MOPS_HOME"):
        return Path(home).expanduser()
    base = env.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base).expanduser() / "mops"
