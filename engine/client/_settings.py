"""Settings of the local installation, validated once.

Connection settings for Temporal are not here: they come from the standard
Temporal client configuration (``TEMPORAL_ADDRESS``, ``TEMPORAL_NAMESPACE``,
``TEMPORAL_API_KEY``, TLS settings and config profiles), read by
:mod:`engine.client._connection`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from engine.local import DEFAULT_TASK_QUEUE, local_settings


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
        return cls(**local_settings(env)._asdict())
