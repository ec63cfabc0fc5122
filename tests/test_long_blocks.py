"""Long campaigns continue as new inside blocks too: a branch of an ``if``, the items
of a ``for each`` (one at a time or several at once), the rest of an ``exit when``.

Each campaign here has a small history bound, so it continues as new many times in
the middle of its blocks. What a user would notice if that went wrong: an item
touched twice or skipped, a name defined in an item lost, a branch decided again,
an exit event that no longer ends the block. Workers replay every workflow task
from the start (``cached=0``) unless said otherwise.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from support import (
    LOGGED,
    act,
    compile_text,
    messages,
    new_task_queue,
    recorded_log,
    registry_replacing,
    signal,
    start,
    worker_for,
)
from temporalio.testing import WorkflowEnvironment
from waiting import outgrow_the_bound, wait_for
from waiting import status as status_of

from dsl import Catalogue
from engine.compiler import compile_file
from engine.errors import UserError
from engine.workflow.campaign import (
    EVENT_SIGNAL,
    ExternalEvent,
)
from engine.workflow.team import Member, TeamSnapshot
from engine.workflow.work_items import Act

NURTURE = """\
process nurture "Nurture a list of leads"
  input leads: list of email
  input warm: bool = true
  if not warm
    task cold "Cold list" = log.info(message: "cold")
  else
    for each lead in leads
      set greeting = "hi {lead}"
      task touch "Touch the lead" = log.info(message: greeting)
      wait 1 day
      task again "Touch again" = log.info(message: "{greeting} again")
  task done "Done" = log.info(message: "all {len(leads)} leads")
  output count = len(leads)
"""


async def test_a_long_loop_inside_a_branch_continues_as_new_item_by_item(
    time_env: WorkflowEnvironment,
) -> None:
    registry = registry_replacing(recorded_log)
    process = compile_text(NURTURE, registry)
    leads = [f"lead{n}@acme.example" for n in range(24)]
    queue = new_task_queue()
    LOGGED.clear()
    async with worker_for(time_env.client, registry, queue):
        handle = await start(time_env.client, process, {"leads": leads}, queue, history_limit=60)
        result = await handle.result()
        status = await status_of(handle)
        history = await handle.fetch_history()
    # Every lead touched exactly once, in order, and each item's own name survived
    # the continue-as-new that fell between its two touches.
    expected = [m for lead in leads for m in (f"hi {lead}", f"hi {lead} again")]
    assert messages() == [*expected, "all 24 leads"]
    assert len({key for _m, key in LOGGED}) == len(LOGGED)
    assert result["outputs"] == {"count": 24}
    assert status.generation >= 4
    # The last run's history stays near its bound, however many leads there are.
    assert len(history.events) < 120


BLAST = """\
process blast "Announce in every region"
  input regions: list of text
  for each region in regions, 3 at a time
    task announce "Announce" = log.info(message: "announce {region}")
    wait 2 hours
    task confirm "Confirm" = log.info(message: "confirmed {region}")
  task done "Done" = log.info(message: "all regions")
"""


async def test_a_loop_running_several_items_at_once_holds_back_and_continues_as_new(
    time_env: WorkflowEnvironment,
) -> None:
    registry = registry_replacing(recorded_log)
    process = compile_text(BLAST, registry)
    regions = [f"r{n}" for n in range(20)]
    queue = new_task_queue()
    LOGGED.clear()
    async with worker_for(time_env.client, registry, queue):
        handle = await start(
            time_env.client, process, {"regions": regions}, queue, history_limit=80
        )
        await handle.result()
        status = await status_of(handle)
    # Each region announced and confirmed once; the campaign renewed between items.
    announced = sorted(m for m in messages() if m.startswith("announce"))
    confirmed = sorted(m for m in messages() if m.startswith("confirmed"))
    assert announced == sorted(f"announce {r}" for r in regions)
    assert confirmed == sorted(f"confirmed {r}" for r in regions)
    assert messages()[-1] == "all regions"
    assert len({key for _m, key in LOGGED}) == len(LOGGED)
    assert status.generation >= 2


DRIP = """\
process weekly "Weekly touches until the lead unsubscribes"
  input lead: email
  exit when event "lead.unsubscribed" key lead
  set touches = 0
  task touch "Weekly touch" = log.info(message: "touch {touches}")
  set touches = touches + 1
  wait 7 days
  go back to touch, at most 500 times
  task never "Never reached" = log.info(message: "the end")
