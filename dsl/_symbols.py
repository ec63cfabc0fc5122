"""Where each name of a process is defined and where it is used.

Editors ask this of a file (go to definition, find references, rename, the
outline): the answer comes from the same syntax tree the checker reads, so a
name the checker resolves is the name the editor jumps to.

Names live in one space per process, as the checker sees them: inputs,
named steps (tasks, work items, approvals, decisions, sub-process calls),
variables made by ``set``, loop variables and events' bound values, and the
file's calendars (used by ``calendar NAME``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass, field

from dsl import _ast as ast
from dsl._source import Span


@dataclass(frozen=True)
class Definition:
    """One place a name is given a meaning."""

    name: str
    kind: str
    """``input``, ``task``, ``work``, ``approval``, ``decision``, ``sub-process``,
    ``variable``, ``loop variable``, ``event value``, ``output``, ``calendar``, ``process``."""
    span: Span
    """Where the name itself is written."""
    node: object
    """The declaration or step (an :mod:`dsl.ast` node)."""
    depth: int = 0
    """How deeply the step is nested in blocks (0: the process's own body)."""


@dataclass(frozen=True)
class Reference:
    """One place a name is used."""

    name: str
    span: Span
    step_only: bool = False
    """A jump target (``-> draft``, ``go back to draft``): only a step can be meant."""


@dataclass(frozen=True)
class Symbols:
    """Every definition and reference of one file, in file order."""

    definitions: tuple[Definition, ...] = ()
    references: tuple[Reference, ...] = ()
    _by_name: dict[str, list[Definition]] = field(default_factory=dict, compare=False)

    def defined(self, name: str) -> list[Definition]:
        """The definitions of ``name`` (a variable ``set`` twice has two)."""
        if not self._by_name:
            for each in self.definitions:
                self._by_name.setdefault(each.name, []).append(each)
        return self._by_name.get(name, [])

    def at(self, line: int, col: int) -> Definition | Reference | None:
        """The definition or reference whose name covers ``line``:``col`` (1-based)."""
        found: list[Definition | Reference] = [*self.definitions, *self.references]
        for each in found:
            span = each.span
            if span.line == line and span.col <= col <= span.end_col:
                return each
        return None

    def uses(self, name: str) -> list[Reference]:
        """Every reference to ``name``."""
        return [r for r in self.references if r.name == name]


STEP_KINDS = {"task", "work", "approval", "decision", "sub-process"}


def symbols(file: ast.File) -> Symbols:
    """The definitions and references of a parsed file."""
    definitions: list[Definition] = []
    references: list[Reference] = []
    for calendar in file.calendars:
        definitions.append(Definition(calendar.name, "calendar", calendar.name_span, calendar))
    for process in (file.process, *file.extra_processes):
        if process is None:
            continue
        definitions.append(Definition(process.name, "process", process.name_span, process))
        for each in process.inputs:
            definitions.append(Definition(each.name, "input", each.name_span, each))
            _expressions(each.default, references)
        if process.calendar is not None:
            references.append(Reference(process.calendar.name, process.calendar.span))
        _body(process.body, 0, definitions, references)
        for output in process.outputs:
            definitions.append(Definition(output.name, "output", output.name_span, output))
            _expressions(output.value, references)
    definitions.sort(key=lambda d: d.span)
    references.sort(key=lambda r: r.span)
    return Symbols(tuple(definitions), tuple(references))


def step_kind(step: ast.Statement) -> str | None:
    """The kind of a named step as :class:`Definition` names it, None for other statements."""
    match step:
        case ast.Task():
            return "task"
        case ast.Human(kind=kind):
            return kind
        case ast.Decide():
            return "decision"
        case ast.CallProcess():
            return "sub-process"
    return None


def _body(
    body: tuple[ast.Statement, ...],
    depth: int,
    definitions: list[Definition],
    references: list[Reference],
) -> None:
    for statement in body:
        kind = step_kind(statement)
        if kind is not None and isinstance(
            statement, ast.Task | ast.Human | ast.Decide | ast.CallProcess
        ):
            definitions.append(Definition(statement.name, kind, statement.name_span, statement))
        match statement:
            case ast.Set(name=name, name_span=span):
                definitions.append(Definition(name, "variable", span, statement, depth))
            case ast.ForEach(variable=name, variable_span=span):
                definitions.append(Definition(name, "loop variable", span, statement, depth))
            case ast.WaitEvent(bind=name, bind_span=span) if name and span is not None:
                definitions.append(Definition(name, "event value", span, statement, depth))
            case ast.Exit(bind=name, bind_span=span) if name and span is not None:
                definitions.append(Definition(name, "event value", span, statement, depth + 1))
        _references(statement, references)
        for child in _child_bodies(statement):
            _body(child, depth + 1, definitions, references)


def _child_bodies(statement: ast.Statement) -> Iterator[tuple[ast.Statement, ...]]:
    match statement:
        case ast.If(branches=branches, orelse=orelse):
            yield from (b.body for b in branches)
            if orelse:
                yield orelse
        case ast.Parallel(branches=branches):
            yield from (b.body for b in branches)
        case ast.ForEach(body=body):
            yield body
        case ast.Exit(then=then):
            yield then


def _references(statement: ast.Statement, references: list[Reference]) -> None:
    """The names a statement uses, not looking into the blocks it holds."""
    for item in dataclasses.fields(statement):
        if item.name in ("body", "then"):
            continue
        value = getattr(statement, item.name)
        if isinstance(statement, ast.If | ast.Parallel) and item.name == "orelse":
            continue
        if isinstance(statement, ast.If) and item.name == "branches":
            for branch in statement.branches:
                _expressions(branch.condition, references)
            continue
        if isinstance(statement, ast.Parallel) and item.name == "branches":
            continue
        _expressions(value, references)


def _expressions(value: object, references: list[Reference]) -> None:
    """Every name used inside ``value`` (a node, a tuple of nodes, or a plain value)."""
    match value:
        case ast.Name(id=name, span=span):
            references.append(Reference(name, span))
        case ast.StepRef(name=name, span=span):
            references.append(Reference(name, span, step_only=True))
        case tuple():
            for item in value:
                _expressions(item, references)
        case _ if dataclasses.is_dataclass(value) and not isinstance(value, type):
            for item in dataclasses.fields(value):
                if item.name != "span" and not item.name.endswith("_span"):
                    _expressions(getattr(value, item.name), references)
