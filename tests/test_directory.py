"""The team directory file: what a good one gives, and what a bad one is told."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from dsl import DirectoryError, load_directory, parse_directory

GOOD = b"""\
[roles]
editor = "Reviews drafts"
legal = "Checks claims"

[people.ana]
name = "Ana Schmidt"
email = "ana@acme.com"
roles = ["editor"]

[[people.ana.away]]
from = 2026-12-21
until = 2027-01-04
delegate = "ben"

[people.ben]
name = "Ben Okafor"
email = "ben@acme.com"
roles = ["editor", "legal"]
"""


def test_roles_people_absences_and_version() -> None:
    team = parse_directory(GOOD, "team.toml")
    assert [p.id for p in team.with_role("editor")] == ["ana", "ben"]
    ana = team.people["ana"]
    assert team.acting_for(ana, dt.date(2026, 12, 24)).id == "ben"
    assert team.acting_for(ana, dt.date(2027, 1, 5)).id == "ana"
    assert len(team.version) == 64
    assert parse_directory(GOOD + b"\n", "team.toml").version != team.version


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            (b'roles = ["editor"]\n\n[[', b'roles = ["editr"]\n\n[['),
            "team.toml: people.ana.roles: 'editr' is not a role (did you mean 'editor'?)",
        ),
        (
            (b'delegate = "ben"', b'delegate = "bne"'),
            "team.toml: people.ana.away: delegate 'bne' is unknown (did you mean 'ben'?)",
        ),
        (
            (b'email = "ana@acme.com"', b'email = "ana at acme"'),
            "team.toml: people.ana.email: Value error, 'ana at acme' is not an e-mail address",
        ),
        (
            (b"until = 2027-01-04", b"until = 2026-12-01"),
            "team.toml: people.ana.away: 'until' 2026-12-01 is before 'from'",
        ),
        (
            (b'name = "Ben Okafor"', b'name = "Ben Okafor"\nnotify = "webhook"'),
            'team.toml: people.ben: notify = "webhook" needs webhook_secret (a secret\'s name)',
        ),
        (
            (b"[roles]", b"[rolez]"),
            "team.toml: unknown section [rolez]; use [roles] and [people.ID]",
        ),
        (
            (b"[roles]", b"[roles"),
            "team.toml: is not valid TOML: Expected ']' at the end of a table declaration "
            "(at line 1, column 7)",
        ),
    ],
)
def test_a_bad_directory_names_the_entry(change: tuple[bytes, bytes], message: str) -> None:
    with pytest.raises(DirectoryError) as caught:
        parse_directory(GOOD.replace(*change, 1), "team.toml")
    assert str(caught.value) == message


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(DirectoryError) as caught:
        load_directory(tmp_path / "team.toml")
    assert (
        str(caught.value) == f"{tmp_path / 'team.toml'}: cannot be read (No such file or directory)"
    )


def test_plain_entries_are_read_as_the_pydantic_models_read_them() -> None:
    # Plain entries skip pydantic (mops check need not import it); they must come out the same.
    from dsl._directory import _plain_person, _validated_person

    team = parse_directory(GOOD, "team.toml")
    entries: dict[str, dict[str, Any]] = {
        "ana": {
            "name": "Ana",
            "email": "ana@acme.com",
            "roles": ["editor"],
            "away": [{"from": dt.date(2026, 12, 21), "until": dt.date(2027, 1, 4)}],
        },
        "ben": {
            "name": "Ben",
            "email": "ben@acme.com",
            "notify": "webhook",
            "webhook_secret": "chat_ben",
            "time_zone": "Europe/Berlin",
        },
    }
    for person_id, entry in entries.items():
        plain = _plain_person(person_id, entry)
        assert plain is not None
        assert plain == _validated_person(person_id, entry, "team.toml")
    assert team.people["ana"] == _validated_person(
        "ana",
        {
            "name": "Ana Schmidt",
            "email": "ana@acme.com",
            "roles": ["editor"],
            "away": [{"from": "2026-12-21", "until": "2027-01-04", "delegate": "ben"}],
        },
        "team.toml",
    )
    # What is not plain goes to pydantic, which coerces or words the problem.
    assert _plain_person("ana", {"name": "Ana", "email": "ana@acme.com", "roles": "x"}) is None
    assert (
        _plain_person("ana", {"name": "Ana", "email": "ana@acme.com", "time_zone": "Mars"}) is None
    )
