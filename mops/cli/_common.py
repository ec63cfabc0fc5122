"""What several commands share: the action catalogue, the team directory, printing.

Light on purpose: the commands that only read files (check, fmt, graph) import
this module, so nothing here may reach the Temporal SDK, httpx or the worker
side. What talks to Temporal is in :mod:`mops.cli._connect`.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import getpass
import json
import os
import secrets
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.errors import UserError

if TYPE_CHECKING:
    from dsl import Catalogue, Directory
    from workers import Registry


def catalogue(actions: Registry | None = None) -> Catalogue:
    """The action signatures the checker uses.

    Args:
        actions: a registry already loaded (``mops run``, ``mops simulate``);
            otherwise the catalogue is read as data, without importing a connector.
    """
    if actions is not None:
        from dsl import Catalogue

        return Catalogue(actions.signatures())
    from workers import action_catalogue

    return action_catalogue()


def team_directory(process_file: Path) -> Directory | None:
    """The team directory for a process file (``MOPS_DIRECTORY``, else the nearest
    ``team.toml`` in the file's folder or a folder above it).

    Raises:
        UserError: the directory exists but cannot be used.
    """
    from dsl import DirectoryError, directory_for

    try:
        return directory_for(process_file)
    except DirectoryError as error:
        raise UserError(str(error)) from None


def who_am_i() -> str:
    """The local user name, recorded as who started a campaign."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def print_json(value: Any) -> None:
    """Print machine-readable output for scripts (``--json``)."""
    print(json.dumps(value, indent=2, default=str, ensure_ascii=False))


def day_or_time(text: str) -> dt.datetime:
    """``2026-11-01`` (midnight UTC) or an ISO date and time (UTC unless it says)."""
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"'{text}' is not a date: write 2026-11-01 or 2026-11-01T09:00+01:00"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so readers see the old file or the new one, never half.

    The temporary file beside ``path`` is created like any new file (the umask
    applies); an existing file keeps its permissions, as ``mops fmt`` keeps them.
    """
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="\n") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        if path.is_file():
            temporary.chmod(path.stat().st_mode & 0o7777)
        temporary.replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise


def sent_back(returned: Mapping[str, Any] | None, round_number: int) -> list[str]:
    """Why a round of a step opened again, as the person who reworks it reads it:
    ``round 2: 'Legal review' rejected round 1`` and each comment, quoted.

    ``returned`` is the JSON of :class:`engine.workflow.facts.Returned`.
    """
    if returned is None:
        return []
    from engine.audit import printable

    changes = returned["outcome"] == "changes_requested"
    outcome = "requested changes in" if changes else "rejected"
    lines = [f"round {round_number}: '{returned['title']}' {outcome} round {returned['round']}"]
    remarks: Sequence[Mapping[str, Any]] = returned.get("remarks") or ()
    lines += [f'{r["by"]}: "{printable(r["comment"])}"' for r in remarks]
    return lines
