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
from collections.abc import Iterable
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
SCHEMA = 1
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
        version: str | None = None,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
    ) -> list[CampaignFacts]:
        """The stored campaigns a selection names (started in [since, until))."""
        clauses: list[str] = ["1 = 1"]
        values: list[str | float] = []
        if process:
            clauses.append("process = ?")
            values.append(process)
        if version:
            clauses.append("version like ?")
            values.append(version[:12] + "%")
        if since:
            clauses.append("started_at >= ?")
            values.append(since.timestamp())
        if until:
            clauses.append("started_at < ?")
            values.append(until.timestamp())
        query = f"select facts from campaigns where {' and '.join(clauses)} order by started_at"
        return [_facts(json.loads(row[0])) for row in self.db.execute(query, values)]


def _plain(facts: CampaignFacts) -> dict[str, Any]:
    data = dataclasses.asdict(facts)
    return _dates_out(data)  # type: ignore[no-any-return]


def _dates_out(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return {"$t": value.timestamp()}
    if isinstance(value, dict):
        return {k: _dates_out(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_dates_out(v) for v in value]
    return value


def _dates_in(value: Any) -> Any:
    if isinstance(value, dict):
        if "$t" in value and len(value) == 1:
            return dt.datetime.fromtimestamp(value["$t"], dt.UTC)
        return {k: _dates_in(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_dates_in(v) for v in value]
    return value


def _facts(data: dict[str, Any]) -> CampaignFacts:
    data = _dates_in(data)
    facts = CampaignFacts(
        **{
            k: v
            for k, v in data.items()
            if k not in {"rounds", "answers", "spans", "rules", "declared_rows", "tasks", "waits"}
        }
    )
    facts.steps = {k: (v[0], v[1]) for k, v in data["steps"].items()}
    facts.rounds = [Round(**r) for r in data["rounds"]]
    facts.answers = [Answer(**a) for a in data["answers"]]
    facts.spans = [Span(**s) for s in data["spans"]]
    facts.rules = [(r[0], r[1]) for r in data["rules"]]
    facts.declared_rows = [(r[0], r[1]) for r in data["declared_rows"]]
    facts.tasks = [TaskRun(**t) for t in data["tasks"]]
    facts.waits = [EventWait(**w) for w in data["waits"]]
    return facts
