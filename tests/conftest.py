"""Shared fixtures: Temporal test servers (never mocked) and the ``mops`` command."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from mops_cli import mops
from support import time_skipping_server_path
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

__all__ = ["mops", "time_env"]


@pytest.fixture(scope="session")
async def time_env() -> AsyncIterator[WorkflowEnvironment]:
    """One time-skipping Temporal test server for the session."""
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter,
        test_server_existing_path=time_skipping_server_path(),
    )
    try:
        yield env
    finally:
        await env.shutdown()
