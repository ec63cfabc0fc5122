"""Hover: what a name is (a step's kind, people and deadline; an input's type; an action's
signature; a function's summary), in the designer's words."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types

from dsl import (
    FUNCTIONS,
    ActionSignature,
    Catalogue,
    Definition,
    Reference,
    Span,
    iter_tasks,
    resolve_calendar,
)
from dsl import ast as dsl_ast
from mops.lsp._analysis import Analysis
from mops.lsp._positions import from_position, to_range

if TYPE_CHECKING:
    from mops.lsp._base import MopsServer

_KIND_WORDS = {
    "task": "task",
    "work": "work item",
    "approval": "approval",
    "decision": "decision",
    "sub-process": "sub-process",
    "input": "input",
    "output": "output",
    "variable": "variable",
    "loop variable": "loop variable",
    "event value": "value of an event",
    "calendar": "calendar",
    "process": "process",
}


def register(server: MopsServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def hover(ls: MopsServer, params: types.HoverParams) -> types.Hover | None:
        uri = params.text_document.uri
        return hover_at(ls.analysis(uri), params.position, ls.analyser.catalogue)


def hover_at(
    analysis: Analysis, position: types.Position, catalogue: Catalogue
) -> types.Hover | None:
    """The hover text at ``position``, or None where there is nothing to say."""
    line, col = from_position(analysis.lines, position)
    process = analysis.process
    if process is None:
        return None
    for task in iter_tasks(process.body):
        span = task.action_span
        if span.line == line and span.col <= col <= span.end_col:
            signature = catalogue.get(task.action)
            text = (
                action_markdown(signature)
                if signature
                else f"`{task.action}`: no worker provides this action"
            )
            return _hover(text, analysis, span)
    found = analysis.symbols.at(line, col)
    if found is None:
        return _function_hover(analysis, line, col)
    definitions = [
        d
        for d in analysis.symbols.defined(found.name)
        if not (isinstance(found, Reference) and found.step_only) or d.kind in _STEPS
    ]
    if isinstance(found, Definition):
        definitions = [found]
    if not definitions:
        return None
    return _hover(describe(analysis, definitions[0], catalogue), analysis, found.span)


_STEPS = {"task", "work", "approval", "decision", "sub-process", "calendar"}


def describe(analysis: Analysis, definition: Definition, catalogue: Catalogue) -> str:
    """Markdown for one definition."""
    node = definition.node
    kind = _KIND_WORDS.get(definition.kind, definition.kind)
    head = f"**{kind}** `{definition.name}`"
    match node:
        case dsl_ast.Input(type=declared, default=default):
            shown = f": {declared.type}" + ("" if default is None else " (has a default)")
            return head + shown
        case dsl_ast.Task(title=title, action=action):
            signature = catalogue.get(action)
            text = head + (f" — {title}" if title else "") + f"\n\ncalls `{action}`"
            return text + ("\n\n" + action_markdown(signature) if signature else "")
        case dsl_ast.Human():
            return head + (f" — {node.title}" if node.title else "") + _people(analysis, node)
        case dsl_ast.Decide(hit_policy=policy, rules=rules):
            title = f" — {node.title}" if node.title else ""
            return head + title + f"\n\n{len(rules)} rows, hit policy {policy}"
        case dsl_ast.CallProcess(process=name):
            return head + f"\n\nruns the process `{name}`"
        case dsl_ast.Set():
            lines = ", ".join(str(d.span.line) for d in analysis.symbols.defined(definition.name))
            return head + f"\n\nset at line {lines}"
        case dsl_ast.CalendarDef():
            return head + _calendar(analysis, definition.name)
    return head


def _people(analysis: Analysis, step: dsl_ast.Human) -> str:
    parts: list[str] = []
    if step.parties:
        verb = "assigned to" if step.kind == "work" else "by"
        parts.append(f"{verb} " + ", ".join(str(p) for p in step.parties))
    if step.deadline is not None:
        parts.append(f"deadline {step.deadline.text}{_business(analysis, step.deadline)}")
    elif step.deadline_expr is not None:
        parts.append("deadline computed when the step opens")
    else:
        parts.append("no deadline")
    if step.remind_every is not None:
        parts.append(f"reminder every {step.remind_every.text}")
    for escalation in step.escalations:
        parts.append("escalates to " + ", ".join(str(p) for p in escalation.to))
    if step.returns:
        fields = ", ".join(f"{f.name}: {f.type.type}" for f in step.returns)
        parts.append(f"returns {fields}")
    return "\n\n" + "\n\n".join(parts)


def _business(analysis: Analysis, duration: dsl_ast.Duration) -> str:
    """`` in business time of calendar DE (Europe/Berlin, 09:00-17:00)`` for business time."""
    if not duration.is_business:
        return ""
    return " (business time" + _calendar(analysis, None, inline=True) + ")"


def _calendar(analysis: Analysis, name: str | None, *, inline: bool = False) -> str:
    process, file = analysis.process, analysis.file
    if name is None and process is not None and process.calendar is not None:
        name = process.calendar.name
    if name is None or file is None:
        return " of the default calendar: Monday to Friday, UTC" if inline else ""
    spec = resolve_calendar(file, name)
    if spec is None:
        return f" of calendar {name}" if inline else ""
    hours = (
        "all day"
        if spec.office_hours is None
        else f"{spec.office_hours[0]:%H:%M}-{spec.office_hours[1]:%H:%M}"
    )
    text = f"calendar {name}: {spec.time_zone}, office hours {hours}"
    if spec.holiday_country:
        text += f", public holidays of {spec.holiday_country}"
    return f" of {text}" if inline else f"\n\n{text}"


def action_markdown(signature: ActionSignature) -> str:
    """An action's signature as the designer calls it, with what it returns."""
    arguments = ", ".join(
        f"{p.name}: {p.type}" + ("" if p.required else " (optional)") for p in signature.params
    )
    lines = [f"```mops\n{signature.name}({arguments})\n```", signature.description]
    if signature.result:
        lines.append("returns " + ", ".join(f"`{f.name}`: {f.type}" for f in signature.result))
    for each in signature.params:
        if each.description:
            lines.append(f"- `{each.name}`: {each.description}")
    return "\n\n".join(line for line in lines if line)


def _function_hover(analysis: Analysis, line: int, col: int) -> types.Hover | None:
    text = analysis.lines[line - 1] if line <= len(analysis.lines) else ""
    start = col - 1
    while start > 0 and (text[start - 1].isalnum() or text[start - 1] == "_"):
        start -= 1
    end = col - 1
    while end < len(text) and (text[end].isalnum() or text[end] == "_"):
        end += 1
    word = text[start:end]
    function = FUNCTIONS.get(word)
    if function is None or not text[end:].startswith("("):
        return None
    span = Span(line, start + 1, line, end + 1)
    return _hover(f"**function** `{word}`: {function.summary}", analysis, span)


def _hover(text: str, analysis: Analysis, span: Span) -> types.Hover:
    return types.Hover(
        contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=text),
        range=to_range(analysis.lines, span),
    )
