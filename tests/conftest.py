"""Shared fixtures: Temporal test servers (never mocked) and the ``mops`` command."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import pytest
from mops_cli import mops
from support import LAUNCHED, time_skipping_server_path
from temporalio.client import WorkflowExecutionStatus
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

__all__ = ["end_what_a_test_left_running", "mops", "time_env"]


@pytest.fixture(scope="module")
async def time_env() -> AsyncIterator[WorkflowEnvironment]:
    """One time-skipping Temporal test server per test module. Shared by a module's
    tests only: a campaign task that one test leaves in flight stops the server's
    clock from skipping, and the damage then ends with the module that caused it
    instead of hanging an unrelated test that happens to run later (which with
    parallel test processes is a different one every run)."""
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter,
        test_server_existing_path=time_skipping_server_path(),
    )
    try:
        yield env
    finally:
        await env.shutdown()


@pytest.fixture(autouse=True)
async def end_what_a_test_left_running(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    """Terminate the campaigns a test left running on the shared time-skipping server.
    Left there, a campaign's deadline or reminder fires later with no worker to take its
    task, which holds the server's clock back for every later test. (Terminating does
    not give back a task already in flight: ``support.worker_for`` lets the campaigns
    settle before their worker stops.)"""
    yield
    if "time_env" not in request.fixturenames:
        LAUNCHED.clear()
        return
    env: WorkflowEnvironment = request.getfixturevalue("time_env")
    while LAUNCHED:
        handle = env.client.get_workflow_handle(LAUNCHED.pop())
        with contextlib.suppress(RPCError):
            if (await handle.describe()).status == WorkflowExecutionStatus.RUNNING:
                await handle.terminate("test over")
