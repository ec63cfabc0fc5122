"""The server: open documents, their analyses, and diagnostics published as the designer types.

Each feature is a small function in a module of its own (hover, completion,
navigation, edits), registered here on one :class:`MopsServer`. Every one of
them reads the document's current :class:`~mops.lsp._analysis.Analysis`,
made by the same checker ``mops check`` runs.
"""

from __future__ import annotations

import asyncio
from importlib.metadata import PackageNotFoundError, version

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from dsl import Diagnostic, Severity
from mops.lsp import _completion, _edits, _hover, _navigation
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


def build_server(analyser: Analyser, *, debounce: float = DEBOUNCE_SECONDS) -> MopsServer:
    """A server with every feature registered."""
    server = MopsServer(analyser, debounce=debounce)

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: MopsServer, params: types.DidOpenTextDocumentParams) -> None:
        ls.publish(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: MopsServer, params: types.DidChangeTextDocumentParams) -> None:
        ls.schedule(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: MopsServer, params: types.DidSaveTextDocumentParams) -> None:
        ls.publish(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: MopsServer, params: types.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        waiting = ls.pending.pop(uri, None)
        if waiting is not None:
            waiting.cancel()
        ls.analyses.pop(uri, None)
        ls.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=[])
        )

    _hover.register(server)
    _completion.register(server)
    _navigation.register(server)
    _edits.register(server)
    return server
