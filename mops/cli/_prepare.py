"""What the commands that run processes share: the worker registry and compiling."""

from __future__ import annotations

import sys
from pathlib import Path

from dsl import render_all
from engine.compiler import CompileFailed, compile_file
from engine.ir import ProcessIR
from mops.cli._common import catalogue, team_directory
from workers import Registry, load_registry


def registry() -> Registry:
    """The actions this installation offers: built-ins plus installed plugins."""
    return load_registry()


def compile_or_explain(path: Path, actions: Registry | None = None) -> ProcessIR:
    """Compile a process file, printing every diagnostic if it has errors.

    Raises:
        UserError: the file cannot be read or has errors (diagnostics already printed).
    """
    try:
        process, checked = compile_file(path, catalogue(actions), directory=team_directory(path))
    except CompileFailed as failed:
        print(render_all(failed.checked.diagnostics, failed.checked.source), file=sys.stderr)
        raise
    warnings = [d for d in checked.diagnostics if d.severity.value == "warning"]
    if warnings:
        print(render_all(warnings, checked.source), file=sys.stderr)
    return process
