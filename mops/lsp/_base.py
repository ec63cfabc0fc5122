"""The server's state: open documents, their analyses, diagnostics published as the designer types.

Every feature reads the document's current :class:`~mops.lsp._analysis.Analysis`,
made by the same checker ``mops check`` runs.
"""

from __future__ import annotations

import asyncio
from importlib.metadata import PackageNotFoundError, version

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from dsl import Diagnostic, Severity
from mops.lsp._analysis import Analyser, Analysis
from mops.lsp._positions import to_range

DEBOUNCE_SECONDS = 0.25
"""How long typing must pause before a changed document is checked again."""


def _version() -> str:
    try:
        return version("mops-flow")
    except PackageNotFoundError:
        return "unknown"


class MopsServer(LanguageServer):
    """A language server for ``.mops`` process files and ``.scenarios`` files."""

    def __init__(self, analyser: Analyser, *, debounce: float = DEBOUNCE_SECONDS) -> None:
        super().__init__(
            "mops", _version(), text_document_sync_kind=types.TextDocumentSyncKind.Full
        )
        self.analyser = analyser
        self.debounce = debounce
        self.analyses: dict[str, Analysis] = {}
        self.pending: dict[str, asyncio.Task[None]] = {}

    def analysis(self, uri: str) -> Analysis:
        """The analysis of the document as it is now (made now if it changed since)."""
        document = self.workspace.get_text_document(uri)
        known = self.analyses.get(uri)
        if known is not None and known.version == document.version:
            return known
        made = self.analyser.analyse(uri, document.source, document.version)
        self.analyses[uri] = made
        return made

    def publish(self, uri: str) -> None:
        """Check the document and send its diagnostics, marked with the version checked."""
        made = self.analysis(uri)
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(
                uri=uri,
                version=made.version,
                diagnostics=[lsp_diagnostic(made, each) for each in made.diagnostics],
            )
        )

    def schedule(self, uri: str) -> None:
        """Check the document once typing has paused for :attr:`debounce` seconds."""
        waiting = self.pending.pop(uri, None)
        if waiting is not None:
            waiting.cancel()
        self.pending[uri] = asyncio.get_running_loop().create_task(self._later(uri))

    async def _later(self, uri: str) -> None:
        await asyncio.sleep(self.debounce)
        self.pending.pop(uri, None)
        if uri in self.workspace.text_documents:
            self.publish(uri)


def lsp_diagnostic(analysis: Analysis, diagnostic: Diagnostic) -> types.Diagnostic:
    """A diagnostic as the editor shows it: ``mops check``'s message, its hint below."""
    message = diagnostic.message
    if diagnostic.hint:
        message += f"\nhint: {diagnostic.hint}"
    return types.Diagnostic(
        range=to_range(analysis.lines, diagnostic.span),
        message=message,
        severity=(
            types.DiagnosticSeverity.Error
            if diagnostic.severity is Severity.ERROR
            else types.DiagnosticSeverity.Warning
        ),
        code=diagnostic.code,
        source="mops",
    )
