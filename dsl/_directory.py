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
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from bounds import is_email
from dsl._suggest import did_you_mean
from dsl._zones import is_zone

_ID = re.compile(r"^[a-z][a-z0-9_]*$")


class DirectoryError(ValueError):
    """A team directory that cannot be used; the message names the file and the entry."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Absence:
    """A period someone is away, and who acts for them meanwhile."""

    start: dt.date
    until: dt.date
    """The last day away (inclusive)."""
    delegate: str | None = None

    def covers(self, day: dt.date) -> bool:
        return self.start <= day <= self.until


@dataclass(frozen=True, slots=True, kw_only=True)
class Person:
    """Someone who can be assigned work, approve, or be notified."""

    id: str
    name: str
    email: str
    roles: tuple[str, ...] = ()
    notify: Literal["email", "webhook"] = "email"
    webhook_secret: str | None = None
    time_zone: str = "UTC"
    away: tuple[Absence, ...] = ()

    def absence_on(self, day: dt.date) -> Absence | None:
        """The absence covering ``day``, if any."""
        return next((a for a in self.away if a.covers(day)), None)


@dataclass(frozen=True, slots=True, kw_only=True)
class Directory:
    """Every role and person of a team, as read from its file."""

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
    return _plain_person(person_id, entry) or _validated_person(person_id, entry, where)


# An entry written the plain way (known keys, TOML's own types, a real e-mail
# address and time zone) is read here; any other goes through the pydantic
# models of dsl._directory_models, which coerce what they can and word every
# problem. Both give the same Person; pydantic is imported only for the others.
_PERSON_KEYS = frozenset(
    {"name", "email", "roles", "notify", "webhook_secret", "time_zone", "away"}
)
_ABSENCE_KEYS = frozenset({"from", "until", "delegate"})


def _plain_person(person_id: str, entry: dict[str, Any]) -> Person | None:
    """The person of a plainly written entry; None for any other (see above)."""
    if not entry.keys() <= _PERSON_KEYS or not {"name", "email"} <= entry.keys():
        return None
    name, email = entry["name"], entry["email"]
    roles = entry.get("roles", [])
    notify = entry.get("notify", "email")
    secret = entry.get("webhook_secret")
    zone = entry.get("time_zone", "UTC")
    away = entry.get("away", [])
    if not (
        type(name) is str
        and type(email) is str
        and is_email(email)
        and type(roles) is list
        and all(type(role) is str for role in roles)
        and notify in ("email", "webhook")
        and (secret is None or type(secret) is str)
        and type(zone) is str
        and is_zone(zone)
        and type(away) is list
    ):
        return None
    absences = [_plain_absence(each) for each in away]
    if None in absences:
        return None
    return Person(
        id=person_id,
        name=name,
        email=email,
        roles=tuple(roles),
        notify=notify,
        webhook_secret=secret,
        time_zone=zone,
        away=tuple(a for a in absences if a is not None),
    )


def _plain_absence(entry: object) -> Absence | None:
    if type(entry) is not dict or not entry.keys() <= _ABSENCE_KEYS:
        return None
    start, until, delegate = entry.get("from"), entry.get("until"), entry.get("delegate")
    if type(start) is not dt.date or type(until) is not dt.date:
        return None
    if delegate is not None and type(delegate) is not str:
        return None
    return Absence(start=start, until=until, delegate=delegate)


def _validated_person(person_id: str, entry: dict[str, Any], where: str) -> Person:
    from pydantic import ValidationError

    from dsl._directory_models import PersonModel

    try:
        model = PersonModel.model_validate({"id": person_id, **entry})
    except ValidationError as error:
        detail = error.errors(include_url=False, include_input=False)[0]
        field = ".".join(str(part) for part in detail["loc"])
        raise DirectoryError(f"{where}.{field}: {detail['msg']}") from None
    away = tuple(Absence(start=a.start, until=a.until, delegate=a.delegate) for a in model.away)
    return Person(
        id=model.id,
        name=model.name,
        email=model.email,
        roles=model.roles,
        notify=model.notify,
        webhook_secret=model.webhook_secret,
        time_zone=model.time_zone,
        away=away,
    )


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
