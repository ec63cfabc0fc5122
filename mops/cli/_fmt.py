"""``mops fmt [--check] FILE...``: rewrite process files in the canonical layout.

Each file is replaced atomically (a temporary file beside it, then
``os.replace``), so an interrupted run leaves either the old text or the new
one, never half of either. A file with syntax errors is left alone and its
problems are printed, as ``mops check`` prints them.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
import tempfile
from pathlib import Path

from dsl import FormatError, SourceFile, format_source, render_all
from mops.cli._commands import summary
from mops.cli._common import print_json


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("fmt", help=summary("fmt"))
    parser.add_argument(
        "files", nargs="+", type=Path, metavar="FILE", help="process files (.mops) to format"
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="change nothing; list the files that would change and exit 1 if there are any",
    )
    parser.add_argument("--json", action="store_true")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    failed = False
    report: list[dict[str, str]] = []
    for path in args.files:
        problems = io.StringIO()
        with contextlib.redirect_stderr(problems) if args.json else contextlib.nullcontext():
            outcome = _format_one(path, check=args.check)
        failed = failed or outcome in ("failed", "would change")
        if args.json:
            report.append({"file": str(path), "outcome": outcome, "problems": problems.getvalue()})
        elif outcome not in ("failed", "unchanged"):
            print(f"{path}: {outcome}")
    if args.json:
        print_json(report)
    return 1 if failed else 0


def _format_one(path: Path, *, check: bool) -> str:
    """Format one file; the outcome is printed by the caller, problems here."""
    if not path.is_file():
        why = "is a folder, not a process file" if path.is_dir() else "no such file"
        print(f"{path}: {why}", file=sys.stderr)
        return "failed"
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as error:
        print(f"{path}: cannot be read ({error.strerror or error})", file=sys.stderr)
        return "failed"
    except UnicodeDecodeError as error:
        print(f"{path}: is not UTF-8 text (byte {error.start})", file=sys.stderr)
        return "failed"
    try:
        formatted = format_source(text)
    except FormatError as error:
        print(render_all(error.diagnostics, SourceFile.from_text(text, str(path))), file=sys.stderr)
        print(f"{path}: not formatted: fix the problems above first", file=sys.stderr)
        return "failed"
    except RuntimeError as error:
        print(f"{path}: not formatted: {error} (please report this)", file=sys.stderr)
        return "failed"
    if formatted == text:
        return "unchanged"
    if check:
        return "would change"
    try:
        _replace(path, formatted)
    except OSError as error:
        print(f"{path}: cannot be written ({error.strerror or error})", file=sys.stderr)
        return "failed"
    return "formatted"


def _replace(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically, keeping the file's permissions."""
    mode = path.stat().st_mode & 0o7777
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        Path(temporary).chmod(mode)
        Path(temporary).replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            Path(temporary).unlink()
        raise
