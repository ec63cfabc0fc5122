"""Connecting to the configured Temporal cluster or the embedded server, and signing.

What talks to Temporal or signs for the local operator lives here, apart from
:mod:`mops.cli._common`, so that the commands that only read files stay light.
"""

from __future__ import annotations

import os

from temporalio.client import Client

from engine.client import (
    ConnectionInfo,
    Credentials,
    Settings,
    connect,
    load_trust,
    local_operator,
    operator,
    trust_path,
)
from engine.contracts import Trust
from mops.cli._common import who_am_i


async def connected(settings: Settings | None = None) -> tuple[Client, ConnectionInfo, Settings]:
    """A client for the configured cluster or the embedded server (started if needed)."""
    settings = settings or Settings.from_env()
    client, info = await connect(settings)
    return client, info, settings


def credentials(settings: Settings) -> Credentials:
    """The local operator, signing with their key (made on first use, with the trust file
    that names it: docs/security.md)."""
    user = who_am_i()
    return operator(local_operator(settings.state_dir, user), user)


def trust(settings: Settings) -> Trust:
    """The keys the campaigns of this installation's workers accept seals from."""
    path = trust_path(settings.state_dir)
    if not os.environ.get("MOPS_TRUST_FILE"):
        local_operator(settings.state_dir, who_am_i())  # the one-machine default: made here
    return load_trust(path)
