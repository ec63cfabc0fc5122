"""The process library in processes/ is ready to adopt: every process checks without a
single warning against processes/team.toml, is in the canonical layout, compiles to the IR
pinned in tests/golden/<name>.ir.json, and is described as it is in docs/processes.md.

New processes are picked up by the glob. After a deliberate change, regenerate with::

    MOPS_UPDATE_GOLDEN=1 MOPS_UPDATE_DOCS=1 python -m pytest tests/test_processes.py
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pytest

from dsl import Catalogue, CheckedProcess, ast, check_file, load_directory, render_all
from dsl._calendar_defs import resolve_calendar
from dsl._format import format_source
from dsl._format_expr import _split
from dsl._graph import build_graph
from dsl._plan import plan
from dsl._render import to_mermaid
from engine.compiler import compile_process
from mops.cli._plan import print_plan
from workers import builtin_registry

ROOT = Path(__file__).resolve().parent.parent
LIBRARY = ROOT / "processes"
GOLDEN = Path(__file__).resolve().parent / "golden"
DOC = ROOT / "docs" / "processes.md"
TEAM = LIBRARY / "team.toml"
PROCESSES = sorted(LIBRARY.glob("*.mops"))
CATALOGUE = Catalogue(builtin_registry().signatures())
# Holidays are pinned from the compile date: a fixed one keeps the golden files stable.
COMPILED_ON = dt.date(2026, 11, 22)
# The quickstart demo is shown verbatim in the README; it is kept as written there.
KEPT_AS_WRITTEN = {"blog_post"}
UPDATE_HINT = "MOPS_UPDATE_GOLDEN=1 MOPS_UPDATE_DOCS=1 python -m pytest tests/test_processes.py"


def _checked(path: Path) -> CheckedProcess:
    return check_file(path, CATALOGUE, directory=load_directory(TEAM))


def _params() -> list[pytest.ParameterSet]:
    return [pytest.param(p, id=p.stem) for p in PROCESSES]


def test_the_library_is_there() -> None:
    names = {p.stem for p in PROCESSES}
    assert len(names) >= 10, f"processes/ holds only {sorted(names)}"


@pytest.mark.parametrize("path", _params())
def test_process_checks_without_any_diagnostic(path: Path) -> None:
    checked = _checked(path)
    assert not checked.diagnostics, render_all(checked.diagnostics, checked.source)
    assert checked.process is not None and checked.process.name == path.stem, (
        f"{path.name}: the process in it should be called '{path.stem}', like its file"
    )


@pytest.mark.parametrize("path", _params())
def test_process_is_in_the_canonical_layout(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    formatted = format_source(text)
    assert format_source(formatted) == formatted, f"mops fmt is not stable on {path.name}"
    if path.stem not in KEPT_AS_WRITTEN:
        assert text == formatted, f"{path.name} is not formatted: run mops fmt {path}"


@pytest.mark.parametrize("path", _params())
def test_process_has_a_header_saying_what_it_is_for_and_how_to_start_it(path: Path) -> None:
    purpose, run = _header(path)
    assert purpose, f"{path.name} starts with no comment saying what it is for"
    assert f"mops run processes/{path.name}" in "\n".join(run), (
        f"{path.name} does not say how to start it ('Start it with:' and the command)"
    )


@pytest.mark.parametrize("path", _params())
def test_process_has_scenarios_for_its_main_and_failure_paths(path: Path) -> None:
    if path.stem in KEPT_AS_WRITTEN:
        pytest.skip("the quickstart demo has no human steps to script")
    scenarios = path.with_suffix(".scenarios")
    assert scenarios.is_file(), f"{path.name} has no {scenarios.name} beside it"
    text = scenarios.read_text(encoding="utf-8")
    assert text.count('\nscenario "') >= 5, f"{scenarios.name}: fewer than 5 scenarios"
    assert "expect outcome failed" in text, f"{scenarios.name} has no failure path"


def _ir_json(path: Path) -> str:
    process = compile_process(_checked(path), CATALOGUE, today=COMPILED_ON)
    text = json.dumps(process.model_dump(mode="json"), indent=1, sort_keys=True) + "\n"
    # Sub-processes are read by their absolute path: keep the golden file portable.
    return text.replace(str(ROOT) + os.sep, "").replace(str(ROOT), ".")


@pytest.mark.parametrize("path", _params())
def test_process_compiles_to_its_golden_ir(path: Path) -> None:
    golden = GOLDEN / f"{path.stem}.ir.json"
    compiled = _ir_json(path)
    if os.environ.get("MOPS_UPDATE_GOLDEN"):
        GOLDEN.mkdir(exist_ok=True)
        golden.write_text(compiled, encoding="utf-8")
    assert golden.is_file(), f"no golden IR for {path.name}; create it with: {UPDATE_HINT}"
    assert compiled == golden.read_text(encoding="utf-8"), (
        f"{path.name} no longer compiles to {golden.relative_to(ROOT)}. If the change is "
        f"intended, regenerate it with: {UPDATE_HINT}, and review the diff"
    )


def test_every_golden_file_has_its_process() -> None:
    names = {p.stem for p in PROCESSES}
    stale = sorted(
        g.name for g in GOLDEN.glob("*.ir.json") if g.name[: -len(".ir.json")] not in names
    )
    assert not stale, f"golden files without a process: {stale}"


def test_docs_describe_the_library_as_it_is() -> None:
    text = render()
    if os.environ.get("MOPS_UPDATE_DOCS"):
        DOC.write_text(text, encoding="utf-8")
    assert DOC.read_text(encoding="utf-8") == text, (
        f"docs/processes.md is out of date; regenerate it with: {UPDATE_HINT}"
    )


# ---- docs/processes.md --------------------------------------------------------


def _header(path: Path) -> tuple[list[str], list[str]]:
    """The leading comment of a file, split into what it is for and how to start it."""
    lines: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        lines.append(line[2:] if line.startswith("# ") else line[1:])
    for i, line in enumerate(lines):
        if line.startswith(("Start", "Run")):
            return lines[:i], lines[i:]
    return lines, []


def _prose(lines: list[str]) -> str:
    """Comment lines as Markdown: paragraphs, and indented lines as shell commands."""
    out: list[str] = []
    paragraph: list[str] = []
    commands: list[str] = []

    def flush() -> None:
        if paragraph:
            out.append(" ".join(paragraph))
            paragraph.clear()
        if commands:
            out.append("```sh\n" + "\n".join(commands) + "\n```")
            commands.clear()

    for line in lines:
        said, colon, command = line.partition(":  mops ")
        if colon and not line.startswith(" "):  # "Run it with:  mops run ..." on one line
            flush()
            paragraph.append(said.strip() + ":")
            flush()
            commands.append("mops " + command)
        elif line.startswith("  "):
            if paragraph:
                flush()
            commands.append(line[2:])
        elif not line.strip():
            flush()
        else:
            if commands:
                flush()
            paragraph.append(line.strip())
    flush()
    return "\n\n".join(out)


def _statements(body: tuple[ast.Statement, ...]) -> list[ast.Statement]:
    found: list[ast.Statement] = []
    for statement in body:
        found.append(statement)
        match statement:
            case ast.If():
                for branch in statement.branches:
                    found += _statements(branch.body)
                found += _statements(statement.orelse or ())
            case ast.Parallel():
                for each in statement.branches:
                    found += _statements(each.body)
            case ast.ForEach():
                found += _statements(statement.body)
            case ast.Exit():
                found += _statements(statement.then)
            case _:
                pass
    return found


def _involved(process: ast.Process) -> dict[str, list[str]]:
    """Each role or person the process names, with what they do in it."""
    involved: dict[str, list[str]] = {}

    def add(party: ast.Party | ast.PartyFrom, what: str) -> None:
        who = (
            f"{party.kind} chosen when the step opens"
            if isinstance(party, ast.PartyFrom)
            else f"{party.kind} {party.name}"
        )
        jobs = involved.setdefault(who, [])
        if what not in jobs:
            jobs.append(what)

    if process.owner is not None:
        add(process.owner, "owns the process")
    for statement in _statements(process.body):
        if isinstance(statement, ast.Human):
            title = statement.display_title
            verb = "does" if statement.kind == "work" else "decides"
            quorum = statement.quorum
            if quorum is not None and quorum.kind == "count":
                verb = f"decides ({quorum.count} must approve)"
            elif quorum is not None and quorum.kind == "all":
                verb = "decides (all must approve)"
            for party in statement.parties:
                add(party, f"{verb} '{title}'")
            for escalation in statement.escalations:
                for party in escalation.to:
                    add(party, f"escalation of '{title}'")
        elif isinstance(statement, ast.Notify):
            for party in statement.parties:
                add(party, "is notified")
    return involved


def _holders() -> dict[str, list[str]]:
    directory = load_directory(TEAM)
    holders: dict[str, list[str]] = {}
    for person_id, person in sorted(directory.people.items()):
        for role in person.roles:
            holders.setdefault(role, []).append(f"{person.name} ({person_id})")
    return holders


def _inputs(checked: CheckedProcess) -> list[str]:
    assert checked.process is not None
    lines = checked.source.text.splitlines()
    rows = ["| input | type | default | notes |", "|---|---|---|---|"]
    for each in checked.process.inputs:
        code, comment = _split(lines[each.span.line - 1].strip())
        declared = code.removeprefix("input ").split(":", 1)[1].strip()
        kind, _, default = declared.partition(" = ")
        note = (comment or "").lstrip("# ")
        shown = f"`{default}`" if default else "required"
        rows.append(f"| `{each.name}` | `{kind}` | {shown} | {_cell(note)} |")
    return rows


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _section(path: Path) -> tuple[str, str]:
    checked = _checked(path)
    process = checked.process
    assert process is not None and checked.file is not None
    title = process.title or process.name
    purpose, run = _header(path)
    calendar = (
        None if process.calendar is None else resolve_calendar(checked.file, process.calendar.name)
    )
    worst = plan(process, build_graph(process), calendar, catalogue=CATALOGUE, file=checked.file)
    holders = _holders()
    people = ["| who | holders in team.toml | part in the process |", "|---|---|---|"]
    for party, jobs in _involved(process).items():
        kind, name = party.split(" ", 1)
        held = ", ".join(holders.get(name, [])) if kind == "role" else name
        if name.startswith("chosen"):
            held = "as the campaign decides"
        people.append(f"| `{party}` | {held} | {'; '.join(jobs)} |")
    scenarios = path.with_suffix(".scenarios")
    lines = [
        f"## {process.name}: {title}",
        "",
        f"File: [`processes/{path.name}`](../processes/{path.name})"
        + (
            f" · scenarios: [`processes/{scenarios.name}`](../processes/{scenarios.name})"
            if scenarios.exists()
            else ""
        ),
        "",
        _prose(purpose),
        "",
        "### Inputs",
        "",
        *_inputs(checked),
        "",
        "### Who is involved",
        "",
        *(people if len(people) > 2 else ["Nobody: every step is automated."]),
        "",
        "### Diagram",
        "",
        "```mermaid",
        to_mermaid(build_graph(process), process).rstrip("\n"),
        "```",
        "",
        "### Worst-case duration",
        "",
        f"`mops check --plan processes/{path.name}`:",
        "",
        "```text",
        print_plan(worst),
        "```",
        "",
        "### How to run it",
        "",
        _prose(run) if run else f"```sh\nmops run processes/{path.name}\n```",
        "",
    ]
    index = f"| [{process.name}](#{_anchor(process.name, title)}) | {title} | {worst.total_text} |"
    return "\n".join(lines), index


def _anchor(name: str, title: str) -> str:
    heading = f"{name}: {title}".lower()
    kept = "".join(c for c in heading if c.isalnum() or c in " -_")
    return kept.replace(" ", "-")


INTRO = """\
# The process library

