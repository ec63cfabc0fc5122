"""Formatting (``mops fmt``) and quick fixes (every "did you mean ...?" hint, in one click)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types

from dsl import FormatError, format_source, suggested_fix
from mops.lsp._analysis import Analysis
from mops.lsp._positions import to_position, to_range

if TYPE_CHECKING:
    from mops.lsp._base import MopsServer


def register(server: MopsServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_FORMATTING)
    def formatting(
        ls: MopsServer, params: types.DocumentFormattingParams
    ) -> list[types.TextEdit] | None:
        return format_edits(ls.analysis(params.text_document.uri))

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix]),
    )
    def code_action(ls: MopsServer, params: types.CodeActionParams) -> list[types.CodeAction]:
        return quick_fixes(ls.analysis(params.text_document.uri), params.range)


def format_edits(analysis: Analysis) -> list[types.TextEdit] | None:
    """One edit that turns the document into ``mops fmt``'s layout; None when it has
    syntax errors (the diagnostics say why) or is already formatted."""
    if analysis.scenario:
        return None
    text = analysis.source.text
    try:
        formatted = format_source(text)
    except (FormatError, RuntimeError):
        return None
    if formatted == text:
        return []
    lines = analysis.lines
    end = to_position(lines, len(lines), len(lines[-1]) + 1)
    whole = types.Range(start=types.Position(line=0, character=0), end=end)
    return [types.TextEdit(range=whole, new_text=formatted)]


def quick_fixes(analysis: Analysis, where: types.Range) -> list[types.CodeAction]:
    """A quick fix for each diagnostic with a "did you mean" hint that touches ``where``."""
    actions: list[types.CodeAction] = []
    for diagnostic in analysis.diagnostics:
        shown = to_range(analysis.lines, diagnostic.span)
        if not _touches(shown, where):
            continue
        fix = suggested_fix(diagnostic, analysis.source)
        if fix is None:
            continue
        from mops.lsp._base import lsp_diagnostic

        edit = types.TextEdit(range=to_range(analysis.lines, fix.span), new_text=fix.text)
        actions.append(
            types.CodeAction(
                title=fix.title,
                kind=types.CodeActionKind.QuickFix,
                diagnostics=[lsp_diagnostic(analysis, diagnostic)],
                edit=types.WorkspaceEdit(changes={analysis.uri: [edit]}),
                is_preferred=True,
            )
        )
    return actions


def _touches(a: types.Range, b: types.Range) -> bool:
    start = (a.start.line, a.start.character)
    end = (a.end.line, a.end.character)
    return start <= (b.end.line, b.end.character) and (b.start.line, b.start.character) <= end
