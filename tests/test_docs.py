"""The documentation tells the truth: its examples check, its commands and settings exist.

Every ```mops block in README.md and docs/*.md is a complete process that
``mops check`` accepts; every ```mops-bad block is rejected; every ``mops``
sub-command the docs name exists; every MOPS_* variable the docs name is read
by the engine or the workers; every ```python block runs, and the ``test_*``
functions it defines pass; every ```toml block of docs/team.md is a valid
team directory.
"""

from __future__ import annotations

import argparse
import inspect
import re
import shutil
import sys
import types
from dataclasses import dataclass
from pathlib import Path

import pytest

from dsl import Catalogue, SourceFile, check_source, has_errors, parse_directory, render_all
from mops.cli import build_parser
from workers import builtin_registry

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
CATALOGUE = Catalogue(builtin_registry().signatures())
_FENCE = re.compile(r'^\s*```\s*([\w-]*)(?:\s+title="[^"]*")?\s*$')


@dataclass(frozen=True)
class Block:
    """One fenced code block: its language, where it starts and its text."""

    path: Path
    line: int
    lang: str
    text: str

    @property
    def where(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"

    def source(self) -> SourceFile:
        """The block as a source whose line numbers are those of the Markdown file."""
        return SourceFile.from_text("\n" * self.line + self.text, str(self.path.relative_to(ROOT)))


def blocks(path: Path) -> list[Block]:
    """The fenced code blocks of a Markdown file, with the line of each opening fence."""
    found: list[Block] = []
    opened: tuple[int, str] | None = None
    body: list[str] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        fence = _FENCE.match(line)
        if fence is None:
            body.append(line)
        elif opened is None:
            opened, body = (number, fence.group(1)), []
        else:
            found.append(Block(path, opened[0], opened[1], "\n".join(body) + "\n"))
            opened = None
    assert opened is None, f"{path.relative_to(ROOT)}:{opened[0]}: code block never closed"
    return found


ALL_BLOCKS = [block for path in DOCS for block in blocks(path)]


def _of(lang: str) -> list[pytest.ParameterSet]:
    return [pytest.param(b, id=b.where) for b in ALL_BLOCKS if b.lang == lang]


@pytest.mark.parametrize("block", _of("mops"))
def test_mops_example_checks(block: Block) -> None:
    source = block.source()
    checked = check_source(source, CATALOGUE)
    problems = render_all(checked.diagnostics, source)
    assert checked.ok, f"the example at {block.where} does not check:\n{problems}"


@pytest.mark.parametrize("block", _of("mops-bad"))
def test_bad_example_is_rejected(block: Block) -> None:
    checked = check_source(block.source(), CATALOGUE)
    assert has_errors(checked.diagnostics), f"the bad example at {block.where} checks cleanly"


def test_the_docs_have_examples() -> None:
    assert len(_of("mops")) >= 10
    assert _of("mops-bad")


def _commands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _mentions(text: str) -> list[list[str]]:
    """Each `mops WORD WORD...` in code spans and code blocks, as its words."""
    code = re.findall(r"```[^\n]*\n(.*?)```", text, re.DOTALL)
    code += re.findall(r"`([^`\n]+)`", re.sub(r"```.*?```", "", text, flags=re.DOTALL))
    # Not a file name such as blog_post.mops or docs/mops: only the command.
    command = r"(?<![\w./-])mops((?: +[a-z][\w|\\-]*)+)"
    words = [re.findall(command, c.replace("\\|", "|")) for c in code]
    return [found.split() for spans in words for found in spans]


def test_operations_names_commands() -> None:
    text = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    assert _mentions(text), "docs/operations.md names no mops command"


@pytest.mark.parametrize("path", [pytest.param(p, id=p.name) for p in DOCS])
def test_docs_name_only_real_commands(path: Path) -> None:
    where = path.relative_to(ROOT)
    for words in _mentions(path.read_text(encoding="utf-8")):
        parser = build_parser()
        said = "mops"
        for word in words:
            choices = _commands(parser)
            if not choices:
                break
            said += f" {word}"
            for each in word.split("|"):
                assert each in choices, f"{where} names '{said}', which does not exist"
            parser = choices[word.split("|")[0]]


# A secret's variable is MOPS_SECRET_<NAME> for any name: the code reads the prefix.
_SECRET_PREFIX = "MOPS_SECRET_"


def test_documented_settings_are_read_by_the_engine_or_workers() -> None:
    code = "\n".join(
        p.read_text(encoding="utf-8")
        for package in ("dsl", "engine", "workers", "mops")
        for p in (ROOT / package).rglob("*.py")
    )
    named = {name for path in DOCS for name in re.findall(r"\bMOPS_[A-Z_]+", path.read_text())}
    assert named, "the docs name no MOPS_* setting"
    read = {_SECRET_PREFIX if n.startswith(_SECRET_PREFIX) else n for n in named}
    unread = sorted(name for name in read if f'"{name}' not in code)
    assert not unread, f"the docs name settings that no code reads: {unread}"


# A block that starts by naming its file ("""acme_mops/crm.py: ...""" or
# "# acme_mops/crm.py") can be imported by the later blocks of its page.
_FILE_NAME = re.compile(r'^(?:"""|#)\s*([A-Za-z_][\w/]*)\.py\b')


def _module_name(block: Block) -> str | None:
    named = _FILE_NAME.match(block.text)
    return named.group(1).replace("/", ".") if named else None


def _load(block: Block, monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    """Run a block as a real module, as a plugin would be: pydantic resolves
    annotations through ``sys.modules``."""
    name = _module_name(block) or "docs_example"
    parts = name.split(".")
    for depth in range(1, len(parts)):
        package = types.ModuleType(".".join(parts[:depth]))
        package.__path__ = []
        monkeypatch.setitem(sys.modules, package.__name__, package)
    module = types.ModuleType(name)
    monkeypatch.setitem(sys.modules, name, module)
    exec(compile(block.text, block.where, "exec"), module.__dict__)
    return module


@pytest.mark.parametrize(
    "block", [pytest.param(b, id=b.where) for b in ALL_BLOCKS if b.lang == "python"]
)
async def test_python_example_runs(
    block: Block, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    if 'Path("processes")' in block.text:
        # An example over the whole library runs on a copy holding one process and
        # the team: tests/test_scenarios_library.py runs every process's scenarios.
        library = tmp_path / "processes"
        library.mkdir()
        for name in ("team.toml", "content_review.mops", "content_review.scenarios"):
            shutil.copy(ROOT / "processes" / name, library / name)
        monkeypatch.chdir(tmp_path)
    earlier = [b for b in blocks(block.path) if b.lang == "python" and b.line < block.line]
    for each in earlier:
        if _module_name(each) is not None:
            _load(each, monkeypatch)
    module = _load(block, monkeypatch)
    tests = [
        value
        for name, value in vars(module).items()
        if name.startswith("test_")
        and inspect.isfunction(value)
        and value.__module__ == module.__name__
    ]
    for test in tests:
        assert not inspect.signature(test).parameters, (
            f"{block.where}: {test.__name__} takes fixtures"
        )
        outcome = test()
        if inspect.isawaitable(outcome):
            await outcome


@pytest.mark.parametrize(
    "block",
    [pytest.param(b, id=b.where) for b in blocks(ROOT / "docs" / "team.md") if b.lang == "toml"],
)
def test_team_directory_example_is_valid(block: Block) -> None:
    parse_directory(block.text.encode(), block.where)  # raises DirectoryError if not
