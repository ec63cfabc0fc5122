"""``mops graph FILE``: draw a process as a flowchart (Mermaid, Graphviz DOT or SVG)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from dsl import (
    ProcessGraph,
    Severity,
    ast,
    check_file,
    process_graph,
    render_all,
    to_dot,
    to_mermaid,
    to_svg,
)
from engine.errors import UserError
from mops.cli._commands import summary
from mops.cli._common import catalogue, print_json, team_directory, write_atomically

DRAWINGS: dict[str, Callable[[ProcessGraph, ast.Process], str]] = {
    "mermaid": to_mermaid,
    "dot": to_dot,
    "svg": to_svg,
}
SUFFIXES = {".mmd": "mermaid", ".mermaid": "mermaid", ".dot": "dot", ".gv": "dot", ".svg": "svg"}


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("graph", help=summary("graph"))
    parser.add_argument("file", type=Path, metavar="FILE", help="the process file to draw")
    parser.add_argument(
        "--format",
        choices=list(DRAWINGS),
        help="what to draw: mermaid, dot or svg (default: from the --output suffix, else mermaid)",
    )
    parser.add_argument(
        "--output", "-o", type=Path, metavar="PATH", help="write here instead of to stdout"
    )
    parser.add_argument("--json", action="store_true")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    return _draw(args.file, args.output, args.format, as_json=args.json)


def _draw(path: Path, output: Path | None, drawing: str | None, *, as_json: bool = False) -> int:
    """Check the file and draw it; every problem is one message on stderr and exit 1."""
    if not path.is_file():
        why = "is a folder, not a process file" if path.is_dir() else "no such file"
        raise UserError(f"{path}: {why}")
    try:
        checked = check_file(path, catalogue(), directory=team_directory(path))
    except OSError as error:
        raise UserError(f"{path}: cannot be read ({error.strerror or error})") from None
    if checked.diagnostics and not as_json:
        print(render_all(checked.diagnostics, checked.source), file=sys.stderr)
    if not checked.ok or checked.process is None:
        errors = sum(1 for d in checked.diagnostics if d.severity is Severity.ERROR)
        raise UserError(
            f"{path}: {errors} error{'s' if errors != 1 else ''}, not drawn",
            hint=f"mops check {path} shows them",
        )
    suffix = "" if output is None else output.suffix.lower()
    drawing = drawing or SUFFIXES.get(suffix, "mermaid")
    text = DRAWINGS[drawing](process_graph(checked.process), checked.process)
    if output is not None:
        try:
            write_atomically(output, text)
        except OSError as error:
            raise UserError(f"{output}: cannot be written ({error.strerror or error})") from None
    if as_json:
        shown = {"file": str(path), "format": drawing, "output": str(output) if output else None}
        print_json({**shown, "drawing": None if output else text})
    elif output is None:
        sys.stdout.write(text)
    return 0
