"""The language server, ``mops lsp``: the checker, formatter and symbol tables in the editor.

It speaks the Language Server Protocol over stdio (pygls): diagnostics as the
designer types (the same as ``mops check``'s), hover, completion, go to
definition, references, rename of a step, the outline, formatting (``mops
fmt``) and a quick fix for every "did you mean" hint. docs/editors.md says how
to use it from VS Code, Neovim and Helix.
"""

from __future__ import annotations

from mops.lsp._analysis import Analyser, Analysis
from mops.lsp._server import DEBOUNCE_SECONDS, MopsServer, build_server

__all__ = ["DEBOUNCE_SECONDS", "Analyser", "Analysis", "MopsServer", "build_server", "serve"]


def serve(*, debounce: float = DEBOUNCE_SECONDS) -> None:
    """Run the server on stdin and stdout until the editor closes it."""
    from workers import action_catalogue

    build_server(Analyser(action_catalogue()), debounce=debounce).start_io()
