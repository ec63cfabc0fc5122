"""The commands that only read files start without the Temporal SDK, httpx or the workers;
``mops status`` on the embedded server without the SDK or pydantic either.

Speed itself is measured by ``python -m bench startup`` (docs/benchmarks.md);
what is guarded here is the cause of slowness a designer would feel: a module
imported by a command that never uses it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from imported import imported_by
from mops_cli import Mops

ROOT = Path(__file__).resolve().parent.parent
LIBRARY_FILE = ROOT / "processes" / "lead_routing.mops"

# What talks to Temporal or runs actions: never needed to read a process file.
NOT_FOR_FILES = (
    "temporalio",
    "httpx",
    "grpc",
    "google.protobuf",
    "workers.builtins",
    "workers._action",
    "workers._registry",
    "workers._worker",
    "engine.client",
    "engine.workflow",
    "engine.compiler",
    "engine.audit",
    "asyncio",
)


def forbidden(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == f or m.startswith(f + ".") for f in NOT_FOR_FILES))


@pytest.mark.parametrize(
    "words",
    [
        ("check", str(LIBRARY_FILE)),
        ("check", "--json", str(LIBRARY_FILE)),
        ("fmt", "--check", str(LIBRARY_FILE)),
        ("graph", str(LIBRARY_FILE)),
        ("--help",),
        ("--version",),
    ],
    ids=lambda words: " ".join(w for w in words if not w.startswith("/")),
)
def test_file_commands_import_no_temporal_sdk_httpx_or_worker(
    words: tuple[str, ...], tmp_path: Path
) -> None:
    modules, done = imported_by(*words, folder=tmp_path)
    assert done.returncode in (0, 1), done.stderr[-2000:]
    assert "dsl" in modules or words[0].startswith("--")
    assert forbidden(modules) == []


def test_check_still_knows_every_builtin_action(tmp_path: Path) -> None:
    # The catalogue comes as data, yet a misspelt action still gets its did-you-mean.
    process = tmp_path / "mail.mops"
    process.write_text(
        'process mail "Mail"\n'
        '  task hello = email.sned(to: ["a@example.com"], subject: "Hi", body: "Hello")\n'
    )
    modules, done = imported_by("check", str(process), folder=tmp_path)
    assert done.returncode == 1
    assert "no worker provides the action 'email.sned'" in done.stderr
    assert "did you mean 'email.send'?" in done.stderr
    assert forbidden(modules) == []


def test_help_imports_no_language_either(tmp_path: Path) -> None:
    modules, done = imported_by("--help", folder=tmp_path)
    assert done.returncode == 0
    assert not {m for m in modules if m == "dsl" or m.startswith(("dsl.", "lark", "pydantic"))}


# What a file that parses is checked, formatted and drawn without (issue 17's targets):
# networkx loads every algorithm it has, pydantic builds its schemas, holidays lists
# 250 countries, Lark builds its parser; the checks use our own small graph
# (dsl/_digraph.py), plain data classes, and tables kept as data.
HEAVY = {"networkx", "pydantic", "pydantic_core", "holidays", "lark", "typing_extensions"}


@pytest.mark.parametrize(
    "words",
    [
        ("check", str(LIBRARY_FILE)),
        ("check", str(ROOT / "processes" / "webinar.mops")),  # a calendar with holidays
        ("check", str(ROOT / "processes" / "blog_post.mops")),  # the team directory beside it
        ("fmt", "--check", str(LIBRARY_FILE)),
        ("graph", str(LIBRARY_FILE)),
        ("graph", "--format", "svg", str(LIBRARY_FILE)),
    ],
    ids=lambda words: " ".join(w if not w.startswith("/") else Path(w).name for w in words),
)
def test_file_commands_need_no_networkx_pydantic_holidays_or_lark(
    words: tuple[str, ...], tmp_path: Path
) -> None:
    modules, done = imported_by(*words, folder=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert {m.split(".")[0] for m in modules} & HEAVY == set()


def test_a_file_with_mistakes_still_gets_lark_to_explain_them(tmp_path: Path) -> None:
    process = tmp_path / "broken.mops"
    process.write_text('process broken "Broken"\n  task = log.info(message: "x")\n')
    modules, done = imported_by("check", str(process), folder=tmp_path)
    assert done.returncode == 1
    assert "[S0" in done.stderr  # a syntax error, explained
    assert "lark" in modules


def test_help_imports_nothing_it_does_not_print(tmp_path: Path) -> None:
    modules, done = imported_by("--help", folder=tmp_path)
    assert done.returncode == 0
    assert "typing" not in modules  # 5 ms of a 50 ms start


def test_fmt_needs_neither_the_graph_nor_pydantic(tmp_path: Path) -> None:
    modules, done = imported_by("fmt", "--check", str(LIBRARY_FILE), folder=tmp_path)
    assert done.returncode in (0, 1)
    assert {m.split(".")[0] for m in modules} & {"networkx", "pydantic", "holidays"} == set()


# What `mops status` does without on the embedded server: it asks the server's HTTP API
# with the standard library (engine.local), and prints values with engine.audit's
# readers of values alone (docs/benchmarks.md: the SDK costs more than the target).
NOT_FOR_STATUS = (
    "temporalio",
    "httpx",
    "grpc",
    "google.protobuf",
    "workers",
    "pydantic",
    "dsl",
    "lark",
    "networkx",
    "engine.client",
    "engine.workflow",
    "engine.compiler",
    "engine.ir",
    "engine.insights",
    "asyncio",
)


@pytest.mark.e2e
@pytest.mark.parametrize("words", [("no-such-campaign",), ("no-such-campaign", "--json")])
def test_status_on_the_embedded_server_imports_no_temporal_sdk_or_pydantic(
    words: tuple[str, ...], mops: Mops, tmp_path: Path
) -> None:
    assert mops("server", "start").returncode == 0
    modules, done = imported_by("status", *words, folder=tmp_path, env=mops.env)
    assert done.returncode == 1, done.stderr
    assert "no campaign 'no-such-campaign'" in done.stdout + done.stderr
    assert "engine.local" in modules
    assert (
        sorted(m for m in modules if any(m == f or m.startswith(f + ".") for f in NOT_FOR_STATUS))
        == []
    )
    audit = sorted(m for m in modules if m.startswith("engine.audit."))
    assert audit in ([], ["engine.audit._values"])
