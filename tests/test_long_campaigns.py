"""Long campaigns continue as new before their history grows large, and lose nothing."""

from __future__ import annotations

import uuid

from support import compile_text, new_task_queue, worker_for
from temporalio.testing import WorkflowEnvironment

from engine.campaign import EVENT_SIGNAL, STATUS_QUERY, CampaignStart, CampaignStatus, ExternalEvent
from workers import builtin_registry

DRIP = """\
process drip "A year of weekly touches"
  input lead: email
  input started: date = 2026-01-05
  set touches = 0
  set replied = false
  task touch "Weekly touch" = log.info(message: "touch {touches} for {lead}")
  set touches = touches + 1
  set last = started + 7 days
  wait 7 days
  go back to touch, at most 51 times
  wait for event "lead.replied" key lead as reply, deadline 1 day -> done
  set replied = true
  task done "Wrap up" = log.info(message: "done after {touches}")
  output touches = touches
  output last = last
  output replied = replied
  output reply = reply.text
"""


async def test_a_year_long_drip_keeps_its_history_bounded(time_env: WorkflowEnvironment) -> None:
    registry = builtin_registry()
    process = compile_text(DRIP.replace("  output reply = reply.text\n", ""), registry)
    queue = new_task_queue()
    async with worker_for(time_env.client, registry, queue, cached=100):
        handle = await time_env.client.start_workflow(
            process.name,
            CampaignStart(
                process=process,
                inputs={"lead": "jo@acme.example"},
                started_by="test",
                history_limit=120,
            ),
            id=f"drip-{uuid.uuid4().hex[:6]}",
            task_queue=queue,
        )
        # Sent early, in the first run: it must survive every continue-as-new.
        await handle.signal(
            EVENT_SIGNAL, ExternalEvent(name="lead.replied", key="jo@acme.example", data={"t": 1})
        )
        result = await handle.result()
        status = await handle.query(STATUS_QUERY, result_type=CampaignStatus)
        history = await handle.fetch_history()
    # The early event was carried through every continue-as-new and used at the end.
    assert result["outputs"] == {"touches": 52, "last": "2026-01-12", "replied": True}
    assert status.generation >= 3
    # Every run's history stays near the bound, however long the campaign runs.
    assert len(history.events) < 200
    assert [s.title for s in status.steps][-1] == "Wrap up"