Ready-made marketing-ops processes in [`processes/`](../processes/), written in the
[process language](language.md). Each one checks without a single warning (`mops check`),
every human step has a deadline and an escalation target, and every role it
names is held by someone in the shared team directory
[`processes/team.toml`](../processes/team.toml) (see [team.md](team.md)). Copy a process and
its team entries, point its URL inputs at your own CRM, CMS, ad platform and marketing
automation platform, and give the workers the secrets it names (see
[actions.md](actions.md#secrets)).

Each process of the library (all but the quickstart demo `blog_post`) has a scenario file
beside it, `processes/NAME.scenarios`: its main path and its failure paths written as a test
plan (rejections and rework, missed deadlines and escalations, failing actions, rounds running
out, events that never arrive), with the answers people give and what the campaign must do.

This page is generated from the process files by `tests/test_processes.py`, which also pins
each compiled process in `tests/golden/`; after changing a process, regenerate both as that
file's docstring says.

The worst cases below come from `mops check --plan`: every human step takes its deadline
and escalations, every rework loop its maximum rounds, every task all its attempts. Waits
until a date and sub-processes are not counted (a sub-process has its own section).

| process | what it is | worst case |
|---|---|---|
"""


def render() -> str:
    sections = [_section(path) for path in PROCESSES]
    index = "\n".join(row for _, row in sections)
    return INTRO + index + "\n\n" + "\n".join(text for text, _ in sections)
