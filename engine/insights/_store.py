"""The local analytics store: one row per closed campaign, its facts as JSON.

SQLite from the standard library, in the state directory. Why not DuckDB: the
figures need every value of a selection anyway (percentiles, rankings), there
are tens of thousands of campaigns, not billions, and a cache that can always
be rebuilt from Temporal is no reason for a 30 MB dependency. A closed
campaign's history never changes, so its facts are taken once; running
campaigns are never stored (they are read fresh each time).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from engine.insights._facts import (
    Answer,
    CampaignFacts,
    EventWait,
    Round,
    Span,
    TaskRun,
)

FILE_NAME = "insights.sqlite3"
SCHEMA = 2
"""Bumped when the facts change shape: an older store is rebuilt from Temporal."""

_TABLES = """
create table if not exists meta (key text primary key, value text);
create table if not exists campaigns (
    id text primary key,
    process text not null,
    version text not null,
    state text not null,
    started_at real not null,
    closed_at real,
    facts text not null
);
create index if not exists campaigns_by_process on campaigns (process, version, started_at);
"""


class Store:
    """Facts of closed campaigns, kept between runs of ``mops insights``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path)
        self.db.executescript(_TABLES)
        if self._meta("schema") != str(SCHEMA):
            self.clear()

    def close(self) -> None:
        self.db.close()

    def clear(self) -> None:
        """Forget everything: the next refresh reads every campaign from Temporal again."""
        with self.db:
            self.db.execute("delete from campaigns")
            self.db.execute("delete from meta")
            self.db.execute("insert into meta values ('schema', ?)", (str(SCHEMA),))

    def _meta(self, key: str) -> str | None:
        row = self.db.execute("select value from meta where key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    @property
    def watermark(self) -> dt.datetime | None:
        """The latest close time of a campaign taken in."""
        value = self._meta("watermark")
        return None if value is None else dt.datetime.fromisoformat(value)

    @property
    def checked(self) -> tuple[dt.datetime, int] | None:
        """Since when every closed campaign is known, and how many the server then counted
        from that moment on (see ``refresh``)."""
        value = self._meta("checked")
        if value is None:
            return None
        since, count = json.loads(value)
        return dt.datetime.fromisoformat(since), int(count)

    def mark_checked(self, since: dt.datetime, count: int) -> None:
        with self.db:
            self.db.execute(
                "insert or replace into meta values ('checked', ?)",
                (json.dumps([since.isoformat(), count]),),
            )

    def figures(self, key: str) -> dict[str, Any] | None:
        """The figures made last time for ``key`` (a selection at a watermark), if kept."""
        value = self._meta(f"figures:{key}")
        return None if value is None else dict(json.loads(value))

    def keep_figures(self, key: str, figures: dict[str, Any]) -> None:
        """Keep the figures of a selection of closed campaigns: until another campaign
        closes, they are the same."""
        with self.db:
            self.db.execute("delete from meta where key like 'figures:%'")
            self.db.execute(
                "insert into meta values (?, ?)", (f"figures:{key}", json.dumps(figures))
            )

    def count(self) -> int:
        return int(self.db.execute("select count(*) from campaigns").fetchone()[0])

    def known(self) -> set[str]:
        return {row[0] for row in self.db.execute("select id from campaigns")}

    def save(self, facts: Iterable[CampaignFacts], watermark: dt.datetime | None) -> int:
        rows = [
            (
                f.campaign,
                f.process,
                f.version,
                f.state,
                f.started_at.timestamp(),
                None if f.ended_at is None else f.ended_at.timestamp(),
                json.dumps(_plain(f), separators=(",", ":")),
            )
            for f in facts
        ]
        with self.db:
            self.db.executemany("insert or replace into campaigns values (?,?,?,?,?,?,?)", rows)
            if watermark is not None:
                self.db.execute(
                    "insert or replace into meta values ('watermark', ?)", (watermark.isoformat(),)
                )
        return len(rows)

    def load(
        self,
        *,
        process: str | None = None,
        versions: Sequence[str] = (),
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
    ) -> list[CampaignFacts]:
        """The stored campaigns a selection names: of the process, of any of the versions
        (their first characters do), started in [since, until)."""
        clauses: list[str] = ["1 = 1"]
        values: list[str | float] = []
        if process:
            clauses.append("process = ?")
            values.append(process)
        if versions:
            clauses.append("(" + " or ".join("version like ?" for _ in versions) + ")")
            values.extend(v[:12] + "%" for v in versions)
        if since:
            clauses.append("started_at >= ?")
            values.append(since.timestamp())
        if until:
            clauses.append("started_at < ?")
            values.append(until.timestamp())
        query = f"select facts from campaigns where {' and '.join(clauses)} order by started_at"
        return [_facts(json.loads(row[0])) for row in self.db.execute(query, values)]


def _plain(facts: CampaignFacts) -> dict[str, Any]:
    """The facts as compact JSON: records as rows of values, in their fields' order."""
    return {
        "campaign": facts.campaign,
        "process": facts.process,
        "version": facts.version,
        "state": facts.state,
        "started_at": facts.started_at.timestamp(),
        "ended_at": None if facts.ended_at is None else facts.ended_at.timestamp(),
        "seconds": facts.seconds,
        "business_seconds": facts.business_seconds,
        "hours_per_day": facts.hours_per_day,
        "rounds": [dataclasses.astuple(r) for r in facts.rounds],
        "answers": [dataclasses.astuple(a) for a in facts.answers],
        "spans": [dataclasses.astuple(s) for s in facts.spans],
        "rules": facts.rules,
        "declared_rows": facts.declared_rows,
        "tasks": [dataclasses.astuple(t) for t in facts.tasks],
        "waits": [dataclasses.astuple(w) for w in facts.waits],
        "steps": facts.steps,
    }


def _facts(data: dict[str, Any]) -> CampaignFacts:
    ended = data["ended_at"]
    return CampaignFacts(
        campaign=data["campaign"],
        process=data["process"],
        version=data["version"],
        state=data["state"],
        started_at=dt.datetime.fromtimestamp(data["started_at"], dt.UTC),
        ended_at=None if ended is None else dt.datetime.fromtimestamp(ended, dt.UTC),
        seconds=data["seconds"],
        business_seconds=data["business_seconds"],
        hours_per_day=data["hours_per_day"],
        rounds=[Round(*r) for r in data["rounds"]],
        answers=[Answer(*a) for a in data["answers"]],
        spans=[Span(*s) for s in data["spans"]],
        rules=[(r[0], r[1]) for r in data["rules"]],
        declared_rows=[(r[0], r[1]) for r in data["declared_rows"]],
        tasks=[TaskRun(*t) for t in data["tasks"]],
        waits=[EventWait(*w) for w in data["waits"]],
        steps={k: (v[0], v[1]) for k, v in data["steps"].items()},
    )
