"""`mops list` and `mops tasks` on a real dev server (search attributes on): one row per
campaign across continue-as-new, `--state running` finds a continued campaign,
`--waiting-on` finds a step escalated to a role, and an inbox read from visibility leaves
out a step its person has acted on (issue 15)."""

from __future__ import annotations

import datetime as dt

import pytest
from record_facts import dev_server
from support import (
    act,
    compile_text,
    new_task_queue,
    recorded_notify,
    registry_replacing,
    signed,
    team,
    worker_for,
)
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from waiting import eventually, outgrow_the_bound

from engine.client import inbox, list_campaigns
from engine.workflow import attributes as sa
from engine.workflow.campaign import CampaignStart
from engine.workflow.work_items import Act

pytestmark = pytest.mark.e2e

SIGN_OFF = """\
process budget "Quarterly budget"
  approval sign "Sign the budget"
    by role finance
    deadline 3 seconds
    escalate to role cmo
"""


async def test_a_continued_campaign_is_one_running_row_found_by_whom_it_was_escalated_to() -> None:
    registry = registry_replacing(recorded_notify)
    process = compile_text(SIGN_OFF, registry)
    queue = new_task_queue()
    async with dev_server() as env:
        client = env.client
        async with worker_for(client, registry, queue):
            start = CampaignStart(
                process=process,
                inputs={},
                started_by="olga",
                team=team("v1", fay="finance", max="cmo"),
                history_limit=30,
            )
            handle = await client.start_workflow(
                process.name,
                args=signed(start, "budget-q3"),
                id="budget-q3",
                task_queue=queue,
                search_attributes=TypedSearchAttributes(
                    [
                        SearchAttributePair(sa.VERSION, process.version),
                        SearchAttributePair(sa.OWNER, "olga"),
                    ]
                ),
            )
            first_start = (await handle.describe()).start_time
            for _ in range(2):  # continued as new twice
                await outgrow_the_bound(handle, 30)
                now_at = (await handle.describe()).run_id
                # Watched from the run it continued in.
                handle = client.get_workflow_handle(handle.id, first_execution_run_id=now_at)

            async def listed(
                state: str | None = None, waiting_on: str | None = None
            ) -> list[tuple[str, str]]:
                found = await list_campaigns(
                    client, task_queue=queue, state=state, waiting_on=waiting_on
                )
                return [(c.id, c.state) for c in found]

            async def escalated() -> None:
                # Due three seconds after the step opened; visibility follows shortly.
                assert await listed(waiting_on="role:cmo") == [("budget-q3", "running")]

            await eventually(escalated)
            assert await listed() == [("budget-q3", "running")]
            assert await listed(state="running") == [("budget-q3", "running")]
            assert await listed(waiting_on="role:finance") == [("budget-q3", "running")]
            [row] = await list_campaigns(client, task_queue=queue)
            newest = (await client.get_workflow_handle(handle.id).describe()).start_time
            # Listed as started when its first run started (as the campaign saw it), not
            # when its newest run did.
            assert row.started_at is not None
            assert first_start <= row.started_at < first_start + dt.timedelta(seconds=5)
            assert row.started_at < newest
            await client.get_workflow_handle(handle.id).terminate("test over")


QUORUM = """\
process budget "Quarterly budget"
  approval sign "Sign the budget"
    by 2 of role finance
"""


async def test_an_inbox_read_from_visibility_leaves_out_a_step_its_person_has_acted_on() -> None:
    registry = registry_replacing(recorded_notify)
    process = compile_text(QUORUM, registry)
    queue = new_task_queue()
    finance = team("v1", fay="finance", gus="finance")
    async with dev_server() as env:
        client = env.client
        async with worker_for(client, registry, queue):
            start = CampaignStart(process=process, inputs={}, started_by="olga", team=finance)
            handle = await client.start_workflow(
                process.name,
                args=signed(start, "budget-q4"),
                id="budget-q4",
                task_queue=queue,
                search_attributes=TypedSearchAttributes(
                    [SearchAttributePair(sa.VERSION, process.version)]
                ),
            )

            async def steps_of(person: str) -> list[str]:
                tasks = await inbox(client, finance, person, task_queue=queue)
                return [t.step for t in tasks]

            async def both_see_it() -> None:
                assert (await steps_of("fay"), await steps_of("gus")) == (["sign"], ["sign"])

            await eventually(both_see_it)
            said_ = await act(client, handle.id, Act(step="sign", actor="fay", action="approve"))
            assert said_.waiting_for == 1

            async def only_gus_sees_it() -> None:
                # Fay has approved this round: nothing is left for her to do.
                assert (await steps_of("fay"), await steps_of("gus")) == ([], ["sign"])

            await eventually(only_gus_sees_it)
            await handle.terminate("test over")
