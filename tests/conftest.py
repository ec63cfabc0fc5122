"""Shared fixtures: Temporal test servers (never mocked) and the ``mops`` command."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator

import pytest
from mops_cli import mops
from support import LAUNCHED, time_skipping_server_path
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

__all__ = ["forget_launched", "mops", "time_env"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Each parallel test process starts on its share of the end-to-end tests.

    ``dev.py test`` runs pytest-xdist's ``worksteal`` schedule: each of the N processes
    is handed one N-th of the tests, in order, and a process that runs out takes half
    of the longest queue's tail. So the order is N shares, each its N-th of the
    end-to-end tests (the long ones) followed by its N-th of the others; files stay
    together within a share, and what is taken from a tail is short.
    """
    count = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    e2e = [item for item in items if item.get_closest_marker("e2e") is not None]
    others = [item for item in items if item.get_closest_marker("e2e") is None]
    items[:] = [
        each for k in range(count) for each in (*_share(e2e, k, count), *_share(others, k, count))
    ]


def _share(items: list[pytest.Item], k: int, count: int) -> list[pytest.Item]:
    """The ``k``-th of ``count`` consecutive, nearly equal shares of ``items``."""
    return items[k * len(items) // count : (k + 1) * len(items) // count]


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
