"""Shared fixtures: Temporal test servers (never mocked) and the ``mops`` command."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from mops_cli import mops
from support import LAUNCHED, time_skipping_server_path
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

__all__ = ["forget_launched", "mops", "time_env"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """End-to-end tests first (the order is kept within each group): they are the
    long ones, so the parallel processes start on them and the run does not end on
    one process finishing a long test while the others sit idle."""
    items.sort(key=lambda item: item.get_closest_marker("e2e") is None)


@pytest.fixture
async def time_env() -> AsyncIterator[WorkflowEnvironment]:
    """A time-skipping Temporal test server of the test's own (it starts in about a
    tenth of a second). Shared, one test's campaign task left in flight when its
    worker stopped held the server's clock for the tests after it, which then waited
    out their timeout: a different test each run once tests ran in parallel."""
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter,
        test_server_existing_path=time_skipping_server_path(),
    )
    try:
        yield env
    finally:
        await env.shutdown()


@pytest.fixture(autouse=True)
def forget_launched() -> Iterator[None]:
    """Each test starts with no campaign recorded as launched (``support.worker_for``
    lets those settle before its worker stops); the test's server ends with it."""
    LAUNCHED.clear()
    yield
    LAUNCHED.clear()
