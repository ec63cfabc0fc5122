"""The analytics store is brought up to date incrementally, on the embedded server.

A refresh with nothing new closed only counts the recent window and lists the
running campaigns (listing costs the server about a millisecond a campaign);
a campaign closed since, or one that shows up late in visibility, is still
taken in.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from mops_cli import Mops
from support import TRUST, compile_text, new_task_queue, start
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import UnsandboxedWorkflowRunner
from waiting import eventually

from engine.audit import selected_campaigns, selection_query
from engine.insights import Store, refresh
from workers import WORKFLOWS, build_worker, builtin_registry

pytestmark = pytest.mark.e2e

PROCESS = """\
process tiny "A process that decides and ends"
  input budget: number = 5
  decide tier
    when budget > 10 -> "big"
    otherwise -> "small"
"""


async def test_a_refresh_with_nothing_new_lists_no_closed_campaign(
    mops: Mops, tmp_path: Path
) -> None:
    assert mops("server", "start").returncode == 0
    client = await Client.connect(mops.address(), data_converter=pydantic_data_converter)
    queue = new_task_queue()
    clauses = selection_query(task_queue=queue)
    process = compile_text(PROCESS, name="tiny.mops")
    store = Store(tmp_path / "insights.sqlite3")

    async def closed(count: int) -> None:
        async def visible() -> None:
            assert len(await selected_campaigns(client, clauses)) == count

        await eventually(visible)

    async with build_worker(
        client,
        task_queue=queue,
        registry=builtin_registry(),
        workflows=WORKFLOWS,
        workflow_runner=UnsandboxedWorkflowRunner(),
        trust=TRUST,
    ):
        for _ in range(3):
            await (await start(client, process, {}, queue)).result()
        await closed(3)
        first = await refresh(client, store, clauses)
        assert (first.taken_in, first.listed) == (3, 3)

        again = await refresh(client, store, clauses)
        assert (again.taken_in, again.listed) == (0, 0)

        await (await start(client, process, {"budget": 20}, queue)).result()
        await closed(4)
        later = await refresh(client, store, clauses)
        assert later.taken_in == 1
        assert store.count() == 4

        # One of them had not shown up in visibility yet when the window was counted:
        # the count differs, so the window is listed again and the late one taken in.
        window, counted = store.checked or pytest.fail("the window was not marked")
        late = store.load()[0].campaign
        with store.db:
            store.db.execute("delete from campaigns where id = ?", (late,))
        store.mark_checked(window, counted - 1)
        caught = await refresh(client, store, clauses)
        assert caught.taken_in == 1
        assert late in store.known()
    store.close()
