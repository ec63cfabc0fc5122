"""The language server: ``mops lsp``, for editors (pygls over stdio)."""
