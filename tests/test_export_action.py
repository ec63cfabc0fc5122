"""``export.csv`` and ``export.json`` writing real files, run as Temporal activities."""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import json
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from engine.contracts import TaskRequest
from workers import SecretStore, WorkerConfig, builtin_registry

WHERE = 'step "Export leads" (leads.mops:9:3)'
Activity = Callable[[TaskRequest], Awaitable[dict[str, Any]]]

LEADS: list[dict[str, Any]] = [
    {"email": "jane@acme.com", "name": "Jane Doe", "score": 87},
    {"email": "raj@acme.com", "score": 42, "company": "Acme, Inc."},
    {"name": 'Zoë "Z" Müller', "email": "zoe@acme.de", "notes": "line one\nline two"},
]


def _activity(name: str, export_dir: Path) -> Activity:
    registry = builtin_registry()
    activities = registry.activities(
        config=WorkerConfig(export_dir=export_dir), secrets=SecretStore(env={})
    )
    return dict(zip(registry.names, activities, strict=True))[name]


async def _export(kind: str, export_dir: Path, **arguments: Any) -> dict[str, Any]:
    env = ActivityEnvironment()
    env.info = dataclasses.replace(env.info, workflow_id="leads-q3", activity_id="export#1")
    request = TaskRequest(
        step="export", title="Export leads", source="leads.mops:9:3", arguments=arguments
    )
    return await env.run(_activity(f"export.{kind}", export_dir), request)


async def _failure(kind: str, export_dir: Path, **arguments: Any) -> ApplicationError:
    with pytest.raises(ApplicationError) as caught:
        await _export(kind, export_dir, **arguments)
    return caught.value


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


def _names(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


def _describes(result: dict[str, Any], path: Path, rows: int) -> None:
    content = path.read_bytes()
    assert result == {
        "path": str(path),
        "rows": rows,
        "bytes": len(content),
        "sha256": hashlib.sha256(content).hexdigest(),
    }


async def test_csv_has_every_field_first_seen_first(tmp_path: Path) -> None:
    exports = tmp_path / "exports"  # created on first use

    result = await _export("csv", exports, records=LEADS, name="leads-2025-q3")

    path = exports / "leads-2025-q3.csv"
    assert Path(result["path"]).is_absolute()
    _describes(result, path, rows=3)
    assert _read_csv(path) == [
        {"email": "jane@acme.com", "name": "Jane Doe", "score": "87", "company": "", "notes": ""},
        {"email": "raj@acme.com", "name": "", "score": "42", "company": "Acme, Inc.", "notes": ""},
        {
            "email": "zoe@acme.de",
            "name": 'Zoë "Z" Müller',
            "score": "",
            "company": "",
            "notes": "line one\nline two",
        },
    ]


async def test_csv_columns_choose_fields_and_their_order(tmp_path: Path) -> None:
    result = await _export(
        "csv", tmp_path, records=LEADS, name="scores", columns=["score", "email", "region"]
    )

    path = tmp_path / "scores.csv"
    _describes(result, path, rows=3)
    with path.open(encoding="utf-8", newline="") as file:
        assert list(csv.reader(file)) == [
            ["score", "email", "region"],
            ["87", "jane@acme.com", ""],
            ["42", "raj@acme.com", ""],
            ["", "zoe@acme.de", ""],
        ]


async def test_csv_quotes_every_cell_and_writes_other_values_as_json(tmp_path: Path) -> None:
    records = [
        {"text": 'say "hi", then\r\nleave', "none": None, "yes": True, "ratio": 0.5},
        {"text": "Grüße 👋", "tags": ["a", "b,c"], "owner": {"name": "Jane"}},
    ]

    await _export("csv", tmp_path, records=records, name="odd")

    # Every cell quoted (OWASP): a ';' or ',' never starts a cell in any spreadsheet.
    assert (tmp_path / "odd.csv").read_bytes() == (
        '"text","none","yes","ratio","tags","owner"\r\n'
        '"say ""hi"", then\r\nleave","","true","0.5","",""\r\n'
        '"Grüße 👋","","","","[""a"", ""b,c""]","{""name"": ""Jane""}"\r\n'
    ).encode()


async def test_json_keeps_records_and_field_order(tmp_path: Path) -> None:
    result = await _export("json", tmp_path, records=LEADS, name="leads")

    path = tmp_path / "leads.json"
    _describes(result, path, rows=3)
    with path.open(encoding="utf-8") as file:
        loaded = json.load(file)
    assert loaded == LEADS
    assert [list(record) for record in loaded] == [list(record) for record in LEADS]
    text = path.read_text(encoding="utf-8")
    assert text.startswith('[\n  {\n    "email": "jane@acme.com",\n')
    assert '"name": "Zoë \\"Z\\" Müller"' in text  # UTF-8, not \u escapes
    assert text.endswith("}\n]\n")


@pytest.mark.parametrize(
    ("kind", "arguments", "content"),
    [
        ("csv", {}, b""),
        ("csv", {"columns": ["email", "name"]}, b'"email","name"\r\n'),
        ("json", {}, b"[]\n"),
    ],
)
async def test_no_records_still_writes_a_file(
    tmp_path: Path, kind: str, arguments: dict[str, Any], content: bytes
) -> None:
    result = await _export(kind, tmp_path, records=[], name="empty", **arguments)

    assert (tmp_path / f"empty.{kind}").read_bytes() == content
    assert result["rows"] == 0


@pytest.mark.parametrize("kind", ["csv", "json"])
async def test_replaces_an_existing_file_whole_leaving_no_temporary_files(
    tmp_path: Path, kind: str
) -> None:
    path = tmp_path / f"leads.{kind}"
    path.write_text("an older, much longer export\n" * 1000, encoding="utf-8")

    first = await _export(kind, tmp_path, records=LEADS[:1], name="leads")
    content = path.read_bytes()
    again = await _export(kind, tmp_path, records=LEADS[:1], name="leads")  # a retry

    assert first == again
    assert path.read_bytes() == content
    assert b"older" not in content
    assert _names(tmp_path) == [path.name]


async def test_name_may_already_end_with_the_extension(tmp_path: Path) -> None:
    result = await _export("json", tmp_path, records=LEADS, name="leads.v2.json")

    assert result["path"] == str(tmp_path / "leads.v2.json")


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("../../etc/passwd", "name '../../etc/passwd' must not contain path separators"),
        ("a\\b", "name 'a\\b' must not contain path separators"),
        ("leads..csv", "name 'leads..csv' must not contain '..'"),
        ("leads q3", "name 'leads q3' may only contain letters, digits, '_', '.' and '-'"),
        ("résumé", "name 'résumé' may only contain letters, digits, '_', '.' and '-'"),
        (".hidden", "name '.hidden' must not start with '.'"),
        ("", "name must not be empty"),
        ("x" * 201, "name must be at most 200 characters long"),
    ],
)
async def test_bad_names_are_rejected_for_good(tmp_path: Path, name: str, problem: str) -> None:
    error = await _failure("csv", tmp_path, records=LEADS, name=name)

    assert error.non_retryable
    assert error.type == "InvalidArguments"
    assert error.message == f"{WHERE}: argument 'name': Value error, {problem}"
    assert _names(tmp_path) == []


