"""The action catalogue the checker reads as data equals what the worker registry exports."""

from __future__ import annotations

import json
import subprocess
import sys

from workers import action_catalogue, builtin_registry, builtin_signatures
from workers._catalogue import BUILTIN_CATALOGUE, generated_builtin_catalogue


def test_the_checked_in_catalogue_is_what_the_registry_exports() -> None:
    # If this fails, a built-in action changed: python -m workers._catalogue --write
    assert BUILTIN_CATALOGUE.read_text(encoding="utf-8") == generated_builtin_catalogue()
    assert builtin_signatures() == builtin_registry().signatures()


def test_the_catalogue_holds_every_builtin_action_with_its_arguments() -> None:
    catalogue = action_catalogue(entry_points=False)
    assert catalogue.names == builtin_registry().names
    send = catalogue.get("email.send")
    assert send is not None
    assert [p.name for p in send.params if p.required] == ["to", "subject", "body"]


def test_a_stale_catalogue_is_reported_with_the_command_that_fixes_it(tmp_path: object) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "workers._catalogue"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout
    assert "is up to date" in done.stdout
    data = json.loads(BUILTIN_CATALOGUE.read_text(encoding="utf-8"))
    assert data["format"] == 1
