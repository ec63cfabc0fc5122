"""Parse and check a process file in one call."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dsl import _ast as ast
from dsl._calendars import PRESETS
from dsl._check import check
from dsl._diagnostics import Diagnostic, Severity, has_errors, sort_key
from dsl._directory import Directory
from dsl._graph import process_graph
from dsl._graph_checks import graph_problems
from dsl._limits_check import limit_problems
from dsl._parser import parse_source
from dsl._rules import rule_problems
from dsl._signatures import Catalogue
from dsl._source import SourceFile, Span, gc_paused


@dataclass(frozen=True)
class CheckedProcess:
    """A parsed process and every problem found in it.

    ``process`` is None when the file could not be parsed; ``ok`` is True only
    when there are no errors (warnings allowed).
    """

    source: SourceFile
    file: ast.File | None
    diagnostics: tuple[Diagnostic, ...]
    used: Mapping[str, CheckedProcess] = field(default_factory=dict)
    """The processes of files named by ``use``, checked, by process name."""

    @property
    def process(self) -> ast.Process | None:
        """The file's process, if it parsed and has one."""
        return None if self.file is None else self.file.process

    @property
    def ok(self) -> bool:
        return self.process is not None and not has_errors(self.diagnostics)


def check_source(
    source: SourceFile,
    catalogue: Catalogue,
    *,
    base: Path | None = None,
    directory: Directory | None = None,
    _seen: frozenset[Path] = frozenset(),
) -> CheckedProcess:
    """Parse and check a source; every problem is reported, in file order.

    Args:
        source: The file's text.
        catalogue: The actions workers provide.
        base: The folder ``use "file.mops"`` is relative to (None: no ``use``).
        directory: The team directory to check roles and people against.
    """
    with gc_paused():
        return _check_source(source, catalogue, base, directory, _seen)


def _check_source(
    source: SourceFile,
    catalogue: Catalogue,
    base: Path | None,
    directory: Directory | None,
    _seen: frozenset[Path],
) -> CheckedProcess:
    parsed = parse_source(source)
    problems = list(parsed.diagnostics)
    used: dict[str, CheckedProcess] = {}
    if parsed.file is not None:
        used = _load_uses(parsed.file, base, catalogue, directory, _seen, problems)
    too_long = limit_problems(parsed.file) if parsed.file is not None else []
    problems.extend(too_long)
    if parsed.file is not None and parsed.file.process is not None and not too_long:
        processes = {name: c.process for name, c in used.items() if c.process is not None}
        structural = check(
            parsed.file,
            catalogue,
            directory=directory,
            processes=processes,
            calendars={name: name for name in PRESETS},
        )
        problems.extend(structural)
        process = parsed.file.process
        problems.extend(graph_problems(process, process_graph(process), already=structural))
        inputs = {i.name: i.type.type for i in process.inputs}
        problems.extend(rule_problems(process, inputs, already=structural))
    ordered = tuple(sorted(problems, key=sort_key))
    return CheckedProcess(source, parsed.file, ordered, used)


def _load_uses(
    file: ast.File,
    base: Path | None,
    catalogue: Catalogue,
    directory: Directory | None,
    seen: frozenset[Path],
    problems: list[Diagnostic],
) -> dict[str, CheckedProcess]:
    used: dict[str, CheckedProcess] = {}
    for use in file.uses:
        if base is None:
            problems.append(Diagnostic("N011", f"'{use.path}' cannot be found from here", use.span))
            continue
        path = (base / use.path).resolve()
        if path in seen:
            problems.append(
                Diagnostic("N011", f"'{use.path}' uses this file in turn: a cycle", use.span)
            )
            continue
        if not path.is_file():
            problems.append(
                Diagnostic(
                    "N011",
                    f"there is no file '{use.path}' (looked in {base})",
                    use.span,
                    hint="paths in 'use' are relative to this file's folder",
                )
            )
            continue
        checked = check_file(
            path, catalogue, directory=directory, _seen=seen | {path}, display_name=str(path)
        )
        if not checked.ok or checked.process is None:
            count = sum(1 for d in checked.diagnostics if d.severity is Severity.ERROR)
            problems.append(
                Diagnostic(
                    "N011",
                    f"'{use.path}' has {count} error{'s' if count != 1 else ''}",
                    use.span,
                    hint=f"run: mops check {use.path}",
                )
            )
            continue
        used[checked.process.name] = checked
    return used


def check_file(
    path: Path,
    catalogue: Catalogue,
    *,
    display_name: str | None = None,
    directory: Directory | None = None,
    _seen: frozenset[Path] = frozenset(),
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
    return check_source(
        source,
        catalogue,
        base=path.parent,
        directory=directory,
        _seen=_seen | {path.resolve()},
    )
