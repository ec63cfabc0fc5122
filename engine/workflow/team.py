"""Who may act on a campaign's human steps: the team as the campaign sees it.

A campaign carries a snapshot of the team directory (``team.toml``) taken when
it starts, with the directory's version. It keeps deciding against that
snapshot for its whole life, so an approval checked in March is checked the
same way on replay in May; ``mops team push`` hands running campaigns a newer
version, which is recorded in their history and used from then on. Every
decision records the version it was checked against.

This module is pure data and logic: it runs in the workflow sandbox.
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict


class Away(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    start: dt.date
    until: dt.date
    delegate: str | None = None


class Member(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    roles: tuple[str, ...] = ()
    away: tuple[Away, ...] = ()

    def away_on(self, day: dt.date) -> Away | None:
        return next((a for a in self.away if a.start <= day <= a.until), None)


class TeamSnapshot(BaseModel):
    """The people and roles a campaign checks decisions against."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: str
    """SHA-256 of the directory file this snapshot was taken from."""
    people: dict[str, Member]

    def with_role(self, role: str) -> list[str]:
        return [pid for pid, member in self.people.items() if role in member.roles]

    def delegating_to(self, delegate: str, day: dt.date) -> list[str]:
        """The people away on ``day`` who named ``delegate`` to act for them."""
        found = []
        for pid, member in self.people.items():
            away = member.away_on(day)
            if away is not None and away.delegate == delegate:
                found.append(pid)
        return found


def snapshot(directory: object) -> TeamSnapshot:
    """A snapshot of a :class:`dsl.Directory` (duck-typed: the sandbox never imports dsl)."""
    people = {
        pid: Member(
            roles=tuple(person.roles),
            away=tuple(
                Away(start=a.start, until=a.until, delegate=a.delegate) for a in person.away
            ),
        )
        for pid, person in directory.people.items()  # type: ignore[attr-defined]
    }
    return TeamSnapshot(version=directory.version, people=people)  # type: ignore[attr-defined]
