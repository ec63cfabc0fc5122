"""Insights in the app: the figures of ``mops insights`` (docs/insights.md), with the same
tables and charts, for those who read across campaigns (operators and auditors).

The figures come from the analytics store ``mops insights`` keeps in the state folder,
brought up to date the way the command does it (campaigns that ended since are taken
in once; running ones are read fresh). A request never waits long for that: one
refresh runs at a time, shared by the requests that come meanwhile, and what it read
of the running campaigns serves for :data:`FRESH_FOR` seconds; when it takes longer
than :data:`PATIENCE` (the first refresh of a large history), the page answers from the
store alone and says so, and the refresh goes on.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import time
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response

from engine.audit import selection_query
from engine.errors import UserError
from engine.insights import (
    CampaignFacts,
    Refreshed,
    Selection,
    brought_up_to_date,
    figures_of,
    sections,
)
from mops.web._auth import SignedIn, Viewer
from mops.web._backend import Backend
from mops.web._render import page

router = APIRouter()

FRESH_FOR = 30.0
"""Seconds the running campaigns read by one refresh serve later requests."""
PATIENCE = 5.0
"""Seconds a request waits for a refresh before it answers from the store alone."""
REFUSED = "Insights are for operators and auditors: they show every campaign and every person."
_VERSION = re.compile(r"[0-9a-f]{1,64}")


@dataclass(frozen=True)
class Fresh:
    """What a request learnt from the refresh."""

    running: list[CampaignFacts] = field(default_factory=list)
    read_at: dt.datetime | None = None
    """When the running campaigns were read; None: not this time."""
    behind: str | None = None
    """Why the figures leave out the running campaigns and those that ended lately."""


class Refresher:
    """Keeps the app's insights store up to date: one refresh at a time."""

    def __init__(self, b: Backend) -> None:
        self._b = b
        self._task: asyncio.Task[Refreshed] | None = None
        self._last: tuple[float, dt.datetime, list[CampaignFacts]] | None = None
        """(monotonic time, moment, running campaigns) of the last refresh."""

    async def fresh(self) -> Fresh:
        if self._last is not None and time.monotonic() - self._last[0] < FRESH_FOR:
            return Fresh(self._last[2], self._last[1])
        if self._task is None:
            self._task = asyncio.create_task(self._refresh())
            self._task.add_done_callback(_seen)
        try:
            await asyncio.wait_for(asyncio.shield(self._task), PATIENCE)
        except TimeoutError:
            return Fresh(
                behind="the insights store is being brought up to date (the histories of "
                "the campaigns that ended since its last refresh, and of the running ones, "
                "are being read): these figures are the store's and leave those out; "
                "reload in a minute"
            )
        except UserError as error:
            return Fresh(behind=f"{error.message}: the figures are the store's, as last read")
        assert self._last is not None
        return Fresh(self._last[2], self._last[1])

    async def _refresh(self) -> Refreshed:
        b = self._b
        try:
            found = await brought_up_to_date(
                b.client, b.insights_store, selection_query(task_queue=b.settings.task_queue)
            )
            self._last = (time.monotonic(), dt.datetime.now(dt.UTC), found.running)
            return found
        finally:
            self._task = None

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)


def _seen(task: asyncio.Task[Refreshed]) -> None:
    """A refresh's failure is told to the requests that waited for it, or to none."""
    if not task.cancelled():
        task.exception()


def chosen(process: str, versions: list[str], since: str, until: str) -> Selection:
    """The selection a page or API request names; refused with 422 and why, if it is not one."""
    wanted = [v.strip().lower() for v in versions if v.strip()]
    for version in wanted:
        if not _VERSION.fullmatch(version):
            raise HTTPException(
                422,
                f"version '{version[:40]}' is not a version: give its first characters, e.g. 3f2a",
            )
    start, end = _moment("since", since), _moment("until", until)
    if start and end and start >= end:
        raise HTTPException(422, "since must come before until")
    return Selection(
        process=process.strip() or None, versions=tuple(wanted), since=start, until=end
    )


def _moment(name: str, text: str) -> dt.datetime | None:
    if not text.strip():
        return None
    try:
        moment = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise HTTPException(
            422,
            f"{name} '{text[:40]}' is not a date: write 2026-11-01 or 2026-11-01T09:00+01:00",
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


async def figures(request: Request, selection: Selection) -> tuple[dict[str, Any], Fresh]:
    """The figures of ``selection`` and how fresh they are (see the module's docstring)."""
    refresher: Refresher = request.app.state.insights
    fresh = await refresher.fresh()
    b: Backend = request.app.state.backend
    # Loading ten thousand campaigns' facts takes a good part of a second: not on the loop.
    found = await asyncio.to_thread(
        figures_of, b.insights_store, selection, fresh.running, now=dt.datetime.now(dt.UTC)
    )
    return found, fresh


def reader(who: SignedIn) -> Viewer:
    if not who.auditor:
        raise HTTPException(403, REFUSED)
    return who


Reader = Annotated[Viewer, Depends(reader)]
Versions = Annotated[list[str], Query(description="a version's first characters; twice: both")]


@router.get("/insights", response_class=HTMLResponse)
async def insights_page(
    request: Request,
    who: Reader,
    process: str = "",
    version: Versions = [],  # noqa: B006 (FastAPI copies a query's default)
    since: str = "",
    until: str = "",
) -> Response:
    found, fresh = await figures(request, chosen(process, version, since, until))
    return page(
        request,
        "insights.html",
        who=who,
        figures=found,
        made=dt.datetime.fromisoformat(found["generated_at"]),
        body=sections(found),
        fresh=fresh,
        query=request.url.query,
        process=process,
        versions=[*version, "", ""][:2],
        since=since,
        until=until,
    )
