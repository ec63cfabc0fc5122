"""Completion: the keywords the grammar takes where the cursor is, and the names that fit there.

:func:`dsl.expected_at` reads the text before the cursor with the parser's
own tables; the words just before say which names fit: roles after ``role``,
people after ``person``, steps after ``->`` or ``go back to``, actions (with
their required arguments) after ``task NAME =``, a step's result fields
after ``step.``, calendars and time zones in their quotes, and otherwise
the names in scope and the functions.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from lsprotocol import types

from dsl import (
    APPROVAL_FIELDS,
    CALENDAR_PRESETS,
    FUNCTIONS,
    STEP_KINDS,
    WORK_FIELDS,
    ActionSignature,
    Catalogue,
    Expected,
    expected_at,
    time_zones,
)
from dsl import ast as dsl_ast
from mops.lsp._analysis import Analyser, Analysis
from mops.lsp._positions import from_position, offset_of

if TYPE_CHECKING:
    from mops.lsp._base import MopsServer

Kind = types.CompletionItemKind


def register(server: MopsServer) -> None:
    @server.feature(
        types.TEXT_DOCUMENT_COMPLETION,
        types.CompletionOptions(trigger_characters=[".", " ", '"']),
    )
    def completion(ls: MopsServer, params: types.CompletionParams) -> types.CompletionList:
        analysis = ls.analysis(params.text_document.uri)
        return complete(analysis, params.position, ls.analyser)


def complete(
    analysis: Analysis, position: types.Position, analyser: Analyser
) -> types.CompletionList:
    """Every completion that fits at ``position``."""
    catalogue = analyser.catalogue
    line, col = from_position(analysis.lines, position)
    text = analysis.source.text
    if analysis.file is None:
        # The line being typed rarely parses yet: the names come from the file without it.
        rest = "\n".join("" if n == line - 1 else each for n, each in enumerate(analysis.lines))
        analysis = replace(
            analysis,
            names_from=analyser.analyse(analysis.uri, rest, None).symbols,
        )
    offset = offset_of(text, analysis.lines, line, col)
    before_cursor = analysis.lines[line - 1][: col - 1] if line <= len(analysis.lines) else ""
    if before_cursor.count('"') % 2 == 1:
        return types.CompletionList(is_incomplete=False, items=_in_quotes(before_cursor))
    expected = expected_at(text, offset)
    items: list[types.CompletionItem] = [
        types.CompletionItem(label=word, kind=Kind.Keyword) for word in expected.keywords
    ]
    if "NAME" in expected.terminals or not expected.parsed:
        items.extend(_names(analysis, expected, catalogue))
    if "STRING" in expected.terminals and expected.before[-1:] == ("calendar",):
        items.extend(_quoted(CALENDAR_PRESETS, "calendar preset"))
    return types.CompletionList(is_incomplete=False, items=items)


def _names(
    analysis: Analysis, expected: Expected, catalogue: Catalogue
) -> list[types.CompletionItem]:
    before = expected.before
    last = before[-1] if before else ""
    directory = analysis.directory
    if last == "role":
        roles = directory.roles if directory is not None else {}
        return [
            types.CompletionItem(label=r, kind=Kind.EnumMember, detail=f"role: {about}")
            for r, about in roles.items()
        ]
    if last == "person":
        people = directory.people if directory is not None else {}
        return [
            types.CompletionItem(
                label=p.id,
                kind=Kind.Reference,
                detail=f"{p.name} ({', '.join(p.roles) or 'no role'})",
            )
            for p in people.values()
        ]
    if last == "->" or before[-3:] == ("go", "back", "to") or last == "timeout":
        return _steps(analysis)
    if last == "calendar":
        own = [] if analysis.file is None else [c.name for c in analysis.file.calendars]
        return [types.CompletionItem(label=c, kind=Kind.Module) for c in own]
    if len(before) >= 2 and before[-1] == "." and before[-2] != "":
        return _after_dot(analysis, before[-2], before, catalogue)
    if len(before) >= 3 and before[0] == "task" and before[2] == "=" and len(before) == 3:
        return [_action(s) for s in catalogue.by_name.values()]
    if before[-2:] == ("undo", "with"):
        return [_action(s) for s in catalogue.by_name.values()]
    return _in_scope(analysis)


def _after_dot(
    analysis: Analysis, head: str, before: tuple[str, ...], catalogue: Catalogue
) -> list[types.CompletionItem]:
    """``draft.`` offers the step's result fields; ``email.`` the actions named so."""
    if before[:3] == ("task", before[1] if len(before) > 1 else "", "=") or before[-4:-2] == (
        "undo",
        "with",
    ):
        prefix = f"{head}."
        return [
            _action(s, shown=s.name.removeprefix(prefix))
            for s in catalogue.by_name.values()
            if s.name.startswith(prefix)
        ]
    for definition in analysis.symbols.defined(head):
        fields = _fields(definition.node, catalogue)
        if fields:
            return [
                types.CompletionItem(label=name, kind=Kind.Field, detail=kind)
                for name, kind in fields
            ]
    prefix = f"{head}."
    return [
        _action(s, shown=s.name.removeprefix(prefix))
        for s in catalogue.by_name.values()
        if s.name.startswith(prefix)
    ]


