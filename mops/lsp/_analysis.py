"""One analysis per open document: the same check ``mops check`` runs, kept for the features.

A process file (``.mops``) is checked with :func:`dsl.check_source` against
the action catalogue and the team directory ``mops check`` would use (the
nearest ``team.toml`` or ``MOPS_DIRECTORY``), relative to the file's folder;
a scenario file (``.scenarios``) against the process of the same name beside
it. Each analysis is tied to the document version it was made from.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlparse

from dsl import (
    Catalogue,
    CheckedProcess,
    Diagnostic,
    Directory,
    DirectoryError,
    SourceFile,
    Span,
    Symbols,
    check_file,
    check_scenario_source,
    check_source,
    directory_for,
    symbols,
)
from dsl import ast as dsl_ast


def path_of(uri: str) -> Path | None:
    """The file a ``file:`` URI names; None for an unsaved buffer."""
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        return None
    return Path(unquote(parsed.path))


@dataclass(frozen=True)
class Analysis:
    """What is known of one version of one document."""

    uri: str
    version: int | None
    source: SourceFile
    diagnostics: tuple[Diagnostic, ...]
    file: dsl_ast.File | None
    directory: Directory | None
    checked: CheckedProcess | None = None
    scenario: bool = False
    lines: tuple[str, ...] = field(default=(), repr=False)
    names_from: Symbols | None = None
    """The names to use instead of the file's own (completion in a line that does not parse)."""

    @functools.cached_property
    def symbols(self) -> Symbols:
        """Where each name is defined and used; made when a feature first asks."""
        if self.names_from is not None:
            return self.names_from
        return Symbols() if self.file is None else symbols(self.file)

    @property
    def process(self) -> dsl_ast.Process | None:
        return None if self.file is None else self.file.process


class Analyser:
    """Checks documents with one catalogue; team directories are read as they change."""

    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue

    def analyse(self, uri: str, text: str, version: int | None) -> Analysis:
        path = path_of(uri)
        name = str(path) if path is not None else uri
        source = SourceFile.from_text(text, name)
        directory, problem = self._directory(path)
        if path is not None and path.suffix == ".scenarios":
            return self._scenarios(uri, version, source, path, directory, problem)
        checked = check_source(
            source,
            self.catalogue,
            base=None if path is None else path.parent,
            directory=directory,
        )
        diagnostics = checked.diagnostics + problem
        return Analysis(
            uri,
            version,
            source,
            diagnostics,
            checked.file,
            directory,
            checked,
            lines=source.lines,
        )

    def _scenarios(
        self,
        uri: str,
        version: int | None,
        source: SourceFile,
        path: Path,
        directory: Directory | None,
        problem: tuple[Diagnostic, ...],
    ) -> Analysis:
        process_file = path.with_suffix(".mops")
        diagnostics: tuple[Diagnostic, ...]
        try:
            process = check_file(process_file, self.catalogue, directory=directory)
        except OSError:
            process = None
        if process is None or process.process is None:
            diagnostics = (
                Diagnostic(
                    "X001",
                    f"the scenarios cannot be checked: {process_file.name} "
                    + ("is missing" if process is None else "has errors"),
                    Span.point(1, 1),
                    hint=f"scenarios are checked against the process in {process_file.name}",
                ),
            )
        else:
            checked = check_scenario_source(
                source, process.process, self.catalogue, directory=directory
            )
            diagnostics = checked.diagnostics
        return Analysis(
            uri,
            version,
            source,
            diagnostics + problem,
            None,
            directory,
            scenario=True,
            lines=source.lines,
        )

    def _directory(self, path: Path | None) -> tuple[Directory | None, tuple[Diagnostic, ...]]:
        """The team directory ``mops check`` would use, and a diagnostic if it is broken."""
        if path is None:
            return None, ()
        try:
            return directory_for(path), ()
        except DirectoryError as error:
            # mops check stops with this message; here it is shown at the top of the file.
            return None, (Diagnostic("N012", str(error), Span.point(1, 1)),)
