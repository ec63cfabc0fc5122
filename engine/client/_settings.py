"""Settings of the local installation, validated once.

Connection settings for Temporal are not here: they come from the standard
Temporal client configuration (``TEMPORAL_ADDRESS``, ``TEMPORAL_NAMESPACE``,
``TEMPORAL_API_KEY``, TLS settings and config profiles), read by
:mod:`engine.client._connection`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from engine.errors import UserError

DEFAULT_TASK_QUEUE = "mops"


def _default_state_dir(env: Mapping[str, str]) -> Path:
    if home := env.get("MOPS_HOME"):
        return Path(home).expanduser()
    base = env.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base).expanduser() / "mops"


class Settings(BaseModel):
    """Where MOps Flow keeps its state and which task queue it uses."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    state_dir: Path
    """Per-user state: the embedded server's SQLite file, its log and pid file."""
    task_queue: str = DEFAULT_TASK_QUEUE
    server_port: int = Field(default=7233, ge=0, le=65535)
    """Preferred gRPC port of the embedded server; a free one is used if taken."""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Settings from ``MOPS_HOME``, ``MOPS_TASK_QUEUE`` and ``MOPS_SERVER_PORT``."""
        env = os.environ if env is None else env
        port = env.get("MOPS_SERVER_PORT", "7233")
        if not port.isdigit() or int(port) > 65535:
            raise UserError(f"MOPS_SERVER_PORT='{port}' is not a port number (0 to 65535)")
        queue = env.get("MOPS_TASK_QUEUE", DEFAULT_TASK_QUEUE)
        if not queue.strip():
            raise UserError("MOPS_TASK_QUEUE is empty")
        return cls(state_dir=_default_state_dir(env), task_queue=queue, server_port=int(port))
