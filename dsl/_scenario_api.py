"""Parse and check a scenario file in one call."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dsl import _ast as ast
from dsl import _scenario_ast as sc
from dsl._diagnostics import Diagnostic, has_errors, sort_key
from dsl._directory import Directory
from dsl._scenario_check import check_scenarios
from dsl._scenario_parser import parse_scenarios
from dsl._signatures import Catalogue
from dsl._source import SourceFile, Span


@dataclass(frozen=True)
class CheckedScenarios:
    """The scenarios of a file (None if it could not be parsed) and every problem."""

    source: SourceFile
    file: sc.ScenarioFile | None
    diagnostics: tuple[Diagnostic, ...]

    @property
    def ok(self) -> bool:
        return self.file is not None and not has_errors(self.diagnostics)


def check_scenario_source(
    source: SourceFile,
    process: ast.Process,
    catalogue: Catalogue,
    *,
    directory: Directory | None = None,
) -> CheckedScenarios:
    """Parse ``source`` and check its scenarios against ``process``."""
    parsed = parse_scenarios(source)
    problems = list(parsed.diagnostics)
    if parsed.file is not None:
        problems.extend(check_scenarios(parsed.file, process, catalogue, directory))
    return CheckedScenarios(source, parsed.file, tuple(sorted(problems, key=sort_key)))


def check_scenario_file(
    path: Path,
    process: ast.Process,
    catalogue: Catalogue,
    *,
    directory: Directory | None = None,
    display_name: str | None = None,
) -> CheckedScenarios:
    """Read, parse and check a scenario file; a file that is not UTF-8 gets X001.

    Raises:
        OSError: the file cannot be read.
    """
    name = display_name or str(path)
    try:
        source = SourceFile.read(path, display_name=name)
    except UnicodeDecodeError as error:
        text = path.read_bytes().decode("utf-8", errors="replace")
        before = path.read_bytes()[: error.start]
        line = before.count(b"\n") + 1
        problem = Diagnostic(
            "X001",
            f"the file is not UTF-8 text (byte {error.start} cannot be decoded)",
            Span.point(line, 1),
            hint="save it as UTF-8; scenario files are plain text",
        )
        return CheckedScenarios(SourceFile.from_text(text, name), None, (problem,))
    return check_scenario_source(source, process, catalogue, directory=directory)