def _fields(node: object, catalogue: Catalogue) -> list[tuple[str, str]]:
    match node:
        case dsl_ast.Task(action=action):
            signature = catalogue.get(action)
            return [] if signature is None else [(f.name, f.type) for f in signature.result]
        case dsl_ast.Human(kind=kind, returns=returns):
            common = APPROVAL_FIELDS if kind == "approval" else WORK_FIELDS
            own = [(f.name, str(f.type.type)) for f in returns]
            return own + [(name, str(kind)) for name, kind in common.items()]
    return []


def _action(signature: ActionSignature, *, shown: str | None = None) -> types.CompletionItem:
    """An action with a snippet of its required arguments: ``email.send(to: $1, ...)``."""
    required = [p for p in signature.params if p.required]
    arguments = ", ".join(f"{p.name}: ${{{n}:{p.name}}}" for n, p in enumerate(required, 1))
    label = shown or signature.name
    return types.CompletionItem(
        label=label,
        kind=Kind.Function,
        detail=signature.description,
        documentation=types.MarkupContent(
            kind=types.MarkupKind.Markdown,
            value="\n".join(
                f"- `{p.name}`: {p.type}" + ("" if p.required else " (optional)")
                for p in signature.params
            ),
        ),
        insert_text=f"{label}({arguments})",
        insert_text_format=types.InsertTextFormat.Snippet,
    )


def _steps(analysis: Analysis) -> list[types.CompletionItem]:
    return [
        types.CompletionItem(label=d.name, kind=Kind.Class, detail=d.kind)
        for d in analysis.symbols.definitions
        if d.kind in STEP_KINDS
    ]


def _in_scope(analysis: Analysis) -> list[types.CompletionItem]:
    seen: set[str] = set()
    items: list[types.CompletionItem] = []
    kinds = {"input": Kind.Variable, "variable": Kind.Variable, "loop variable": Kind.Variable}
    for definition in analysis.symbols.definitions:
        if definition.name in seen or definition.kind in {"process", "calendar", "output"}:
            continue
        seen.add(definition.name)
        items.append(
            types.CompletionItem(
                label=definition.name,
                kind=kinds.get(definition.kind, Kind.Class),
                detail=definition.kind,
            )
        )
    items.extend(
        types.CompletionItem(label=name, kind=Kind.Function, detail=f.summary)
        for name, f in FUNCTIONS.items()
    )
    return items


def _in_quotes(before_cursor: str) -> list[types.CompletionItem]:
    """Inside a text: time zones after ``time zone``, presets after ``calendar``."""
    words = before_cursor[: before_cursor.rfind('"')].split()
    if words[-2:] == ["time", "zone"]:
        return [types.CompletionItem(label=z, kind=Kind.Value) for z in time_zones()]
    if words[-1:] == ["calendar"] or words[-1:] == ["holidays"]:
        return [
            types.CompletionItem(label=p, kind=Kind.Value, detail="calendar preset")
            for p in CALENDAR_PRESETS
        ]
    return []


def _quoted(words: tuple[str, ...], detail: str) -> list[types.CompletionItem]:
    return [
        types.CompletionItem(label=f'"{w}"', kind=Kind.Value, detail=detail, insert_text=f'"{w}"')
        for w in words
    ]
