"""The layers of design.md: dsl -> engine -> workers, one composition root, a pure interpreter."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def imports_of(path: Path) -> set[str]:
    """Every module a file imports (absolute names; relative imports are ours)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def files(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def top(name: str) -> str:
    return name.split(".")[0]


@pytest.mark.parametrize("path", files("dsl"), ids=lambda p: str(p.relative_to(ROOT)))
def test_dsl_imports_nothing_of_ours(path: Path) -> None:
    ours = {top(m) for m in imports_of(path)} & {"engine", "workers"}
    assert not ours


@pytest.mark.parametrize(
    "path",
    [p for p in files("engine") if "cli" not in p.parts],
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_only_the_cli_composes_engine_and_workers(path: Path) -> None:
    assert "workers" not in {top(m) for m in imports_of(path)}


@pytest.mark.parametrize("path", files("workers"), ids=lambda p: str(p.relative_to(ROOT)))
def test_workers_use_only_the_engine_contracts(path: Path) -> None:
    engine = {m for m in imports_of(path) if top(m) == "engine"}
    assert engine <= {"engine.contracts", "engine.errors"}
    assert "dsl" not in {top(m) for m in imports_of(path)}


def closure(module: str) -> set[str]:
    """Our modules that ``module`` imports, directly or not."""
    seen: set[str] = set()
    todo = [module]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        path = ROOT / (name.replace(".", "/") + ".py")
        if not path.exists():
            path = ROOT / name.replace(".", "/") / "__init__.py"
        if path.exists():
            todo.extend(m for m in imports_of(path) if top(m) in {"dsl", "engine", "workers"})
    return seen


def test_the_interpreter_imports_no_lark_no_dsl_and_no_io() -> None:
    reached = closure("engine.interpreter")
    assert not {m for m in reached if top(m) in {"dsl", "workers"}}
    third_party: set[str] = set()
    for name in reached:
        path = ROOT / (name.replace(".", "/") + ".py")
        if path.exists():
            third_party |= {top(m) for m in imports_of(path)}
    forbidden = {
        "lark",
        "networkx",
        "httpx",
        "socket",
        "subprocess",
        "os",
        "pathlib",
        "random",
        "time",
    }
    assert not third_party & forbidden
