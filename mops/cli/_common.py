"""What several commands share: the action catalogue, compiling, connecting, printing."""

from __future__ import annotations

import getpass
import json
import sys
from pathlib import Path
from typing import Any

from temporalio.client import Client

from dsl import Catalogue, Directory, DirectoryError, directory_for, render_all
from engine.client import ConnectionInfo, Settings, connect
from engine.compiler import CompileFailed, compile_file
from engine.errors import UserError
from engine.ir import ProcessIR
from workers import Registry, load_registry


def registry() -> Registry:
    """The actions this installation offers: built-ins plus installed plugins."""
    return load_registry()


def catalogue(actions: Registry | None = None) -> Catalogue:
    """The action signatures the checker uses, from the worker registry."""
    return Catalogue((actions or registry()).signatures())


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


async def connected(settings: Settings | None = None) -> tuple[Client, ConnectionInfo, Settings]:
    """A client for the configured cluster or the embedded server (started if needed)."""
    settings = settings or Settings.from_env()
    client, info = await connect(settings)
    return client, info, settings


def team_directory(process_file: Path) -> Directory | None:
    """The team directory for a process file (``MOPS_DIRECTORY``, else the nearest
    ``team.toml`` in the file's folder or a folder above it).

    Raises:
        UserError: the directory exists but cannot be used.
    """
    try:
        return directory_for(process_file)
    except DirectoryError as error:
        raise UserError(str(error)) from None


def who_am_i() -> str:
    """The local user name, recorded as who started a campaign."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def print_json(value: Any) -> None:
    """Print machine-readable output for scripts (``--json``)."""
    print(json.dumps(value, indent=2, default=str, ensure_ascii=False))


def show_value(value: Any) -> str:
    """A JSON value as a designer would write it: money as '2500 EUR', lists with commas."""
    if isinstance(value, dict) and set(value) == {"amount", "currency"}:
        return f"{value['amount']} {value['currency']}"
    if isinstance(value, list):
        return ", ".join(show_value(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if value == "":
        return '""'
    return str(value)
