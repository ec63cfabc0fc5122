"""Connecting to the configured Temporal cluster or the embedded server."""

from __future__ import annotations

from temporalio.client import Client

from engine.client import ConnectionInfo, Settings, connect


async def connected(settings: Settings | None = None) -> tuple[Client, ConnectionInfo, Settings]:
    """A client for the configured cluster or the embedded server (started if needed)."""
    settings = settings or Settings.from_env()
    client, info = await connect(settings)
    return client, info, settings
