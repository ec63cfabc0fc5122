"""Choosing the campaigns of the figures: the store of a cluster, a selection, the store
brought up to date, and the figures of closed campaigns kept with it.

``mops insights`` and the people's app both answer from here, so both give the same
figures for the same selection from the same store.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from temporalio.client import Client

from engine.insights._facts import CampaignFacts
from engine.insights._report import report
from engine.insights._store import FILE_NAME, Store
from engine.insights._sync import Refreshed, refresh


class Cluster(Protocol):
    """Where a client is connected (the client side's ``ConnectionInfo``)."""

    @property
    def address(self) -> str: ...

    @property
    def namespace(self) -> str: ...

    @property
    def embedded(self) -> bool: ...


def store_file(state_dir: Path, cluster: Cluster) -> Path:
    """One store per cluster and namespace, in the state directory; the embedded server's
    one store whatever port it listens on."""
    if cluster.embedded:
        return state_dir / FILE_NAME
    key = hashlib.sha256(f"{cluster.address}/{cluster.namespace}".encode()).hexdigest()[:12]
    return state_dir / f"insights-{key}.sqlite3"


@dataclass(frozen=True)
class Selection:
    """Which campaigns the figures are of; nothing named: every campaign."""

    process: str | None = None
    versions: tuple[str, ...] = ()
    """Versions of the process (their first characters do); two put them side by side."""
    since: dt.datetime | None = None
    """Started on or after."""
    until: dt.datetime | None = None
    """Started before."""

    def holds(self, facts: CampaignFacts) -> bool:
        return (
            (not self.process or facts.process == self.process)
            and (not self.versions or any(facts.version.startswith(v[:12]) for v in self.versions))
            and not (self.since and facts.started_at < self.since)
            and not (self.until and facts.started_at >= self.until)
        )

    def stored(self, store: Store) -> list[CampaignFacts]:
        return store.load(
            process=self.process, versions=self.versions, since=self.since, until=self.until
        )


async def brought_up_to_date(
    client: Client, path: Path, clauses: Sequence[str], *, rebuild: bool = False
) -> Refreshed:
    """Take the campaigns closed since last time into the store at ``path`` (every one,
    with ``rebuild``); read the running ones fresh.

    Raises:
        UserError: the campaigns cannot be listed (ServerUnreachable: the cluster).
    """
    store = Store(path)
    try:
        if rebuild:
            store.clear()
        return await refresh(client, store, clauses)
    finally:
        store.close()


def chosen(
    path: Path, selection: Selection, running: Sequence[CampaignFacts]
) -> list[CampaignFacts]:
    """The facts of the selected campaigns: the stored ones, then the running ones."""
    store = Store(path)
    try:
        return selection.stored(store) + [f for f in running if selection.holds(f)]
    finally:
        store.close()


def figures_of(
    path: Path, selection: Selection, running: Sequence[CampaignFacts], *, now: dt.datetime
) -> dict[str, Any]:
    """The figures of the selected campaigns (see ``report``).

    The figures of a selection without running campaigns are kept with the store until
    another campaign closes: asked again, they are given back as they were made.
    """
    mine = [f for f in running if selection.holds(f)]
    store = Store(path)
    try:
        key = None
        if not mine:
            key = json.dumps(
                [
                    selection.process,
                    list(selection.versions),
                    str(selection.since),
                    str(selection.until),
                    str(store.watermark),
                    store.count(),
                ]
            )
            kept = store.figures(key)
            if kept is not None:
                return kept
        figures = report(selection.stored(store) + mine, now=now)
        if key is not None:
            store.keep_figures(key, figures)
        return figures
    finally:
        store.close()
