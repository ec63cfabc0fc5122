"""Checks on a whole file: names, types and options of every step.

The walk keeps the names *definitely* defined at each point (a step inside one
branch of an ``if`` defines its name only inside that branch; after a
``parallel`` that waits for all branches, every branch's names are defined).
Whole-graph checks (reachability, loops, joins) run on the networkx graph in
:mod:`dsl._graph`; decision-table analysis in :mod:`dsl._rules`.
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Iterator, Mapping

from dsl import _ast as ast
from dsl._calendar_defs import spec_of
from dsl._calendars import calendar_hint, problems_of, zone_hint
from dsl._check_chosen import ChosenChecks
from dsl._check_expr import Scope, Symbol, declared_type
from dsl._diagnostics import Diagnostic, Severity
from dsl._directory import Directory
from dsl._signatures import ActionSignature, Catalogue
from dsl._source import Span
from dsl._suggest import closest, did_you_mean
from dsl._types import (
    ANY,
    BOOL,
    DATE,
    DATETIME,
    DURATION,
    MONEY,
    NUMBER,
    RECORD,
    SECRET,
    TEXT,
    ListOf,
    OneOf,
    Scalar,
    Type,
    is_assignable,
)
from dsl._walk import iter_steps
from dsl._zones import is_zone

WORK_FIELDS: dict[str, Type] = {
    "assignee": TEXT,
    "completed_by": TEXT,
    "completed_at": DATETIME,
}
APPROVAL_FIELDS: dict[str, Type] = {
    "approved": BOOL,
    "decision": OneOf(("approved", "rejected", "changes_requested")),
    "approvers": ListOf(TEXT),
    "comment": TEXT,
    "rounds": NUMBER,
    "decided_at": DATETIME,
}

STARTED_BY = "started_by"
"""In ``not by``: the person who started the campaign (separation of duties)."""


def check(
    file: ast.File,
    catalogue: Catalogue,
    *,
    directory: Directory | None = None,
    processes: Mapping[str, ast.Process] | None = None,
    calendars: Mapping[str, object] | None = None,
) -> list[Diagnostic]:
    """Every name, type and option problem in the file's process.

    Args:
        file: The parsed file (it must have a process).
        catalogue: The actions workers provide.
        directory: The team directory, when one is known: roles and people are
            checked against it.
        processes: Processes of files named by ``use``, by process name.
        calendars: Calendars available by name besides the file's own (presets).
    """
    assert file.process is not None
    checker = StepChecker(catalogue, directory, processes or {}, file, calendars or {})
    checker.run(file.process)
    for definition in file.calendars:
        spans = dict(definition.option_span)
        for option, problem, hint in problems_of(spec_of(definition)):
            where = spans.get(option, definition.name_span)
            checker.error("C003", f"calendar '{definition.name}': {problem}", where, hint)
    return checker.problems


def iter_tasks(body: tuple[ast.Statement, ...]) -> Iterator[ast.Task]:
    """Every task in a body, in file order, at any depth."""
    yield from (s for s in iter_steps(body) if isinstance(s, ast.Task))


def step_name(statement: ast.Statement) -> str | None:
    """The name a statement defines, if any."""
    if isinstance(statement, ast.NamedStep):
        return statement.name
    return None


_ALLOWING = ast.Task | ast.Human | ast.Decide
"""The steps that may ``allow`` codes (made once: ``A | B`` in a call makes it anew)."""

LONG_LOOP = 10
"""A ``go back`` allowed this many times inside a ``parallel`` branch is warned of (G104)."""


class StepChecker(ChosenChecks):
    """Walks the process, step by step, keeping track of what is defined where."""

    def __init__(
        self,
        catalogue: Catalogue,
        directory: Directory | None,
        processes: Mapping[str, ast.Process],
        file: ast.File,
        calendars: Mapping[str, object],
    ) -> None:
        super().__init__()
        self.catalogue = catalogue
        self.directory = directory
        self.processes = processes
        self.file = file
        self.calendars = calendars
        self.allowed: set[str] = set()
        self.steps: dict[str, ast.Statement] = {}
        self.reported: set[tuple[Span, str]] = set()

    def warn(self, code: str, message: str, span: Span, hint: str | None = None) -> None:
        if code not in self.allowed:
            super().warn(code, message, span, hint)

    def run(self, process: ast.Process) -> None:
        self.allowed = set(process.allowed)
        scope: Scope = {}
        for item in process.inputs:
            # An amount's default fixes the currency the process counts the input in.
            currency = self.currency_of(item.default, {}) if item.default is not None else None
            symbol = Symbol("input", item.type.type, item.name_span, currency=currency)
            self._declare(item.name, symbol)
            if item.default is not None:
                self.expect(item.default, item.type.type, {}, f"the default of '{item.name}'")
            scope[item.name] = symbol
        for statement in iter_steps(process.body):
            name = step_name(statement)
            if name is not None and isinstance(statement, ast.NamedStep):
                self.steps.setdefault(name, statement)
                self._declare(name, self._symbol(statement))
        if process.owner is not None:
            self._parties((process.owner,))
        if process.calendar is not None:
            self._calendar_ref(process.calendar)
        zone = None if process.schedule is None else process.schedule.zone
        if zone is not None and not is_zone(zone):
            assert process.schedule is not None
            self.error(
                "C003", f"'{zone}' is not a time zone", process.schedule.span, hint=zone_hint(zone)
            )
        scope = self._body(process.body, scope)
        outputs: set[str] = set()
        for output in process.outputs:
            if output.name in outputs:
                self.error("N002", f"the output '{output.name}' is defined twice", output.name_span)
            outputs.add(output.name)
            if output.type is not None:
                self.expect(output.value, output.type.type, scope, f"the output '{output.name}'")
            elif self.type_of(output.value, scope) == SECRET:
                self.error(
                    "T002",
                    f"the output '{output.name}' would hand a secret to whoever reads the outputs",
                    output.value.span,
                    hint="pass secrets only to actions",
                )

    # ---- names ---------------------------------------------------------------------

    def _declare(self, name: str, symbol: Symbol) -> None:
        if (first := self.declared.get(name)) is not None:
            self.error(
                "N002",
                f"'{name}' is already defined at line {first.span.line}",
                symbol.span,
                hint="give each input and step its own name",
            )
            return
        self.declared[name] = symbol

    def _symbol(self, step: ast.NamedStep) -> Symbol:
        match step:
            case ast.Task():
                signature = self.catalogue.get(step.action)
                return Symbol(
                    "task",
                    RECORD,
                    step.name_span,
                    signature,
                    _result_fields(signature),
                    f"the result of '{step.name}' ({step.action})",
                )
            case ast.Human(kind="work"):
                fields = {**WORK_FIELDS, **{f.name: f.type.type for f in step.returns}}
                return Symbol(
                    "work", RECORD, step.name_span, None, fields, f"work item '{step.name}'"
                )
            case ast.Human():
                return Symbol(
                    "approval",
                    RECORD,
                    step.name_span,
                    None,
                    APPROVAL_FIELDS,
                    f"approval '{step.name}'",
                )
            case ast.Decide():
                return self._decision_symbol(step)
            case ast.CallProcess():
                callee = self.processes.get(step.process)
                outputs: dict[str, Type] | None = None
                if callee is not None:
                    outputs = {
                        o.name: (o.type.type if o.type is not None else ANY) for o in callee.outputs
                    }
                return Symbol(
                    "call",
                    RECORD,
                    step.name_span,
                    None,
                    outputs,
                    f"the outputs of '{step.name}' ({step.process})",
                )

    def _decision_symbol(self, step: ast.Decide) -> Symbol:
        names = [name for rule in step.rules for name, _ in rule.outputs]
        collect = step.hit_policy == "collect"
        if names and all(name is None for name in names):
            # The decision's value is its single result (typed when rows are checked).
            kind: Type = ListOf(ANY) if collect else ANY
            return Symbol("decide", kind, step.name_span, None, None, f"decision '{step.name}'")
        fields = {name: ANY for name in names if name is not None}
        kind = ListOf(RECORD) if collect else RECORD
        return Symbol("decide", kind, step.name_span, None, fields, f"decision '{step.name}'")

    def _ref(self, ref: ast.StepRef, what: str) -> None:
        if ref.name not in self.steps:
            self.error(
                "N010",
                f"{what} '{ref.name}': there is no step of that name",
                ref.span,
                hint=did_you_mean(ref.name, self.steps)
                or "steps are named by task, work, approval, decide and call",
            )

    def _parties(self, parties: ast.Parties) -> None:
        if self.directory is None:
            return
        for party in parties:
            if isinstance(party, ast.PartyFrom):
                continue  # worked out when the step opens: see chosen_parties
            known = self.directory.roles if party.kind == "role" else self.directory.people
            if party.name not in known:
                self.error(
                    "N012",
                    f"the team directory has no {party.kind} '{party.name}'",
                    party.span,
                    hint=did_you_mean(party.name, known) or f"add it to {self.directory.source}",
                )

    def step_calendar(self, chosen: ast.StepCalendar | None, scope: Scope) -> None:
        """A step's own calendar: a calendar the file or the presets have, or an
        expression whose values name one (checked where the checker knows them)."""
        if chosen is None:
            return
        if chosen.name is not None:
            self._calendar_ref(chosen.name)
            return
        assert chosen.expr is not None
        own = [c.name for c in self.file.calendars]
        self.chosen(
            chosen.expr,
            scope,
            what="calendar from",
            noun="calendar",
            known={*own, *self.calendars},
            missing=lambda value: f"there is no calendar '{value}'",
            code="N009",
            hint='name a calendar block of this file or a country preset such as "DE"',
        )

    def _calendar_ref(self, ref: ast.StepRef) -> None:
        own = {c.name for c in self.file.calendars}
        if ref.name not in own and ref.name.upper() not in self.calendars:
            self.error(
                "N009",
                f"there is no calendar '{ref.name}'",
                ref.span,
                hint=calendar_hint(ref.name, [*own, *self.calendars]),
            )

    # ---- statements --------------------------------------------------------------------

    def _body(self, body: tuple[ast.Statement, ...], scope: Scope) -> Scope:
        """Check a body; adds what it defines to ``scope`` (callers pass a copy)."""
        for statement in body:
            scope = self._statement(statement, scope)
        return scope

    def _statement(self, statement: ast.Statement, scope: Scope) -> Scope:
        allowed = self.allowed
        if isinstance(statement, _ALLOWING):
            self.allowed = allowed | set(statement.allowed)
        try:
            match statement:
                case ast.Task():
                    self._task(statement, scope)
                case ast.Human():
                    self._human(statement, scope)
                case ast.Decide():
                    self._decide(statement, scope)
                case ast.CallProcess():
                    self._call_process(statement, scope)
                case ast.If():
                    return self._if(statement, scope)
                case ast.Parallel():
                    return self._parallel(statement, scope)
                case ast.ForEach():
                    self._for_each(statement, scope)
                case ast.WaitFor(expr=expr):
                    if expr is not None:
                        self.expect(expr, DURATION, scope, "the wait")
                    self.step_calendar(statement.calendar, scope)
                case ast.WaitUntil():
                    self._wait_until(statement, scope)
                    self.step_calendar(statement.calendar, scope)
                case ast.WaitEvent():
                    self.step_calendar(statement.calendar, scope)
                    return self._wait_event(statement, scope)
                case ast.Set():
                    return self._set(statement, scope)
                case ast.Notify():
                    self._parties(statement.parties)
                    self.chosen_parties(statement.parties, scope)
                    self.expect(statement.message, TEXT, scope, "a notification")
                    if statement.subject is not None:
                        self.expect(statement.subject, TEXT, scope, "a notification's subject")
                case ast.GoBack():
                    self._ref(statement.target, "go back to")
                case ast.Fail():
                    self.expect(statement.message, TEXT, scope, "the reason to fail")
                case ast.Exit():
                    self._exit(statement, scope)
        finally:
            self.allowed = allowed
        name = step_name(statement)
        if name is not None:
            symbol = self.declared.get(name)
            if symbol is not None and symbol.span == statement.name_span:  # type: ignore[union-attr]
                scope[name] = symbol
        return scope

    def _if(self, statement: ast.If, scope: Scope) -> Scope:
        # Each branch writes into an overlay of its own: copying the scope for
        # every branch made long processes quadratic.
        added: list[dict[str, Symbol]] = []
        for branch in statement.branches:
            self._condition(branch.condition, scope)
            added.append(self._overlay(branch.body, scope))
        added.append(self._overlay(statement.orelse, scope) if statement.orelse else {})
        # A name is defined after the 'if' only if every way through defines it.
        for name in set.intersection(*(set(a) for a in added)):
            scope[name] = added[0][name]
        return scope

    def _exit(self, statement: ast.Exit, scope: Scope) -> None:
        """The key; the on-exit steps see the event's data as ``bind`` and what was defined
        before the exit. What they define is not defined after the block: the exit may
        not fire."""
        if statement.key is not None:
            self.type_of(statement.key, scope)
        layer: dict[str, Symbol] = {}
        if statement.bind is not None:
            span = statement.bind_span or statement.span
            self._declare(statement.bind, Symbol("event", RECORD, span))
            layer[statement.bind] = Symbol("event", RECORD, span, None, None)
        if statement.then:
            self._overlay(statement.then, ChainMap(layer, scope))

    def _overlay(self, body: tuple[ast.Statement, ...], scope: Scope) -> dict[str, Symbol]:
        """Check ``body`` on top of ``scope``; the names it defines (``scope`` unchanged)."""
        layer: dict[str, Symbol] = {}
        self._body(body, ChainMap(layer, scope))
        return layer

    def _condition(self, expr: ast.Expr, scope: Scope) -> None:
        kind = self.type_of(expr, scope)
        if kind is not None and kind not in (BOOL, ANY):
            self.error(
                "T004",
                f"the condition is {kind}, not true/false",
                expr.span,
                hint='compare it: for example budget > 0 EUR, or title != ""',
            )

    def _parallel(self, statement: ast.Parallel, scope: Scope) -> Scope:
        if statement.join == "count" and (statement.count or 0) > len(statement.branches):
            self.error(
                "T002",
                f"'{statement.count} of' waits for more branches than the "
                f"{len(statement.branches)} there are",
                statement.span,
            )
        self._long_loops_in(statement)
        layers = [self._overlay(b.body, scope) for b in statement.branches]
        if statement.join == "all":
            # Every branch finished: what each defined is there. (With 'first' or
            # 'N of', cancelled branches may not have defined their names.)
            for layer in layers:
                scope.update(layer)
        return scope

    def _for_each(self, statement: ast.ForEach, scope: Scope) -> None:
        items = self.type_of(statement.items, scope)
        item: Type = ANY
        if isinstance(items, ListOf):
            item = items.item
        elif items not in (None, ANY):
            self.error(
                "T002", f"'for each' needs a list, but this is {items}", statement.items.span
            )
        if (statement.concurrency or 1) > 1:
            self._alone_per_item(statement)
        # What the body defines is per item: not visible after the loop.
        inner = ChainMap({statement.variable: Symbol("loop", item, statement.variable_span)}, scope)
        self._body(statement.body, inner)

    def _long_loops_in(self, block: ast.Parallel) -> None:
        """A long loop in a branch grows the campaign's history with no continue-as-new
        until the whole block ends (docs/operations.md)."""
        for branch in block.branches:
            for inner in iter_steps(branch.body):
                if isinstance(inner, ast.GoBack) and inner.times >= LONG_LOOP:
                    self.warn(
                        "G104",
                        f"this 'go back' may go round {inner.times} times inside a parallel "
                        "branch, where the campaign cannot continue as new: its history grows "
                        "until the whole 'parallel' ends",
                        inner.span,
                        hint="run the loop outside the 'parallel' (an 'exit when event' block "
                        "can stop it when something else happens), or allow G104 if the "
                        f"branch is short-lived (the 'parallel' is at line {block.span.line})",
                    )

    def _alone_per_item(self, loop: ast.ForEach) -> None:
        """Items running at once would share one open step, or one count of rounds."""
        for inner in iter_steps(loop.body):
            if isinstance(inner, ast.Human):
                what = (
                    f"the {'approval' if inner.kind == 'approval' else 'work item'} '{inner.name}'"
                )
            elif isinstance(inner, ast.GoBack):
                what = "a 'go back'"
            else:
                continue
            self.error(
                "G008",
                f"{what} is inside a 'for each' that runs {loop.concurrency} items at once: "
                "the items would share it",
                inner.span,
                hint="call a sub-process for each item (each opens its own steps), "
                f"or drop '{loop.concurrency} at a time' (line {loop.span.line}) "
                "to run the items one after another",
            )

    def _wait_until(self, statement: ast.WaitUntil, scope: Scope) -> None:
        if statement.zone is not None and not is_zone(statement.zone):
            self.error(
                "C003",
                f"'{statement.zone}' is not a time zone",
                statement.span,
                hint=zone_hint(statement.zone),
            )
        kind = self.type_of(statement.moment, scope)
        if kind not in (None, ANY, DATE, DATETIME):
            self.error(
                "T002",
                f"'wait until' needs a date or a date and time, but this is {kind}",
                statement.moment.span,
            )
        if statement.at is not None and kind == DATETIME:
            self.error(
                "T002",
                "'at' sets the time of a date; this already is a date and time",
                statement.span,
            )

    def _wait_event(self, statement: ast.WaitEvent, scope: Scope) -> Scope:
        self.type_of(statement.key, scope)
        if statement.on_timeout is not None:
            self._ref(statement.on_timeout, "on deadline, go to")
        if statement.bind is None:
            return scope
        span = statement.bind_span or statement.span
        self._declare(statement.bind, Symbol("event", RECORD, span))
        scope[statement.bind] = Symbol("event", RECORD, span, None, None)
        return scope

    def _set(self, statement: ast.Set, scope: Scope) -> Scope:
        kind = self.type_of(statement.value, scope) or ANY
        earlier = scope.get(statement.name) or self.declared.get(statement.name)
        if earlier is not None and earlier.kind != "set":
            self.error(
                "N002",
                f"'{statement.name}' is already defined at line {earlier.span.line}",
                statement.name_span,
                hint="'set' names a variable of its own; pick another name",
            )
            return scope
        if earlier is not None and not is_assignable(kind, earlier.type):
            self.error(
                "T002",
                f"'{statement.name}' holds {earlier.type}; this is {kind}",
                statement.value.span,
            )
        currency = self.currency_of(statement.value, scope) if kind == MONEY else None
        if earlier is not None and currency and earlier.currency and currency != earlier.currency:
            self.error(
                "T002",
                f"'{statement.name}' holds an amount in {earlier.currency}; this is in {currency}",
                statement.value.span,
                hint=f"write it in {earlier.currency}",
            )
        symbol = earlier or Symbol("set", kind, statement.name_span, currency=currency)
        self.declared.setdefault(statement.name, symbol)
        scope[statement.name] = symbol
        return scope

    # ---- tasks and sub-processes ----------------------------------------------------------

    def _task(self, task: ast.Task, scope: Scope) -> None:
        self._arguments(task.action, task.action_span, task.arguments, scope)
        if task.on_error is not None:
            self._ref(task.on_error, "on error, go to")
        if task.undo is not None:
            # The undo runs after the task, so it may use the task's result.
            inner: Scope = ChainMap({}, scope)
            symbol = self.declared.get(task.name)
            if symbol is not None:
                inner[task.name] = symbol
            self._arguments(task.undo.action, task.undo.action_span, task.undo.arguments, inner)

    def _arguments(
        self,
        action: str,
        action_span: Span,
        arguments: tuple[ast.Argument, ...],
        scope: Scope,
    ) -> None:
        signature = self.catalogue.get(action)
        if signature is None:
            self.error(
                "N003",
                f"no worker provides the action '{action}'",
                action_span,
                hint=did_you_mean(action, self.catalogue.names)
                or "run 'mops actions' to list the actions you can call",
            )
            for argument in arguments:
                self.type_of(argument.value, scope)
            return
        params = {p.name: (declared_type(p.type), p.required) for p in signature.params}
        self._match_arguments(f"'{action}'", action_span, arguments, params, scope)

    def _call_process(self, step: ast.CallProcess, scope: Scope) -> None:
        callee = self.processes.get(step.process)
        if callee is None:
            self.error(
                "N011",
                f"there is no process '{step.process}' to call",
                step.process_span,
                hint=did_you_mean(step.process, self.processes)
                or "make it callable with 'use \"its_file.mops\"' at the top of this file",
            )
            for argument in step.arguments:
                self.type_of(argument.value, scope)
            return
        params = {i.name: (i.type.type, i.default is None) for i in callee.inputs}
        self._match_arguments(
            f"process '{step.process}'", step.process_span, step.arguments, params, scope
        )
        for item in callee.inputs:
            wanted = self.currency_of(item.default, {}) if item.default is not None else None
            for argument in step.arguments:
                given = self.currency_of(argument.value, scope)
                if argument.name == item.name and wanted and given and given != wanted:
                    self.error(
                        "T002",
                        f"'{item.name}' of process '{step.process}' counts in {wanted}; "
                        f"this amount is in {given}",
                        argument.value.span,
                        hint=f"give it in {wanted}, as its default is",
                    )

    def _match_arguments(
        self,
        callee: str,
        span: Span,
        arguments: tuple[ast.Argument, ...],
        params: Mapping[str, tuple[Type, bool]],
        scope: Scope,
    ) -> None:
        given = {argument.name for argument in arguments}
        meant: set[str] = set()
        for argument in arguments:
            param = params.get(argument.name)
            if param is None:
                # A misspelt name stands for the argument it misspells: that one is
                # not reported missing as well, or the designer would add it twice.
                near = closest(argument.name, [p for p in params if p not in given])
                if near is not None:
                    meant.add(near)
                self.error(
                    "N004",
                    f"{callee} takes no argument '{argument.name}'",
                    argument.name_span,
                    hint=f"did you mean '{near}'?"
                    if near
                    else did_you_mean(argument.name, params)
                    or "it takes: " + (", ".join(params) or "nothing"),
                )
                self.type_of(argument.value, scope)
                continue
            self.expect(argument.value, param[0], scope, f"'{argument.name}'")
        missing = [
            name
            for name, (_t, required) in params.items()
            if required and name not in given and name not in meant
        ]
        if missing:
            self.error(
                "N005",
                f"{callee} needs the argument{'s' if len(missing) > 1 else ''} "
                + ", ".join(f"'{m}'" for m in missing),
                span,
                hint="add " + ", ".join(f"{m}: ..." for m in missing),
            )

    # ---- people ------------------------------------------------------------------------

    def _human(self, step: ast.Human, scope: Scope) -> None:
        noun = "work item" if step.kind == "work" else "approval"
        if not step.parties:
            option = "assign role ..." if step.kind == "work" else "by role ..."
            self.error(
                "T006",
                f"the {noun} '{step.name}' says nobody who may act on it",
                step.name_span,
                hint=f"add a line: {option} (or person ...)",
            )
        self._parties(step.parties)
        self.chosen_parties(step.parties, scope)
        self.step_calendar(step.calendar, scope)
        for what, text in (("subject", step.notice_subject), ("text", step.notice_body)):
            if text is not None:
                self.expect(text, TEXT, scope, f"the {what} of its notices")
        for escalation in step.escalations:
            self._parties(escalation.to)
            self.chosen_parties(escalation.to, scope)
        self._quorum(step)
        for what, computed in (
            ("the deadline", step.deadline_expr),
            ("the reminder interval", step.remind_every_expr),
            *(("the escalation's 'after'", e.after_expr) for e in step.escalations),
        ):
            if computed is not None:
                self.expect(computed, DURATION, scope, what)
        # 'not by started_by' bars the person who started the campaign.
        barring: Scope = ChainMap({STARTED_BY: Symbol("input", TEXT, step.span)}, scope)
        for expr in step.not_by:
            kind = self.type_of(expr, barring)
            if kind not in (None, ANY, TEXT, ListOf(TEXT)):
                self.error(
                    "T002",
                    f"'not by' names people (like draft.assignee), but this is {kind}",
                    expr.span,
                )
        self._ladder(step)
        for ref, what in (
            (step.on_reject, "on reject, go to"),
            (step.on_changes, "on changes, go to"),
        ):
            if ref is not None:
                self._ref(ref, what)
        if step.rounds is not None and step.rounds.target is not None:
            self._ref(step.rounds.target, "after the last round, go to")
        if step.rounds is not None and step.rounds.message is not None:
            # Shown once the last round is decided, so it may use the step's result.
            inner: Scope = ChainMap({}, scope)
            symbol = self.declared.get(step.name)
            if symbol is not None:
                inner[step.name] = symbol
            self.expect(step.rounds.message, TEXT, inner, "the reason to fail")
        if not step.has_deadline:
            self.warn(
                "G101",
                f"the {noun} '{step.name}' has no deadline: it may wait forever",
                step.name_span,
                hint="add 'deadline 2 business days' (or silence it: allow G101)",
            )
        elif not step.escalations:
            self.warn(
                "G102",
                f"nobody is told when the {noun} '{step.name}' misses its deadline",
                (step.deadline or step.deadline_expr or step).span,
                hint="add 'escalate to role ...' (or silence it: allow G102)",
            )

    def _quorum(self, step: ast.Human) -> None:
        quorum = step.quorum
        if quorum is None or quorum.kind != "count" or quorum.count is None:
            return
        people = [p for p in step.parties if isinstance(p, ast.Party) and p.kind == "person"]
        if len(people) == len(step.parties) and quorum.count > len(people):
            self.error(
                "T002",
                f"'{quorum.count} of' needs more approvers than the {len(people)} named",
                quorum.span,
            )

    def _ladder(self, step: ast.Human) -> None:
        times = [e.after for e in step.escalations]
        fixed = [t for t in times if t is not None]
        if len(fixed) > 1 and len({t.unit for t in fixed}) == 1:
            amounts = [t.amount for t in fixed]
            if amounts != sorted(amounts):
                self.error(
                    "T002",
                    "the escalation ladder is out of order: each step up comes later",
                    step.escalations[0].span,
                )

    # ---- decisions ---------------------------------------------------------------------

    def _decide(self, step: ast.Decide, scope: Scope) -> None:
        shapes = {tuple(name for name, _ in rule.outputs) for rule in step.rules}
        if len(shapes) > 1:
            self.error(
                "T002",
                f"the rows of '{step.name}' give different results: every row gives the same "
                "named results (or one unnamed result)",
                step.name_span,
            )
        result_types: dict[str | None, list[Type]] = {}
        texts: dict[str | None, list[str | None]] = {}
        for index, rule in enumerate(step.rules):
            if rule.condition is None and index != len(step.rules) - 1:
                self.error(
                    "R002",
                    "'otherwise' must be the last row: rows after it can never match",
                    rule.span,
                )
            if rule.condition is not None:
                self._condition(rule.condition, scope)
            for name, value in rule.outputs:
                kind = self.type_of(value, scope)
                if kind is not None:
                    result_types.setdefault(name, []).append(kind)
                plain = isinstance(value, ast.TextLit) and value.is_plain
                texts.setdefault(name, []).append(value.plain if plain else None)  # type: ignore[union-attr]
        if step.hit_policy != "priority" and any(r.priority is not None for r in step.rules):
            self.error(
                "R001",
                "'priority' on a row needs 'hit policy priority'",
                next(r.span for r in step.rules if r.priority is not None),
            )
        self._type_decision(step, result_types, texts)

    def _type_decision(
        self,
        step: ast.Decide,
        result_types: dict[str | None, list[Type]],
        texts: Mapping[str | None, list[str | None]],
    ) -> None:
        unified: dict[str | None, Type] = {}
        for name, kinds in result_types.items():
            first = kinds[0]
            values = texts.get(name, [])
            if values and all(v is not None for v in values):
                # Every row gives a literal text: the result is one of them, so a
                # comparison with another text is a mistake (T002).
                unified[name] = OneOf(tuple(dict.fromkeys(v for v in values if v is not None)))
            elif all(is_assignable(k, first) or is_assignable(first, k) for k in kinds):
                unified[name] = _widen(kinds)
            else:
                self.error(
                    "T002",
                    f"the rows of '{step.name}' give results of different types: "
                    + ", ".join(sorted({str(k) for k in kinds})),
                    step.name_span,
                )
                unified[name] = ANY
        symbol = self.declared.get(step.name)
        if symbol is None or symbol.span != step.name_span:
            return
        collect = step.hit_policy == "collect"
        if None in unified:
            kind = unified[None]
            self.declared[step.name] = Symbol(
                "decide", ListOf(kind) if collect else kind, step.name_span
            )
        elif unified:
            fields = {name: kind for name, kind in unified.items() if name is not None}
            self.declared[step.name] = Symbol(
                "decide",
                ListOf(RECORD) if collect else RECORD,
                step.name_span,
                None,
                None if collect else fields,
                f"decision '{step.name}'",
            )


def _result_fields(signature: ActionSignature | None) -> dict[str, Type] | None:
    if signature is None:
        return None
    return {f.name: declared_type(f.type) for f in signature.result}


def _widen(kinds: list[Type]) -> Type:
    # Literals of one enumeration come out as text: a decision of "paid" and
    # "organic" is a text the rows may compare with.
    first = kinds[0]
    if all(k == first for k in kinds):
        return first
    if all(isinstance(k, Scalar) and str(k) in {"text", "email", "url"} for k in kinds):
        return TEXT
    return first


def has_errors_in(diagnostics: list[Diagnostic]) -> bool:
    """Whether any diagnostic is an error."""
    return any(d.severity is Severity.ERROR for d in diagnostics)
