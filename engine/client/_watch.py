"""A long-lived process of the embedded default keeps the embedded server up.

``mops worker`` with no cluster configured runs this beside its worker: when the
server's process has died (a crash, ``kill -9``), it starts the server again on
the same ports (:meth:`EmbeddedServer.ensure_running_async` keeps them), and the
worker's connection, which retries with back-off, finds it there. A server
stopped on purpose (``mops server stop`` removes its record) is left stopped.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from engine.client._server import EmbeddedServer
from engine.client._settings import Settings
from engine.errors import UserError

WATCH_EVERY = 2.0
"""Seconds between two looks at the server's process."""


async def keep_embedded_server(
    settings: Settings, *, say: Callable[[str], None], every: float = WATCH_EVERY
) -> None:
    """Restart the embedded server whenever its process dies; runs until cancelled."""
    server = EmbeddedServer(settings)
    while True:
        await asyncio.sleep(every)
        if not await asyncio.to_thread(server.has_died):
            continue
        say("the embedded Temporal server has stopped; starting it again")
        try:
            info = await server.ensure_running_async()
        except UserError as error:  # ServerUnreachable too: try again at the next look
            say(f"the embedded Temporal server did not start: {error}")
            continue
        say(f"the embedded Temporal server runs again at {info.address}")
