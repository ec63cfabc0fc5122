"""A long-lived process of the embedded default keeps the embedded server up.

``mops worker`` with no cluster configured runs this beside its worker: when the
server's process has died (a crash, ``kill -9``), it starts the server again on
the same ports (:meth:`EmbeddedServer.ensure_running_async` keeps them), and the
worker's connection, which retries with back-off, finds it there. When the old
port was taken meanwhile (by another program, or by an outgoing connection that
the kernel gave that port), the server comes back on another one, restarted by
us or by a ``mops server start``; the watcher then hands the worker a connection
to the new address. A server stopped on purpose (``mops server stop`` removes its
record) is left stopped.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from engine.client._server import EmbeddedServer, ServerInfo
from engine.client._settings import Settings
from engine.errors import UserError

WATCH_EVERY = 2.0
"""Seconds between two looks at the server's process."""


async def keep_embedded_server(
    settings: Settings,
    *,
    say: Callable[[str], None],
    every: float = WATCH_EVERY,
    address: str | None = None,
    moved: Callable[[ServerInfo], Awaitable[None]] | None = None,
) -> None:
    """Restart the embedded server whenever its process dies; runs until cancelled.

    Args:
        settings: whose embedded server to keep.
        say: prints a line for the person running the worker.
        every: seconds between two looks.
        address: the address the caller's connection uses now.
        moved: called with the server's record when it runs at another address than
            the caller's connection; the caller connects there (a failure is said
            and tried again at the next look).
    """
    server = EmbeddedServer(settings)
    while True:
        await asyncio.sleep(every)
        if await asyncio.to_thread(server.has_died):
            say("the embedded Temporal server has stopped; starting it again")
            try:
                info: ServerInfo | None = await server.ensure_running_async()
            except UserError as error:  # ServerUnreachable too: try again at the next look
                say(f"the embedded Temporal server did not start: {error}")
                continue
            assert info is not None
            say(f"the embedded Temporal server runs again at {info.address}")
        else:
            info = await asyncio.to_thread(server.recorded)
        if info is None or moved is None or info.address == address:
            continue
        try:
            await moved(info)
        except UserError as error:
            say(f"cannot connect to the embedded Temporal server at {info.address}: {error}")
            continue
        say(f"connected to the embedded Temporal server at its new address {info.address}")
        address = info.address
