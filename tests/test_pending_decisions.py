"""A decision no worker takes in time is pending, never failed; interrupted, it says so
(issue 15: Ctrl-C printed "nothing is recorded" and the decision was recorded later)."""

from __future__ import annotations

import asyncio
import datetime as dt

from support import compile_text, new_task_queue, operator, recorded_notify, registry_replacing
from support import start as start_campaign
from temporalio.testing import WorkflowEnvironment

from engine.client import Pending, send_decision
from engine.workflow.work_items import Act

PROCESS = """\
process signoff
  approval ok "Sign off"
    by role editor
"""


async def test_with_no_worker_a_decision_is_pending_and_an_interrupted_one_says_so(
    time_env: WorkflowEnvironment,
) -> None:
    client = time_env.client
    process = compile_text(PROCESS, registry_replacing(recorded_notify))
    # Nobody polls this task queue: the server holds what it is sent.
    handle = await start_campaign(client, process, {}, new_task_queue())
    approve = Act(step="ok", actor="ana", action="approve")
    as_ana = operator().asserting("ana")
    waited = await send_decision(
        client, handle.id, approve, credentials=as_ana, wait=dt.timedelta(seconds=2)
    )
    assert isinstance(waited, Pending)
    assert (waited.step, waited.interrupted, waited.accepted) == ("ok", False, False)

    sending = asyncio.ensure_future(
        send_decision(
            client,
            handle.id,
            approve,
            credentials=as_ana,
            update_id=waited.update_id,
            wait=dt.timedelta(seconds=60),
        )
    )
    await asyncio.sleep(1)  # the stimulus: Ctrl-C a second into the wait
    sending.cancel()
    interrupted = await sending
    assert isinstance(interrupted, Pending)
    # The same decision (its id), and the person is told the wait was interrupted.
    assert (interrupted.update_id, interrupted.interrupted) == (waited.update_id, True)
    await handle.terminate("test over")