"""


async def test_the_rest_of_an_exit_when_continues_as_new_and_still_hears_the_exit(
    time_env: WorkflowEnvironment,
) -> None:
    registry = registry_replacing(recorded_log)
    process = compile_text(DRIP, registry)
    queue = new_task_queue()
    LOGGED.clear()
    async with worker_for(time_env.client, registry, queue, cached=100):
        handle = await start(
            time_env.client, process, {"lead": "jo@acme.example"}, queue, history_limit=50
        )
        # Thirty weeks of touches, then the lead unsubscribes.
        await time_env.sleep(timedelta(weeks=30, hours=1))
        before = await status_of(handle)
        await signal(
            time_env.client,
            handle.id,
            EVENT_SIGNAL,
            ExternalEvent(name="lead.unsubscribed", key="jo@acme.example"),
        )
        await handle.result()
        after = await status_of(handle)
    # One touch a week, counted on across runs, and the exit still ended the block.
    assert messages() == [f"touch {n}" for n in range(31)]
    assert before.generation >= 3
    assert after.generation == before.generation
    assert "Exit: lead.unsubscribed arrived" in [s.title for s in after.steps]


SIGN_OFFS = """\
process sign_offs "Sign off each asset"
  input assets: list of text
  for each asset in assets
    approval sign "Sign off the asset"
      by 2 of role editor
      deadline 3 days
    task ship "Ship" = log.info(message: "shipped {asset}")
  output done = len(assets)
"""
EDITORS = TeamSnapshot(
    version="v1", people={name: Member(roles=("editor",)) for name in ("ana", "ben", "cy")}
)


async def test_an_approval_open_inside_a_loop_goes_along_into_the_new_run(
    time_env: WorkflowEnvironment,
) -> None:
    client = time_env.client
    registry = registry_replacing(recorded_log)
    process = compile_text(SIGN_OFFS, registry)
    queue = new_task_queue()
    LOGGED.clear()
    async with worker_for(client, registry, queue, cached=100):
        handle = await start(
            client,
            process,
            {"assets": ["banner", "video"]},
            queue,
            history_limit=60,
            team=EDITORS,
        )
        first = await wait_for(handle, lambda s: bool(s.open_items))
        await act(client, handle.id, Act(step="sign", actor="ana", action="approve"))
        # Events nobody waits for grow the history past its bound while the step is open.
        # (The bound leaves the new run room to finish without continuing again.)
        await outgrow_the_bound(handle, 60)
        renewed = await wait_for(handle, lambda s: s.generation >= 1)
        with pytest.raises(UserError) as twice:
            await act(client, handle.id, Act(step="sign", actor="ana", action="approve"))
        await act(client, handle.id, Act(step="sign", actor="ben", action="approve"))
        await wait_for(handle, lambda s: messages() == ["shipped banner"] and bool(s.open_items))
        await act(client, handle.id, Act(step="sign", actor="cy", action="approve"))
        await act(client, handle.id, Act(step="sign", actor="ana", action="approve"))
        result = await handle.result()
        final = await status_of(handle)
    # The approval of the first asset went on in the new run where it was: same
    # deadline, ana's approval kept (and not taken twice), then the loop went on.
    carried = renewed.open_items[0]
    assert (carried.deadline, carried.opened_at) == (
        first.open_items[0].deadline,
        first.open_items[0].opened_at,
    )
    assert [(d.actor, d.action) for d in carried.decisions] == [("ana", "approve")]
    assert str(twice.value) == (
        "refused: ana has already acted on 'Sign off the asset' in this round"
    )
    assert messages() == ["shipped banner", "shipped video"]
    assert result["outputs"] == {"done": 2}
    # At least once: a loaded worker may take more workflow tasks and renew again.
    assert final.generation >= 1


async def test_a_long_sub_process_continues_as_new_on_its_own(
    time_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    (tmp_path / "touches.mops").write_text(NURTURE)
    (tmp_path / "show.mops").write_text(
        'use "touches.mops"\n'
        'process trade_show "Trade show follow-up"\n'
        "  input leads: list of email\n"
        '  call follow_up "Follow up the leads" = nurture(leads: leads)\n'
        '  task report "Report" = log.info(message: "followed up {follow_up.count}")\n'
    )
    registry = registry_replacing(recorded_log)
    process, _ = compile_file(tmp_path / "show.mops", Catalogue(registry.signatures()))
    leads = [f"lead{n}@acme.example" for n in range(10)]
    queue = new_task_queue()
    LOGGED.clear()
    async with worker_for(time_env.client, registry, queue):
        handle = await start(time_env.client, process, {"leads": leads}, queue, history_limit=60)
        await handle.result()
        parent = await status_of(handle)
        child = await status_of(time_env.client.get_workflow_handle(f"{handle.id}.follow_up.1"))
    # The child ran every lead once, renewing on its own bound; the caller waited it out.
    assert messages()[-2:] == ["all 10 leads", "followed up 10"]
    assert sorted(messages()[:-2]) == sorted(
        m for lead in leads for m in (f"hi {lead}", f"hi {lead} again")
    )
    assert child.generation >= 2
    assert parent.generation == 0
