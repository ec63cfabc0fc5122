"""Data kept beside the code so that a command need not import the library it came
from (the grammar's tables, the holiday countries, the built-in actions): each file
has a ``python -m MODULE [--write]`` that checks it against the library, or remakes it."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path


def kept_file_command(
    path: Path, wanted: Callable[[], str], module: str, argv: Sequence[str] | None = None
) -> int:
    """Check ``path`` against ``wanted()`` (1 when it differs), or with ``--write``
    write it; says which on standard output."""
    words = sys.argv[1:] if argv is None else argv
    text = wanted()
    if "--write" in words:
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path}")
        return 0
    if not path.is_file() or path.read_text(encoding="utf-8") != text:
        print(f"{path} is out of date: run python -m {module} --write")
        return 1
    print(f"{path} is up to date")
    return 0
