"""The floor plan holds: layers and the sandbox wall are checked by import-linter, the
contracts can fail, and no package or module imports itself round a cycle.

The contracts live in pyproject.toml (``[tool.importlinter]``): the layers
bounds < dsl < engine.ir | engine.errors < engine.workflow < engine.audit | engine.compiler |
engine.contracts < engine.client < workers < mops.scenarios < mops.cli, and two
forbidden contracts that keep the workflow package (what the Temporal sandbox
imports) free of parsing, I/O, clocks, randomness and the Temporal client.
docs/architecture.md draws them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

import grimp
import networkx as nx
import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bounds", "dsl", "engine", "workers", "mops")
LINT = Path(sys.executable).parent / "lint-imports"


def lint(where: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT), "--no-cache"],
        cwd=where,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "COLUMNS": "200"},
    )


def test_the_import_contracts_hold() -> None:
    done = lint(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


@pytest.mark.parametrize(
    ("module", "planted", "contract"),
    [
        # I/O inside the sandbox package, directly...
        ("engine/workflow/carry.py", "import socket", "sandbox: no I/O"),
        ("engine/workflow/values.py", "import temporalio.client", "sandbox: no I/O"),
        ("engine/workflow/_blocks.py", "from time import monotonic", "sandbox: no I/O"),
        # ...or through what it imports: the compiler reads files with Lark.
        ("engine/workflow/work_items.py", "from engine import compiler", "sandbox: no parser"),
        ("engine/workflow/rules.py", "import lark", "sandbox: no parser"),
        # A lower layer reaching up.
        ("dsl/_ast.py", "import engine.ir", "layers of the floor plan"),
        ("bounds/_address.py", "import dsl", "layers of the floor plan"),
        ("engine/audit/_model.py", "from engine.client import act", "layers of the floor plan"),
        ("workers/_config.py", "import mops.cli", "layers of the floor plan"),
        # `mops status` on the embedded server does without the SDK and pydantic.
        ("engine/local/_status.py", "import temporalio.client", "the local installation"),
        ("engine/local/_record.py", "from pydantic import BaseModel", "the local installation"),
        ("engine/local/_settings.py", "from engine import client", "layers of the floor plan"),
        # The people's app and its web framework stay out of the engine and the workers.
        ("engine/client/_links.py", "import mops.web", "the people's app stays"),
        ("workers/builtins/notify.py", "import fastapi", "the people's app stays"),
        ("mops/web/_render.py", "import mops.cli", "layers of the floor plan"),
    ],
)
def test_a_planted_import_breaks_a_contract(
    tmp_path: Path, module: str, planted: str, contract: str
) -> None:
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("*.pyc"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    target = tmp_path / module
    target.write_text(target.read_text() + f"\n{planted}  # planted by the test\n")
    done = lint(tmp_path)
    assert done.returncode != 0
    broken = [line for line in done.stdout.splitlines() if line.endswith("BROKEN")]
    assert any(contract in line for line in broken), done.stdout


def _graph() -> nx.DiGraph:
    found = grimp.build_graph(*PACKAGES, cache_dir=None)
    graph = nx.DiGraph()
    for module in found.modules:
        graph.add_node(module)
        for imported in found.find_modules_directly_imported_by(module):
            graph.add_edge(module, imported)
    return graph


def _cycles(graph: nx.DiGraph) -> list[list[str]]:
    return sorted(sorted(c) for c in nx.strongly_connected_components(graph) if len(c) > 1)


def _package(module: str, packages: Iterable[str]) -> str:
    """The package a module belongs to (a package's ``__init__`` belongs to itself)."""
    return module if module in packages else module.rsplit(".", 1)[0]


def test_no_module_imports_itself_round_a_cycle() -> None:
    assert _cycles(_graph()) == []


def test_no_package_imports_itself_round_a_cycle() -> None:
    modules = _graph()
    packages = {m for m in modules if (ROOT / m.replace(".", "/") / "__init__.py").exists()}
    collapsed = nx.DiGraph()
    for importer, imported in modules.edges:
        a, b = _package(importer, packages), _package(imported, packages)
        # A package's own modules and its subpackages' are one house: count only
        # imports between packages neither of which holds the other.
        if a != b and not b.startswith(a + ".") and not a.startswith(b + "."):
            collapsed.add_edge(a, b)
    assert _cycles(collapsed) == []
