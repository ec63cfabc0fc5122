"""Parse and check a process file in one call."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dsl import _ast as ast
from dsl._check import check
from dsl._diagnostics import Diagnostic, has_errors, sort_key
from dsl._parser import parse_source
from dsl._signatures import Catalogue
from dsl._source import SourceFile, Span


@dataclass(frozen=True)
class CheckedProcess:
    """A parsed process and every problem found in it.

    ``process`` is None when the file could not be parsed; ``ok`` is True only
    when there are no errors (warnings allowed).
    """

    source: SourceFile
    process: ast.Process | None
    diagnostics: tuple[Diagnostic, ...]

    @property
    def ok(self) -> bool:
        return self.process is not None and not has_errors(self.diagnostics)


def check_source(source: SourceFile, catalogue: Catalogue) -> CheckedProcess:
    """Parse and check a source; every problem is reported, in file order."""
    parsed = parse_source(source)
    problems = list(parsed.diagnostics)
    if parsed.process is not None:
        problems.extend(check(parsed.process, catalogue))
    return CheckedProcess(source, parsed.process, tuple(sorted(problems, key=sort_key)))


def check_file(
    path: Path, catalogue: Catalogue, *, display_name: str | None = None
) -> CheckedProcess:
    """Read, parse and check a process file.

    A file that is not UTF-8 gets diagnostic S001 rather than an exception.

    Raises:
        OSError: the file cannot be read (missing, a directory, no permission).
    """
    name = display_name or str(path)
    try:
        source = SourceFile.read(path, display_name=name)
    except UnicodeDecodeError as error:
        # Shown with replacement characters, so the caret points at the bad byte.
        data = path.read_bytes()
        source = SourceFile.from_text(data.decode("utf-8", errors="replace"), name)
        before = data[: error.start]
        line = before.count(b"\n") + 1
        col = len(before[before.rfind(b"\n") + 1 :].decode("utf-8", errors="replace")) + 1
        problem = Diagnostic(
            "S001",
            f"the file is not UTF-8 text (byte {error.start} cannot be decoded)",
            Span.point(line, col),
            hint="save it as UTF-8; process files are plain text",
        )
        return CheckedProcess(source, None, (problem,))
    return check_source(source, catalogue)
