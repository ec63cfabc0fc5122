"""Editor support: the TextMate grammars and the VS Code extension that starts ``mops lsp``.

The grammar tests and the packing run the tools editors use (``vscode-tmgrammar-test``,
``@vscode/vsce``), installed from the npm registry into ``editors/.tools`` on first
use; without ``npm`` they are skipped, saying so.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from dsl._lalr import grammar
from dsl._parser import _lark

ROOT = Path(__file__).resolve().parent.parent
EDITORS = ROOT / "editors"
EXTENSION = EDITORS / "vscode"
TOOLS = EDITORS / ".tools"
PINNED = ("vscode-tmgrammar-test@0.1.3", "@vscode/vsce@4.1.0")


@pytest.fixture(scope="module")
def npm_tools() -> Path:
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("npm is not installed: the grammar tests and the .vsix packing need it")
    bin_ = TOOLS / "node_modules" / ".bin"
    if not (bin_ / "vsce").exists() or not (bin_ / "vscode-tmgrammar-test").exists():
        subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--prefix", str(TOOLS), *PINNED],
            check=True,
            capture_output=True,
            timeout=600,
        )
    return bin_


def test_the_grammar_colours_what_its_tests_say(npm_tools: Path) -> None:
    done = subprocess.run(
        [
            str(npm_tools / "vscode-tmgrammar-test"),
            "-g",
            "vscode/syntaxes/mops.tmLanguage.json",
            "-g",
            "vscode/syntaxes/scenarios.tmLanguage.json",
            "tests/*",
        ],
        cwd=EDITORS,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "blog_post.mops run successfuly" in done.stdout
    assert "content_review.scenarios run successfuly" in done.stdout


def test_the_extension_packs_into_a_vsix(npm_tools: Path, tmp_path: Path) -> None:
    folder = tmp_path / "vscode"
    shutil.copytree(EXTENSION, folder)
    npm = shutil.which("npm")
    assert npm is not None
    subprocess.run(
        [npm, "install", "--no-audit", "--no-fund", "--omit=dev"],
        cwd=folder,
        check=True,
        capture_output=True,
        timeout=600,
    )
    out = tmp_path / "mops-flow.vsix"
    done = subprocess.run(
        [str(npm_tools / "vsce"), "package", "--out", str(out)],
        cwd=folder,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    names = set(zipfile.ZipFile(out).namelist())
    assert {
        "extension/package.json",
        "extension/extension.js",
        "extension/syntaxes/mops.tmLanguage.json",
        "extension/syntaxes/scenarios.tmLanguage.json",
        "extension/node_modules/vscode-languageclient/package.json",
    } <= names


def test_the_extension_starts_mops_lsp_for_both_kinds_of_file() -> None:
    manifest = json.loads((EXTENSION / "package.json").read_text())
    assert manifest["contributes"]["configuration"]["properties"]["mops.command"]["default"] == [
        "mops",
        "lsp",
    ]
    extensions = {e for lang in manifest["contributes"]["languages"] for e in lang["extensions"]}
    assert extensions == {".mops", ".scenarios"}
    script = (EXTENSION / "extension.js").read_text()
    assert '{ scheme: "file", language: "mops" }' in script
    assert '{ scheme: "file", language: "mops-scenarios" }' in script


def test_the_grammar_knows_every_keyword_of_the_language() -> None:
    words = {w for w in grammar(_lark()).spelling.values() if re.fullmatch(r"[a-z]+", w)}
    text = (EXTENSION / "syntaxes" / "mops.tmLanguage.json").read_text()
    listed = set(re.findall(r"[a-z]+", " ".join(re.findall(r"\\\\b\(([a-z|]+)\)", text))))
    assert words - listed == set()
