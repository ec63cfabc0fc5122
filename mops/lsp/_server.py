"""The server: each feature is a small function in a module of its own (hover,
completion, navigation, edits), registered here on one :class:`MopsServer`."""

from __future__ import annotations

from lsprotocol import types

from mops.lsp import _completion, _edits, _hover, _navigation
from mops.lsp._analysis import Analyser
from mops.lsp._base import DEBOUNCE_SECONDS, MopsServer, lsp_diagnostic

__all__ = ["DEBOUNCE_SECONDS", "MopsServer", "build_server", "lsp_diagnostic"]


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