@pytest.mark.parametrize(
    ("columns", "problem"),
    [
        (["email", "score", "email"], "Value error, columns named more than once: email"),
        ([], "List should have at least 1 item after validation, not 0"),
    ],
)
async def test_bad_columns_are_rejected_for_good(
    tmp_path: Path, columns: list[str], problem: str
) -> None:
    error = await _failure("csv", tmp_path, records=LEADS, name="leads", columns=columns)

    assert error.non_retryable
    assert error.message == f"{WHERE}: argument 'columns': {problem}"


async def test_columns_are_for_csv_only(tmp_path: Path) -> None:
    error = await _failure("json", tmp_path, records=LEADS, name="leads", columns=["email"])

    assert error.message == f"{WHERE}: unknown argument 'columns'"


@pytest.fixture
def read_only_folder(tmp_path: Path) -> Iterator[Path]:
    tmp_path.chmod(0o500)
    try:
        (tmp_path / "probe").touch()
    except PermissionError:
        yield tmp_path
    else:  # e.g. root with CAP_DAC_OVERRIDE
        pytest.skip("this user may write to read-only folders")
    finally:
        tmp_path.chmod(0o700)


async def test_read_only_export_folder_fails_for_good_naming_it(read_only_folder: Path) -> None:
    error = await _failure("csv", read_only_folder, records=LEADS, name="leads")

    assert error.non_retryable
    assert error.message == (
        f"{WHERE}: export folder {read_only_folder} is not writable: Permission denied"
    )


async def test_export_folder_that_is_a_file_fails_for_good_naming_it(tmp_path: Path) -> None:
    exports = tmp_path / "exports"
    exports.write_text("not a folder", encoding="utf-8")

    error = await _failure("json", exports, records=LEADS, name="leads")

    assert error.non_retryable
    assert error.message == f"{WHERE}: export folder {exports} is not a folder"
