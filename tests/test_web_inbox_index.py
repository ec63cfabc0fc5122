"""The inbox answered from the app's index of open steps (mops.web._open_steps): filled
from visibility, kept up to date by the campaigns' ``MopsChangedAt``; campaigns
without it are still found, by a query of their own. A decision taken elsewhere (as
`mops approve` sends it) leaves the inbox; two steps open at once for one person are
two rows; the task page's conversation shows decisions however they were sent."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from support import TRUST, act, compile_text, operator, registry_replacing, signed
from support import recorded_notify as notify
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.worker import Worker
from waiting import eventually
from web_support import Harness, running, text

from engine.client import load_trust, start_campaign, trust_path
from engine.ir import ProcessIR
from engine.workflow import attributes as sa
from engine.workflow.campaign import CampaignStart
from engine.workflow.work_items import Act
from workers import WORKFLOWS, build_worker, workflow_runner

pytestmark = pytest.mark.e2e

TWIN = """\
process twin "Two reviews at once"
  parallel all "Both reviews"
    approval legal "Legal review"
      by role editor
      deadline 2 business days
      escalate to role cmo
    approval brand "Brand review"
      by role editor
      deadline 2 business days
      escalate to role cmo
"""

ONE = """\
process one "One review"
  approval check "Check the copy"
    by role editor
    deadline 2 business days
    escalate to role cmo
"""


class OperatorHarness(Harness):
    """The app's harness, its worker also trusting the tests' operators (who send
    decisions as `mops approve --as` does)."""

    def worker(self) -> Worker:
        trust = load_trust(trust_path(self.settings.state_dir))
        trust = trust.model_copy(update={"keys": {**trust.keys, **TRUST.keys}})
        return build_worker(
            self.client,
            task_queue=self.settings.task_queue,
            registry=registry_replacing(notify),
            workflows=WORKFLOWS,
            workflow_runner=workflow_runner(),
            trust=trust,
        )


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[OperatorHarness]:
    async with running(OperatorHarness(tmp_path)) as harness:
        yield harness


async def _start_without_watermark(app: Harness, process: ProcessIR) -> str:
    """A campaign as one started before MopsChangedAt existed starts: our other
    search attributes, not that one."""
    campaign = f"{process.name}-{uuid.uuid4().hex[:8]}"
    start = CampaignStart(process=process, inputs={}, started_by="test", team=app.backend.team())
    await app.client.start_workflow(
        process.name,
        args=signed(start, campaign),
        id=campaign,
        task_queue=app.settings.task_queue,
        search_attributes=TypedSearchAttributes(
            [
                SearchAttributePair(sa.VERSION, process.version),
                SearchAttributePair(sa.OWNER, "test"),
                SearchAttributePair(sa.EVENTS, []),
            ]
        ),
    )
    return campaign


def _titles(page: str) -> list[str]:
    return re.findall(r"(Legal review|Brand review|Check the copy)", page)


async def test_two_steps_open_at_once_are_two_rows_and_a_decision_elsewhere_leaves(
    app: OperatorHarness,
) -> None:
    twin = compile_text(TWIN, name="twin.mops")
    handle = await start_campaign(
        app.client,
        twin,
        {},
        task_queue=app.settings.task_queue,
        credentials=operator(),
        team=app.backend.team(),
    )
    async with app.signed_in("ana") as ana:

        async def both() -> str:
            page = (await ana.get("/")).text
            assert sorted(set(_titles(page))) == ["Brand review", "Legal review"], page
            return page

        page = await eventually(both)
        assert "<title>(2) Inbox" in page
        assert app.backend.open_steps.ready()  # answered from the index, not a full query
        # Each of the two opens as a task of its own.
        for step in ("legal", "brand"):
            assert (await ana.get(f"/tasks/{handle.id}/{step}")).status_code == 200

        # Decided outside the app, as `mops approve --as ana` sends it.
        await act(app.client, handle.id, Act(step="legal", actor="ana", action="approve"))

        async def only_brand() -> None:
            assert _titles((await ana.get("/")).text) == ["Brand review"]

        await eventually(only_brand, within=15)
        assert (await ana.get(f"/tasks/{handle.id}/legal")).status_code == 404
        # The task page's conversation has the decision taken outside the app too.
        brand = await ana.get(f"/tasks/{handle.id}/brand")
        assert "ana approved" in text(brand.text) and "legal" in text(brand.text)
        await act(app.client, handle.id, Act(step="brand", actor="ana", action="approve"))


async def test_a_campaign_without_the_watermark_still_shows_and_leaves(
    app: OperatorHarness,
) -> None:
    async with app.signed_in("ana") as ana:
        assert "(0) Inbox" in (await ana.get("/")).text

        async def filled() -> None:
            await ana.get("/")
            assert app.backend.open_steps.ready()

        await eventually(filled)
        campaign = await _start_without_watermark(app, compile_text(ONE, name="one.mops"))

        async def shown() -> None:
            assert _titles((await ana.get("/")).text) == ["Check the copy"]

        await eventually(shown)
        assert campaign not in app.backend.open_steps.campaigns  # found by its own query
        await act(app.client, campaign, Act(step="check", actor="ana", action="approve"))

        async def gone() -> None:
            assert _titles((await ana.get("/")).text) == []

        await eventually(gone, within=15)
