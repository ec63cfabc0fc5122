"""The app's index of the campaigns that wait on someone, so that an inbox is answered
from memory instead of a visibility query over every open campaign.

Filled once from visibility (every running campaign of the task queue), then kept
up to date by a small query: the campaigns whose ``MopsChangedAt`` moved, or that
closed, since the last look (less a margin for visibility's lag and for the clocks).
A campaign moves ``MopsChangedAt`` whenever one of its work items or approvals
opens, closes, is handed on or has a decision recorded (``mops-inbox-watermark``).

Campaigns without ``MopsChangedAt`` (started before it existed, by a schedule, or in
a namespace without it) are not kept here: the inbox asks visibility for them on
each request, with a query that finds only them.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from pydantic import ValidationError
from temporalio.client import Client, WorkflowExecution, WorkflowExecutionStatus
from temporalio.service import RPCError

from engine.workflow import attributes as sa
from engine.workflow.facts import INBOX_MEMO, OPENED_MEMO, StepOpened
from engine.workflow.work_items import WorkItem

FRESH = 1.0
"""Seconds: an inbox asked within this of the last look is answered without one."""
MARGIN = dt.timedelta(seconds=10)
"""How far back each look reaches before the previous one began: a change is written
with the workflow task's start time and becomes visible after the task ends and
visibility catches up (and the app's clock may differ from the server's a little)."""
RELOAD = 300.0
"""Seconds: the whole index is read again this often (in the background), in case a
change was ever missed (visibility lagging behind more than :data:`MARGIN`)."""


@dataclass(frozen=True)
class Waiting:
    """A running campaign that waits on someone, as visibility shows it."""

    campaign: str
    process: str
    parent: str | None
    version: str | None
    waiting: frozenset[str]
    items: tuple[WorkItem, ...] | None
    """Its open work items and approvals (the ``inbox`` memo); None for a campaign that
    did not publish them (then ``opened`` names the step that opened last)."""
    opened: StepOpened | None
    watermarked: bool
    changed_at: dt.datetime | None = None
    run: str | None = None


async def waiting_of(execution: WorkflowExecution) -> Waiting:
    """What the index keeps of one execution (a visibility row or a description)."""
    attrs = execution.typed_search_attributes
    memo = await execution.memo()
    return Waiting(
        campaign=execution.id,
        process=execution.workflow_type,
        parent=execution.parent_id,
        version=attrs.get(sa.VERSION),
        waiting=frozenset(attrs.get(sa.WAITING_ON) or ()),
        items=_items(memo.get(INBOX_MEMO)),
        opened=_opened(memo.get(OPENED_MEMO)),
        watermarked=attrs.get(sa.CHANGED_AT) is not None,
        changed_at=attrs.get(sa.CHANGED_AT),
        run=execution.run_id,
    )


def _items(value: object) -> tuple[WorkItem, ...] | None:
    if not isinstance(value, list):
        return None
    try:
        return tuple(WorkItem.model_validate(item) for item in value)
    except ValidationError:
        return None


def _opened(value: object) -> StepOpened | None:
    if not isinstance(value, dict):
        return None
    try:
        return StepOpened.model_validate(value)
    except ValidationError:
        return None


def _quote(text: str) -> str:
    return text.replace("\\", "\\\\").replace("'", "\\'")


def _moment(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class OpenSteps:
    """The index of one app (one task queue); safe for the app's concurrent requests."""

    task_queue: str
    campaigns: dict[str, Waiting] = field(default_factory=dict)
    by_key: dict[str, set[str]] = field(default_factory=dict)
    since: dt.datetime | None = None
    """Where the next look starts (None: not filled yet)."""
    looked: float = 0.0
    loaded: float = 0.0
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    _filling: asyncio.Task[None] | None = None

    def ready(self) -> bool:
        return self.since is not None

    async def current(self, client: Client) -> bool:
        """Bring the index up to date for a request: False while it is still being filled
        for the first time (started in the background by this call), when the caller asks
        visibility itself."""
        if self.since is None:
            if self._filling is None or self._filling.done():
                self._filling = asyncio.create_task(self._fill(client))
            return False
        if time.monotonic() - self.loaded > RELOAD and (
            self._filling is None or self._filling.done()
        ):
            self._filling = asyncio.create_task(self._fill(client))
        if time.monotonic() - self.looked > FRESH:
            await self.look(client)
        return True

    async def close(self) -> None:
        if self._filling is not None and not self._filling.done():
            self._filling.cancel()
            await asyncio.gather(self._filling, return_exceptions=True)

    def changed(self) -> None:
        """Something changed that the next request should see: it looks again."""
        self.looked = 0.0

    def waiting_on(self, keys: Iterable[str]) -> list[Waiting]:
        """The kept campaigns that wait on any of ``keys``."""
        ids: set[str] = set()
        for key in keys:
            ids |= self.by_key.get(key, set())
        return [self.campaigns[c] for c in sorted(ids)]

    def learn(self, found: Waiting | None, campaign: str) -> None:
        """Keep what a campaign shows now (None: it no longer waits, or no longer runs)."""
        old = self.campaigns.pop(campaign, None)
        if old is not None:
            for key in old.waiting:
                self.by_key.get(key, set()).discard(campaign)
        if found is None or not found.waiting or not found.watermarked:
            return
        self.campaigns[campaign] = found
        for key in found.waiting:
            self.by_key.setdefault(key, set()).add(campaign)

    async def _fill(self, client: Client) -> None:
        """Read every running campaign of the task queue (at start, then every
        :data:`RELOAD` seconds), and the changes since it began."""
        began = dt.datetime.now(dt.UTC)
        query = f"TaskQueue = '{_quote(self.task_queue)}' AND ExecutionStatus = 'Running'"
        found: dict[str, Waiting] = {}
        try:
            async for execution in client.list_workflows(query):
                kept = self.campaigns.get(execution.id)
                changed_at = execution.typed_search_attributes.get(sa.CHANGED_AT)
                if kept is None or (kept.run, kept.changed_at) != (execution.run_id, changed_at):
                    kept = await waiting_of(execution)
                if kept.waiting and kept.watermarked:
                    found[kept.campaign] = kept
        except RPCError:
            return  # asked again by the next request
        async with self._lock:
            self.campaigns, self.by_key = {}, {}
            for campaign, kept in found.items():
                self.learn(kept, campaign)
            # From before the scan began: what changed while it ran (even what a look
            # learned meanwhile, replaced by the older row) is read again.
            self.since = began - MARGIN
            self.loaded = time.monotonic()
            self.looked = 0.0
        await self.look(client)

    async def fill(self, client: Client) -> None:
        """Fill the index now (at the app's start), unless it is being filled."""
        if self._filling is None or self._filling.done():
            self._filling = asyncio.create_task(self._fill(client))
        await asyncio.shield(self._filling)

    async def look(self, client: Client) -> None:
        """Read the campaigns changed or closed since the last look; one look at a time
        (a request that comes during one waits for it and uses it)."""
        asked = time.monotonic()
        async with self._lock:
            if self.looked >= asked or self.since is None:
                return  # another request looked while this one waited
            began = dt.datetime.now(dt.UTC)
            since = _moment(self.since)
            query = (
                f"TaskQueue = '{_quote(self.task_queue)}' AND "
                f"({sa.CHANGED_AT.name} >= '{since}' OR CloseTime >= '{since}')"
            )
            rows: dict[str, list[WorkflowExecution]] = {}
            try:
                async for execution in client.list_workflows(query):
                    rows.setdefault(execution.id, []).append(execution)
            except RPCError:
                return  # the next request looks again, from the same moment
            for campaign, executions in rows.items():
                await self._learn_rows(client, campaign, executions)
            self.since = began - MARGIN
            self.looked = time.monotonic()

    async def _learn_rows(
        self, client: Client, campaign: str, executions: list[WorkflowExecution]
    ) -> None:
        running = [e for e in executions if e.status == WorkflowExecutionStatus.RUNNING]
        if running:
            newest = max(running, key=lambda e: e.start_time)
            kept = self.campaigns.get(campaign)
            changed_at = newest.typed_search_attributes.get(sa.CHANGED_AT)
            if kept is None or (kept.run, kept.changed_at) != (newest.run_id, changed_at):
                self.learn(await waiting_of(newest), campaign)  # else: read already
            return
        if not any(e.status == WorkflowExecutionStatus.CONTINUED_AS_NEW for e in executions):
            self.learn(None, campaign)
            return
        # Continued as new: its new run may not be visible yet; its description is.
        try:
            now = await client.get_workflow_handle(campaign).describe()
        except RPCError:
            self.learn(None, campaign)
            return
        running_now = now.status == WorkflowExecutionStatus.RUNNING
        self.learn(await waiting_of(now) if running_now else None, campaign)
