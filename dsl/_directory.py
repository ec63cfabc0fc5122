"""The team directory: people, their roles, how to reach them, and when they are away.

A project keeps it in ``team.toml`` beside its processes::

    [roles]
    editor = "Reviews drafts before publication"

    [people.ana]
    name = "Ana Schmidt"
    email = "ana@example.com"
    roles = ["editor"]
    notify = "email"            # or "webhook"
    webhook_secret = "chat_ana" # secret holding her chat webhook URL (notify = "webhook")

    [[people.ana.away]]
    from = 2026-12-21
    until = 2027-01-04
    delegate = "ben"

The checker reads it to know roles and people; notifications read it to reach
them. Its SHA-256 is its version, recorded wherever a decision depends on it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import tomllib
import zoneinfo
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bounds import excerpt, is_email
from dsl._suggest import did_you_mean

_ID = re.compile(r"^[a-z][a-z0-9_]*$")


class DirectoryError(ValueError):
    """A team directory that cannot be used; the message names the file and the entry."""


class Absence(BaseModel):
    """A period someone is away, and who acts for them meanwhile."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    start: dt.date = Field(alias="from")
    until: dt.date
    """The last day away (inclusive)."""
    delegate: str | None = None

    def covers(self, day: dt.date) -> bool:
        return self.start <= day <= self.until


class Person(BaseModel):
    """Someone who can be assigned work, approve, or be notified."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    name: str
    email: str
    roles: tuple[str, ...] = ()
    notify: Literal["email", "webhook"] = "email"
    webhook_secret: str | None = None
    time_zone: str = "UTC"
    away: tuple[Absence, ...] = ()

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"'{value}' is not a time zone such as Europe/Berlin") from None
        return value

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        if not is_email(value):
            raise ValueError(f"'{excerpt(value)}' is not an e-mail address")
        return value

    def absence_on(self, day: dt.date) -> Absence | None:
        """The absence covering ``day``, if any."""
        return next((a for a in self.away if a.covers(day)), None)


class Directory(BaseModel):
    """Every role and person of a team, as read from its file."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    roles: dict[str, str]
    people: dict[str, Person]
    source: str = "<directory>"
    version: str = ""
    """SHA-256 of the file's bytes."""

    def with_role(self, role: str) -> list[Person]:
        """Everyone holding ``role``, in file order."""
        return [p for p in self.people.values() if role in p.roles]

    def acting_for(self, person: Person, day: dt.date) -> Person:
        """Who acts for ``person`` on ``day``: their delegate while they are away."""
        absence = person.absence_on(day)
        if absence is None or absence.delegate is None:
            return person
        return self.people[absence.delegate]


def load_directory(path: Path) -> Directory:
    """Read and validate a team directory file.

    Raises:
        DirectoryError: the file is missing, not TOML, or inconsistent; the
            message names the file and the entry at fault.
    """
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise DirectoryError(f"{path}: cannot be read ({error.strerror or error})") from None
    return parse_directory(raw, str(path))


def directory_for(process_file: Path) -> Directory | None:
    """The team directory of a process file: the file ``MOPS_DIRECTORY`` names, else
    the nearest ``team.toml`` in the file's folder or a folder above it; None if none.

    Raises:
        DirectoryError: the directory exists but cannot be used.
    """
    named = os.environ.get("MOPS_DIRECTORY")
    if named:
        return load_directory(Path(named))
    where = process_file.resolve()
    for folder in (where.parent, *where.parents):
        if (folder / "team.toml").is_file():
            return load_directory(folder / "team.toml")
    return None


def parse_directory(raw: bytes, source: str) -> Directory:
    """Validate the bytes of a directory file (see :func:`load_directory`)."""
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise DirectoryError(f"{source}: is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as error:
        raise DirectoryError(f"{source}: is not valid TOML: {error}") from None
    unknown = sorted(set(data) - {"roles", "people"})
    if unknown:
        raise DirectoryError(
            f"{source}: unknown section [{unknown[0]}]; use [roles] and [people.ID]"
        )
    roles = data.get("roles", {})
    if not isinstance(roles, dict) or not all(isinstance(v, str) for v in roles.values()):
        raise DirectoryError(f'{source}: [roles] maps each role to a description: editor = "..."')
    people: dict[str, Person] = {}
    table = data.get("people", {})
    if not isinstance(table, dict):
        raise DirectoryError(f"{source}: [people] holds one table per person: [people.ana]")
    for person_id, entry in table.items():
        people[person_id] = _person(person_id, entry, source)
    problems = list(_consistency(roles, people))
    if problems:
        raise DirectoryError(f"{source}: " + "; ".join(problems))
    return Directory(
        roles=roles, people=people, source=source, version=hashlib.sha256(raw).hexdigest()
    )


def _person(person_id: str, entry: Any, source: str) -> Person:
    where = f"{source}: people.{person_id}"
    if not _ID.match(person_id):
        raise DirectoryError(f"{where}: ids are lower_case words, e.g. people.ana_schmidt")
    if not isinstance(entry, dict):
        raise DirectoryError(f"{where}: must be a table with name, email and roles")
    if "id" in entry:
        raise DirectoryError(f"{where}: the id is the table's name; remove the 'id' key")
    try:
        return Person.model_validate({"id": person_id, **entry})
    except ValidationError as error:
        detail = error.errors(include_url=False, include_input=False)[0]
        field = ".".join(str(part) for part in detail["loc"])
        raise DirectoryError(f"{where}.{field}: {detail['msg']}") from None


def _consistency(roles: dict[str, str], people: dict[str, Person]) -> Iterable[str]:
    # One person, one entry: a second entry with the same e-mail would let someone act
    # twice, or on a step they are barred from (separation of duties).
    first: dict[str, str] = {}
    for person in people.values():
        address = person.email.strip().casefold()
        if address in first:
            owner = first[address]
            yield f"people.{person.id}: the e-mail {person.email} is already people.{owner}'s"
        first.setdefault(address, person.id)
    for person in people.values():
        for role in person.roles:
            if role not in roles:
                hint = did_you_mean(role, roles) or "declare it under [roles]"
                yield f"people.{person.id}.roles: '{role}' is not a role ({hint})"
        if person.notify == "webhook" and not person.webhook_secret:
            yield f'people.{person.id}: notify = "webhook" needs webhook_secret (a secret\'s name)'
        for absence in person.away:
            if absence.until < absence.start:
                yield f"people.{person.id}.away: 'until' {absence.until} is before 'from'"
            if absence.delegate is not None and absence.delegate not in people:
                hint = did_you_mean(absence.delegate, people) or "add them under [people]"
                yield f"people.{person.id}.away: delegate '{absence.delegate}' is unknown ({hint})"
            if absence.delegate == person.id:
                yield f"people.{person.id}.away: a person cannot delegate to themselves"
