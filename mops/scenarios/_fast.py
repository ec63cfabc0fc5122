"""A cohort whose campaigns run in this process, the server's part played here.

The same cohort as :class:`~mops.scenarios._cohort.Cohort` — the same simulated
people and events, the same typed facts read from the campaigns' commands, the
same answers through the campaign's real ``act`` update and its validator —
but on :class:`~mops.scenarios._inproc.InProcessServer` instead of the
time-skipping test server: no process boundary, no clock to stop and start, and
time jumps straight from one moment to the next. Why, and what is not played:
docs/scenarios.md, "How fast, and how it works".
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import datetime as dt
import gc
import multiprocessing
import os
import secrets
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from temporalio.contrib.pydantic import pydantic_data_converter

from engine import ir
from engine.client import seal_decision, seal_signal, seal_start
from engine.errors import UserError
from engine.workflow import business_time
from engine.workflow.campaign import (
    ACT_UPDATE,
    EVENT_SIGNAL,
    REFUSED_SIGNAL,
    STATUS_QUERY,
    CampaignStatus,
    RefusedAttempt,
)
from engine.workflow.facts import Decided
from engine.workflow.provenance import trusting
from engine.workflow.work_items import Act
from mops.scenarios._cohort import _AFTER_TIMERS, Cohort, DueEvent, _Campaign
from mops.scenarios._drive import CampaignPlan, CampaignRun
from mops.scenarios._inproc import InProcessServer, Refused, Unplayed
from mops.scenarios._stand_ins import AnySecret
from workers import WORKFLOWS

_CLOSED = {"completed", "failed", "cancelled", "terminated"}
_GC_THRESHOLDS = (50_000, 20, 20)
_PER_PROCESS = 100
"""A process of its own for every this many campaigns, up to one per core."""
_SHARDED: tuple[FastCohort, list[list[CampaignPlan]], dt.timedelta] | None = None
"""What the forked processes run (they inherit it: the cohort is not picklable)."""


def processes_for(runs: int) -> int:
    """How many processes a cohort of ``runs`` campaigns is spread over by default."""
    return max(1, min(len(os.sched_getaffinity(0)), runs // _PER_PROCESS))


def can_fork() -> bool:
    """Whether this process may fork: it has one thread. A process that talked to
    Temporal has the SDK's threads (its Rust runtime), and a child forked while one of
    them holds a lock waits for it for ever; such a process runs the cohort itself."""
    threads = Path("/proc/self/task")
    return threads.is_dir() and sum(1 for _ in threads.iterdir()) == 1


async def run_spread(
    cohort: FastCohort, plans: Sequence[CampaignPlan], *, horizon: dt.timedelta, processes: int
) -> list[CampaignRun]:
    """Run the plans in ``processes`` forked copies of ``cohort``, each a share of them.

    Each campaign's world is drawn from the seed and the campaign alone (people,
    events, task outcomes), and campaigns do not touch each other, so the result
    is the same however the cohort is spread; only the wall time differs. A process
    that cannot fork safely (:func:`can_fork`) runs them all itself.
    """
    if processes <= 1 or len(plans) < 2 or not can_fork():
        return await cohort.run_here(plans, horizon=horizon)
    global _SHARDED
    shares = [list(plans[n::processes]) for n in range(processes)]
    _SHARDED = (cohort, shares, horizon)
    try:
        loop = asyncio.get_running_loop()
        with concurrent.futures.ProcessPoolExecutor(
            max_workers=processes, mp_context=multiprocessing.get_context("fork")
        ) as pool:
            done = await asyncio.gather(
                *(loop.run_in_executor(pool, _run_share, n) for n in range(processes))
            )
    finally:
        _SHARDED = None
    by_id = {p.campaign_id: p for p in plans}
    runs = {
        campaign: CampaignRun(plan=by_id[campaign], **fields)
        for share in done
        for campaign, fields in share
    }
    return [runs[p.campaign_id] for p in plans]


def _run_share(number: int) -> list[tuple[str, dict[str, Any]]]:
    """In a forked process: run one share; what each campaign did, without its plan."""
    assert _SHARDED is not None
    cohort, shares, horizon = _SHARDED
    runs = asyncio.run(cohort.run_here(shares[number], horizon=horizon))
    return [
        (
            run.plan.campaign_id,
            {f.name: getattr(run, f.name) for f in dataclasses.fields(run) if f.name != "plan"},
        )
        for run in runs
    ]


class FastCohort(Cohort):
    """Runs campaigns side by side in this process (see the module)."""

    server: InProcessServer | None = None

    async def run_here(
        self, plans: Sequence[CampaignPlan], *, horizon: dt.timedelta
    ) -> list[CampaignRun]:
        """Run every plan (they all start at the first plan's moment) until all end."""
        # Every campaign of a cohort lives for most of the run, each with its own copy
        # of the process: with the default thresholds the garbage collector walks them
        # all over and over (a fifth of a webinar cohort's CPU). Collect less often.
        thresholds = gc.get_threshold()
        gc.set_threshold(*_GC_THRESHOLDS)
        # The campaigns check every seal, as on a server, against this simulation's
        # key alone: the trust of their own task queue.
        queue = f"simulation-{uuid.uuid4()}"
        try:
            with trusting(queue, self.trust):
                return await self._run_here(plans, horizon=horizon, queue=queue)
        finally:
            gc.set_threshold(*thresholds)

    async def _run_here(
        self, plans: Sequence[CampaignPlan], *, horizon: dt.timedelta, queue: str
    ) -> list[CampaignRun]:
        self.loop = asyncio.get_running_loop()
        for plan in plans:
            steps = {s.id: s for s in ir.iter_steps(plan.process.body)}
            ladders = {
                i: len(s.escalations) for i, s in steps.items() if isinstance(s, ir.HumanStep)
            }
            self.campaigns[plan.campaign_id] = _Campaign(plan, CampaignRun(plan), steps, ladders)
        start = min((p.start_at for p in plans), default=dt.datetime.now(dt.UTC))
        server = self.server = InProcessServer(
            workflows=WORKFLOWS,
            activities=self.stand_ins.activities(secrets=AnySecret(env={})),
            converter=pydantic_data_converter,
            observe=self._observe,
            start=start,
            task_queue=queue,
        )
        self.origin = start + _AFTER_TIMERS
        for campaign in self.campaigns.values():
            await self._start(campaign, queue, start)
        self._check_all_done()
        end = start + horizon
        while not self.all_done.is_set():
            await self._settle()
            if self.all_done.is_set():
                break
            ours = server.next_moment()
            theirs = self.agenda[0][0] if self.agenda else None
            if theirs is not None and (ours is None or theirs < ours):
                if theirs > end:
                    break
                server.move_to(theirs)
                await self._deliver(server.now)
            elif ours is not None and ours <= end:
                await server.run_due()
            else:
                break
        await self._settle()
        if not self.all_done.is_set():
            server.move_to(end)
            for campaign in list(self.campaigns.values()):
                if not campaign.done:
                    await self._at_horizon(campaign, server.now, horizon)
        return [c.run for c in self.campaigns.values()]

    async def _settle(self) -> None:
        """Let what the campaigns' commands set off (closing, giving up) finish first."""
        while True:
            await asyncio.sleep(0)
            if not self.tasks:
                return
            await asyncio.gather(*list(self.tasks))

    def _here(self) -> InProcessServer:
        assert self.server is not None
        return self.server

    # ---- the transport: the in-process server instead of the test server's RPCs ----

    async def _start(self, campaign: _Campaign, queue: str, at: dt.datetime) -> None:
        plan = campaign.plan
        start = self._campaign_start(plan)
        seal = seal_start(start, plan.campaign_id, self.credentials)
        self._here().start(plan.process.name, plan.campaign_id, [start, seal])
        campaign.run.started_at = at
        campaign.run.state = "running"
        for after, event in plan.events:
            moment = business_time.add(at, after, plan.process.calendar) + _AFTER_TIMERS
            self._expect_event(campaign, moment, event)

    async def _send(self, due: DueEvent) -> None:
        if not self.campaigns[due.campaign].done:
            seal = seal_signal(due.campaign, EVENT_SIGNAL, due.event, self.credentials)
            self._here().signal(due.campaign, EVENT_SIGNAL, [due.event, seal])

    async def _terminate(self, campaign: str, why: str) -> None:
        self._here().terminate(campaign)

    async def _status(self, campaign: str) -> CampaignStatus:
        status: CampaignStatus = self._here().query(campaign, STATUS_QUERY, CampaignStatus)
        return status

    async def _act_once(self, campaign: str, decision: Act) -> Decided | None:
        server = self._here()
        # As engine.client.act sends it: asserted by the simulation's operator, sealed
        # for this very update.
        as_person = self.credentials.asserting(decision.actor)
        update_id = secrets.token_hex(16)
        seal = seal_decision(campaign, decision, update_id, as_person)
        try:
            decided: Decided = server.update(
                campaign, ACT_UPDATE, [decision, seal], Decided, update_id=update_id
            )
        except Refused as refused:
            # As engine.client.act does: the refusal is recorded in the campaign.
            attempt = RefusedAttempt(
                step=decision.step,
                actor=decision.actor,
                action=decision.action,
                reason=str(refused),
            )
            sealed = seal_signal(campaign, REFUSED_SIGNAL, attempt, as_person)
            server.signal(campaign, REFUSED_SIGNAL, [attempt, sealed])
            raise UserError(f"refused: {refused}") from None
        except Unplayed:
            return None
        return decided

    async def _confirm_closed(self, campaign: _Campaign) -> None:
        run = self._here().runs[campaign.plan.campaign_id]
        if run.state in _CLOSED:
            self._finish(campaign, run.state, run.closed_at or self._here().now)
            self._here().forget(campaign.plan.campaign_id)
        else:
            campaign.closing = False
