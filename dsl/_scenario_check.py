"""Scenarios checked against their process: steps, answers, values, people, events.

Everything a scenario names must exist in the process (or its actions, or the
team directory), and every value must have the type its input or field
declares. Every problem is reported, each at its own line and column.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable, Sequence

from dsl import _ast as ast
from dsl import _scenario_ast as sc
from dsl._diagnostics import Diagnostic
from dsl._directory import Directory
from dsl._literals import scalar_literal_type
from dsl._signatures import Catalogue
from dsl._source import Span
from dsl._suggest import did_you_mean
from dsl._types import (
    ANY,
    DATE,
    DATETIME,
    MONEY,
    NUMBER,
    RECORD,
    TEXT,
    ListOf,
    OneOf,
    Scalar,
    Type,
    TypeSyntaxError,
    is_assignable,
    parse_type,
)
from dsl._walk import iter_steps

_VERDICTS = {"approval": ("approved", "rejected", "changes_requested"), "work": ("completed",)}


def literal_type(value: ast.Expr) -> Type:
    """The type of a literal value written in a scenario."""
    scalar = scalar_literal_type(value)
    if scalar is not None:
        return scalar
    match value:
        case ast.ListLit(items=items):
            return ListOf(literal_type(items[0]) if items else ANY)
        case ast.RecordLit():
            return RECORD
    return TEXT


def check_scenarios(
    file: sc.ScenarioFile,
    process: ast.Process,
    catalogue: Catalogue,
    directory: Directory | None = None,
) -> list[Diagnostic]:
    """Every problem of ``file`` against ``process``, in file order."""
    return _Checker(process, catalogue, directory).check(file)


class _Checker:
    def __init__(self, process: ast.Process, catalogue: Catalogue, directory: Directory | None):
        self.process = process
        self.catalogue = catalogue
        self.directory = directory
        self.steps: dict[str, ast.Task | ast.Human | ast.Decide | ast.CallProcess] = {}
        self.events: set[str] = set()
        self.exits: set[str] = set()
        for statement in iter_steps(process.body):
            if isinstance(statement, ast.Task | ast.Human | ast.Decide | ast.CallProcess):
                self.steps[statement.name] = statement
            elif isinstance(statement, ast.WaitEvent | ast.Exit):
                self.events.add(statement.event)
            if isinstance(statement, ast.Exit):
                self.exits.add(statement.event)
        self.inputs = {i.name: i for i in process.inputs}
        self.outputs = {o.name: o for o in process.outputs}
        self.problems: list[Diagnostic] = []

    def error(self, code: str, message: str, span: Span, hint: str | None = None) -> None:
        self.problems.append(Diagnostic(code, message, span, hint=hint))

    def check(self, file: sc.ScenarioFile) -> list[Diagnostic]:
        seen: dict[str, sc.Scenario] = {}
        for scenario in file.scenarios:
            if scenario.name in seen:
                first = seen[scenario.name].name_span.line
                self.error(
                    "X008",
                    f'there is already a scenario called "{scenario.name}" (line {first})',
                    scenario.name_span,
                    hint="give every scenario its own name: 'mops test -k' selects by it",
                )
            seen.setdefault(scenario.name, scenario)
            self.scenario(scenario)
        return self.problems

    def scenario(self, scenario: sc.Scenario) -> None:
        if scenario.start is not None and scenario.start.zone is not None:
            self.zone(scenario.start.zone, scenario.start.span)
        given: set[str] = set()
        for field in scenario.inputs:
            decl = self.inputs.get(field.name)
            if decl is None:
                hint = did_you_mean(field.name, self.inputs) or _listing("inputs", self.inputs)
                self.error(
                    "X005",
                    f"'{self.process.name}' has no input '{field.name}'",
                    field.name_span,
                    hint,
                )
            elif field.name in given:
                self.error("X008", f"input '{field.name}' is given twice", field.name_span)
            else:
                self.value(field, decl.type.type, f"input '{field.name}'")
            given.add(field.name)
        for decl in self.process.inputs:
            if decl.default is None and decl.name not in given:
                self.error(
                    "X008",
                    f"the scenario gives no value for the required input '{decl.name}'",
                    scenario.name_span,
                    hint=f"add a line: input {decl.name} = ...",
                )
        scripted: dict[str, sc.Script] = {}
        for script in scenario.scripts:
            if script.step in scripted:
                self.error(
                    "X008",
                    f"'{script.step}' is scripted twice (line {scripted[script.step].span.line})",
                    script.step_span,
                    hint="write its rounds on one line: approved by ..., then ...",
                )
            scripted.setdefault(script.step, script)
            self.script(script)
        for event in scenario.events:
            if event.name not in self.events:
                hint = did_you_mean(event.name, self.events) or (
                    _listing("events", self.events) if self.events else "it waits for no event"
                )
                self.error(
                    "X009",
                    f"'{self.process.name}' never waits for the event '{event.name}'",
                    event.name_span,
                    hint,
                )
        for expectation in scenario.expectations:
            self.expectation(expectation)

    def step(
        self, name: str, span: Span
    ) -> ast.Task | ast.Human | ast.Decide | ast.CallProcess | None:
        found = self.steps.get(name)
        if found is None:
            hint = did_you_mean(name, self.steps) or _listing("steps", self.steps)
            self.error("X002", f"'{self.process.name}' has no step '{name}'", span, hint)
        return found

    def script(self, script: sc.Script) -> None:
        step = self.step(script.step, script.step_span)
        if step is None:
            return
        for item in script.items:
            if isinstance(step, ast.Task):
                self.task_item(step, item)
            elif isinstance(step, ast.Human):
                self.human_item(step, item)
            else:
                kind = "decision" if isinstance(step, ast.Decide) else "sub-process"
                self.error(
                    "X003",
                    f"'{step.name}' is a {kind}: the process works it out, a scenario cannot "
                    "script it",
                    script.step_span,
                    hint="script the tasks and people it depends on instead",
                )
                return

    def task_item(self, task: ast.Task, item: sc.ScriptItem) -> None:
        if isinstance(item, sc.Answer | sc.NoAnswer):
            self.error(
                "X003",
                f"'{task.name}' is an automated task: nobody answers it",
                item.span,
                hint=f'say what it does: {task.name}: returns ... (or: fails "why")',
            )
            return
        if isinstance(item, sc.Fails):
            return
        signature = self.catalogue.get(task.action)
        if signature is None:
            return  # the process check reports the unknown action
        fields = {f.name: f for f in signature.result}
        for field in item.fields:
            spec = fields.get(field.name)
            if spec is None:
                hint = did_you_mean(field.name, fields) or _listing("fields", fields)
                self.error(
                    "X005",
                    f"'{task.action}' returns no field '{field.name}'",
                    field.name_span,
                    hint,
                )
                continue
            try:
                wanted = parse_type(spec.type)
            except TypeSyntaxError:
                continue
            self.value(field, wanted, f"'{field.name}' of '{task.action}'")

    def human_item(self, human: ast.Human, item: sc.ScriptItem) -> None:
        noun = "an approval" if human.kind == "approval" else "a work item"
        if isinstance(item, sc.Returns | sc.Fails):
            example = "approved by" if human.kind == "approval" else "completed by"
            self.error(
                "X003",
                f"'{human.name}' is {noun}: people answer it, it does not return or fail",
                item.span,
                hint=f"say who answers and when: {human.name}: {example} ... after 1 business day",
            )
            return
        if isinstance(item, sc.NoAnswer):
            return
        if item.verdict not in _VERDICTS[human.kind]:
            choices = " or ".join(v.replace("_", " ") for v in _VERDICTS[human.kind])
            self.error(
                "X003",
                f"'{human.name}' is {noun}: it is {choices}, not {item.verdict.replace('_', ' ')}",
                item.span,
            )
        for person, span in item.people:
            self.person(person, span)
        if item.fields and human.kind == "approval":
            self.error(
                "X003",
                f"'{human.name}' is an approval: an answer carries a comment, not fields",
                item.fields[0].span,
                hint='write the comment in quotes: approved by ana "Looks good"',
            )
            return
        returns = {f.name: f for f in human.returns}
        for field in item.fields:
            decl = returns.get(field.name)
            if decl is None:
                hint = did_you_mean(field.name, returns) or _listing("fields", returns)
                self.error(
                    "X005", f"'{human.name}' returns no field '{field.name}'", field.name_span, hint
                )
            else:
                self.value(field, decl.type.type, f"'{field.name}' of '{human.name}'")

    def expectation(self, expectation: sc.Expectation) -> None:
        match expectation:
            case sc.ExpectPath(steps=steps):
                for name, span in steps:
                    if isinstance(self.step(name, span), ast.Decide):
                        self.error(
                            "X003",
                            f"'{name}' is a decision: decisions are not on the path",
                            span,
                            hint="check what it decided with: expect output ...",
                        )
            case sc.ExpectOutput(field=field):
                output = self.outputs.get(field.name)
                if output is None:
                    hint = did_you_mean(field.name, self.outputs) or _listing(
                        "outputs", self.outputs
                    )
                    self.error(
                        "X005",
                        f"'{self.process.name}' has no output '{field.name}'",
                        field.name_span,
                        hint,
                    )
                elif output.type is not None:
                    self.value(field, output.type.type, f"output '{field.name}'")
            case sc.ExpectEscalated(step=name, step_span=span, to=to):
                self.human_step(name, span, "are escalated")
                if to is not None:
                    self.party(to)
            case sc.ExpectDeadline(step=name, step_span=span):
                self.human_step(name, span, "have a deadline")
            case sc.ExpectNotified(party=party):
                self.party(party)
            case sc.ExpectRefused():
                self.person(expectation.person, expectation.person_span)
                self.human_step(expectation.step, expectation.step_span, "can refuse an answer")
            case sc.ExpectExit(event=event) if event is not None:
                if event not in self.exits:
                    hint = did_you_mean(event, self.exits) or (
                        _listing("exits", self.exits) if self.exits else "it has no 'exit when'"
                    )
                    self.error(
                        "X009",
                        f"'{self.process.name}' has no 'exit when' on the event '{event}'",
                        expectation.event_span,
                        hint,
                    )
            case sc.ExpectOutcome() | sc.ExpectDuration() | sc.ExpectExit():
                pass

    def human_step(self, name: str, span: Span, what: str) -> None:
        step = self.step(name, span)
        if step is not None and not isinstance(step, ast.Human):
            self.error(
                "X003",
                f"'{name}' is not a work item or approval: only those {what}",
                span,
            )

    def party(self, party: sc.Party) -> None:
        if party.kind == "person":
            self.person(party.name, party.span)
        elif self.directory is not None and party.name not in self.directory.roles:
            self.error(
                "X006",
                f"the team directory has no role '{party.name}'",
                party.span,
                did_you_mean(party.name, self.directory.roles),
            )

    def person(self, name: str, span: Span) -> None:
        if self.directory is not None and name not in self.directory.people:
            self.error(
                "X006",
                f"the team directory has no person '{name}'",
                span,
                did_you_mean(name, self.directory.people),
            )

    def zone(self, name: str, span: Span) -> None:
        try:
            zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            self.error(
                "X007", f"'{name}' is not a time zone", span, hint="write e.g. Europe/Berlin or UTC"
            )

    def value(self, field: sc.Field, wanted: Type, what: str) -> None:
        problem = _mismatch(field.value, wanted)
        if problem is not None:
            message, hint = problem
            self.error("X004", f"{what} is {wanted}; {message}", field.value.span, hint)


def _mismatch(value: ast.Expr, wanted: Type) -> tuple[str, str | None] | None:
    """Why ``value`` cannot stand where ``wanted`` is expected, and a hint; None if it can."""
    got = literal_type(value)
    if isinstance(wanted, OneOf):
        if isinstance(value, ast.TextLit) and value.plain in wanted.choices:
            return None
        shown = f'"{value.plain}"' if isinstance(value, ast.TextLit) else f"a {got} value"
        return f"{shown} is not one of them", did_you_mean(
            value.plain if isinstance(value, ast.TextLit) else "", wanted.choices
        )
    if isinstance(wanted, ListOf) and isinstance(value, ast.ListLit):
        for item in value.items:
            inner = _mismatch(item, wanted.item)
            if inner is not None:
                return inner
        return None
    if is_assignable(got, wanted):
        return None
    hint = None
    if wanted == MONEY and got == NUMBER:
        hint = "write money with its currency: 2500 EUR"
    elif isinstance(wanted, Scalar) and wanted.name in {"text", "email", "url"}:
        hint = 'write texts in double quotes: "like this"'
    elif wanted == DATETIME and got == DATE:
        hint = "add the time of day: 2026-03-02 09:00"
    return f"the value given is {_article(str(got))} {got}", hint


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


def _listing(what: str, names: Iterable[str]) -> str | None:
    ordered: Sequence[str] = list(names)
    if not ordered:
        return None
    return f"its {what}: {', '.join(ordered)}"
