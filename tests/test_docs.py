"""The documentation tells the truth: its examples check, its commands and settings exist.

Every ```mops block in README.md and docs/*.md is a complete process that
``mops check`` accepts; every ```mops-bad block is rejected; every ``mops``
sub-command that docs/operations.md names exists; every MOPS_* variable the
docs name is read by the engine; every ```python block in docs/actions.md runs.
"""

from __future__ import annotations

import argparse
import re
import sys
import types
from dataclasses import dataclass
from pathlib import Path

import pytest

from dsl import Catalogue, SourceFile, check_source, has_errors, render_all
from engine.cli import build_parser
from workers import builtin_registry

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
CATALOGUE = Catalogue(builtin_registry().signatures())
_FENCE = re.compile(r"^\s*```\s*([\w-]*)\s*$")


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
    words = [re.findall(r"\bmops((?: +[a-z][\w|\\-]*)+)", c.replace("\\|", "|")) for c in code]
    return [found.split() for spans in words for found in spans]


def test_operations_names_only_real_commands() -> None:
    text = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    mentions = _mentions(text)
    assert mentions, "docs/operations.md names no mops command"
    for words in mentions:
        parser = build_parser()
        said = "mops"
        for word in words:
            choices = _commands(parser)
            if not choices:
                break
            said += f" {word}"
            for each in word.split("|"):
                assert each in choices, f"docs/operations.md names '{said}', which does not exist"
            parser = choices[word.split("|")[0]]


def test_documented_settings_are_read_by_the_engine() -> None:
    engine = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "engine").rglob("*.py"))
    named = {name for path in DOCS for name in re.findall(r"\bMOPS_[A-Z_]+", path.read_text())}
    assert named, "the docs name no MOPS_* setting"
    unread = sorted(name for name in named if name not in engine)
    assert not unread, f"the docs name settings the engine never reads: {unread}"


@pytest.mark.parametrize(
    "block", [pytest.param(b, id=b.where) for b in ALL_BLOCKS if b.lang == "python"]
)
def test_python_example_runs(block: Block, monkeypatch: pytest.MonkeyPatch) -> None:
    # A real module, as a plugin would be: pydantic resolves annotations through it.
    module = types.ModuleType("docs_example")
    monkeypatch.setitem(sys.modules, module.__name__, module)
    exec(compile(block.text, block.where, "exec"), module.__dict__)
