"""Go to definition, find references, rename a step, and the outline of a file."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams

from dsl import STEP_KINDS, Definition, Reference, Span
from dsl import ast as dsl_ast
from mops.lsp._analysis import Analysis
from mops.lsp._positions import from_position, to_range

if TYPE_CHECKING:
    from mops.lsp._base import MopsServer

_NAME = re.compile(r"[a-z_][a-z0-9_]*\Z")


def register(server: MopsServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_DEFINITION)
    def definition(ls: MopsServer, params: types.DefinitionParams) -> list[types.Location] | None:
        analysis = ls.analysis(params.text_document.uri)
        found = definitions_at(analysis, params.position)
        return [_location(analysis, d.span) for d in found] or None

    @server.feature(types.TEXT_DOCUMENT_REFERENCES)
    def references(ls: MopsServer, params: types.ReferenceParams) -> list[types.Location] | None:
        analysis = ls.analysis(params.text_document.uri)
        found = definitions_at(analysis, params.position)
        if not found:
            return None
        spans = [r.span for r in uses_of(analysis, found[0])]
        if params.context.include_declaration:
            spans += [d.span for d in found]
        return [_location(analysis, span) for span in sorted(spans)]

    @server.feature(types.TEXT_DOCUMENT_PREPARE_RENAME)
    def prepare_rename(
        ls: MopsServer, params: types.PrepareRenameParams
    ) -> types.PrepareRenamePlaceholder | None:
        analysis = ls.analysis(params.text_document.uri)
        step = _step_at(analysis, params.position)
        if step is None:
            return None
        line, col = from_position(analysis.lines, params.position)
        here = analysis.symbols.at(line, col)
        assert here is not None
        return types.PrepareRenamePlaceholder(
            range=to_range(analysis.lines, here.span), placeholder=step.name
        )

    @server.feature(types.TEXT_DOCUMENT_RENAME)
    def rename(ls: MopsServer, params: types.RenameParams) -> types.WorkspaceEdit | None:
        analysis = ls.analysis(params.text_document.uri)
        step = _step_at(analysis, params.position)
        if step is None:
            raise JsonRpcInvalidParams("only a step can be renamed: put the cursor on its name")
        new = params.new_name
        if not _NAME.match(new):
            raise JsonRpcInvalidParams(
                f"'{new}' is not a step name: lower-case letters, digits and '_'"
            )
        if new != step.name and analysis.symbols.defined(new):
            raise JsonRpcInvalidParams(f"'{new}' is already a name in this process")
        spans = [step.span, *(r.span for r in uses_of(analysis, step))]
        edits = [types.TextEdit(range=to_range(analysis.lines, s), new_text=new) for s in spans]
        return types.WorkspaceEdit(changes={analysis.uri: edits})

    @server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    def document_symbol(
        ls: MopsServer, params: types.DocumentSymbolParams
    ) -> list[types.DocumentSymbol]:
        return outline(ls.analysis(params.text_document.uri))


def definitions_at(analysis: Analysis, position: types.Position) -> list[Definition]:
    """The definitions of the name at ``position`` (itself, on a definition)."""
    line, col = from_position(analysis.lines, position)
    here = analysis.symbols.at(line, col)
    if here is None:
        return []
    if isinstance(here, Definition):
        return [here]
    found = analysis.symbols.defined(here.name)
    if here.step_only:
        found = [d for d in found if d.kind in STEP_KINDS or d.kind == "calendar"]
    return found


def uses_of(analysis: Analysis, definition: Definition) -> list[Reference]:
    """The references that mean ``definition``'s name."""
    steps_only = definition.kind in STEP_KINDS
    return [
        r
        for r in analysis.symbols.uses(definition.name)
        if steps_only or not r.step_only or definition.kind == "calendar"
    ]


def _step_at(analysis: Analysis, position: types.Position) -> Definition | None:
    found = definitions_at(analysis, position)
    steps = [d for d in found if d.kind in STEP_KINDS]
    return steps[0] if steps else None


def _location(analysis: Analysis, span: Span) -> types.Location:
    return types.Location(uri=analysis.uri, range=to_range(analysis.lines, span))


_SYMBOL_KINDS = {
    "input": types.SymbolKind.Variable,
    "output": types.SymbolKind.Property,
    "variable": types.SymbolKind.Variable,
    "task": types.SymbolKind.Function,
    "work": types.SymbolKind.Event,
    "approval": types.SymbolKind.Event,
    "decision": types.SymbolKind.Enum,
    "sub-process": types.SymbolKind.Module,
    "calendar": types.SymbolKind.Namespace,
}


def outline(analysis: Analysis) -> list[types.DocumentSymbol]:
    """The file's calendars and process, the process's inputs, steps and outputs beneath it."""
    file = analysis.file
    if file is None:
        return []
    lines = analysis.lines
    found: list[types.DocumentSymbol] = []
    for definition in analysis.symbols.definitions:
        if definition.kind == "calendar":
            found.append(_symbol(analysis, definition, "calendar"))
    for process in (file.process, *file.extra_processes):
        if process is None:
            continue
        children = [
            _symbol(analysis, d, d.kind)
            for d in analysis.symbols.definitions
            if d.kind in _SYMBOL_KINDS
            and d.kind != "calendar"
            and _inside(d.span, process.span)
            and not (d.kind == "variable" and _repeated(analysis, d))
        ]
        found.append(
            types.DocumentSymbol(
                name=process.name,
                detail=process.title or "process",
                kind=types.SymbolKind.Class,
                range=to_range(lines, process.span),
                selection_range=to_range(lines, process.name_span),
                children=children,
            )
        )
    return found


def _symbol(analysis: Analysis, definition: Definition, kind: str) -> types.DocumentSymbol:
    node = definition.node
    span = getattr(node, "span", definition.span)
    title = getattr(node, "title", None)
    detail = kind if not title else f"{kind}: {title}"
    if isinstance(node, dsl_ast.Input):
        detail = f"input: {node.type.type}"
    return types.DocumentSymbol(
        name=definition.name,
        detail=detail,
        kind=_SYMBOL_KINDS.get(kind, types.SymbolKind.Object),
        range=to_range(analysis.lines, span),
        selection_range=to_range(analysis.lines, definition.span),
    )


def _inside(inner: Span, outer: Span) -> bool:
    return (outer.line, outer.col) <= (inner.line, inner.col) and (
        inner.end_line,
        inner.end_col,
    ) <= (outer.end_line, outer.end_col)


def _repeated(analysis: Analysis, definition: Definition) -> bool:
    """A variable set again later is listed once, where it is first set."""
    return analysis.symbols.defined(definition.name)[0] is not definition
