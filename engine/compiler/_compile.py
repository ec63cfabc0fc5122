"""AST -> IR. Only a checked AST is compiled, so this stage cannot fail on user input.

Calendars are pinned here: holidays are expanded to dates from the
``holidays`` library and stored in the IR, so a campaign computes the same
deadlines on replay whatever the library says later.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any, assert_never

from dsl import (
    APPROVAL_FIELDS,
    WORK_FIELDS,
    Catalogue,
    CheckedProcess,
    Directory,
    Type,
    ast,
    check_file,
    chosen_texts,
    declared_type,
    gc_paused,
    pin_calendar,
    resolve_calendar,
    years_to_pin,
)
from dsl import Span as SourceSpan
from engine import ir
from engine.compiler._expressions import ExprCompiler, duration, needs_typing, span_of, to_ir_type
from engine.errors import UserError
from engine.workflow.business_time import calendar_ir

__all__ = ["CompileFailed", "compile_file", "compile_process", "to_ir_type"]


class CompileFailed(UserError):
    """The process file has errors; ``checked`` holds every diagnostic."""

    def __init__(self, checked: CheckedProcess) -> None:
        count = sum(1 for d in checked.diagnostics if d.severity.value == "error")
        super().__init__(f"{checked.source.name}: {count} error{'s' if count != 1 else ''}")
        self.checked = checked


def compile_process(
    checked: CheckedProcess, catalogue: Catalogue, *, today: dt.date | None = None
) -> ir.ProcessIR:
    """The IR of a process that checked without errors.

    The catalogue supplies each action's own timeout (and heartbeat) where the
    process does not set one; ``today`` decides which years of holidays are
    pinned (default: the real today).

    Raises:
        CompileFailed: the check found errors.
    """
    process = checked.process
    if process is None or checked.file is None or not checked.ok:
        raise CompileFailed(checked)
    with gc_paused():
        compiler = _Compiler(checked, catalogue, today or dt.date.today())
        return compiler.process(process)


def compile_file(
    path: Path, catalogue: Catalogue, *, directory: Directory | None = None
) -> tuple[ir.ProcessIR, CheckedProcess]:
    """Read, check and compile a process file.

    Raises:
        UserError: the file cannot be read.
        CompileFailed: the file has errors.
    """
    # One pause for both stages: between them the collector would walk every
    # node of the AST just made.
    with gc_paused():
        try:
            checked = check_file(path, catalogue, directory=directory)
        except IsADirectoryError:
            raise UserError(f"{path} is a folder, not a process file") from None
        except FileNotFoundError:
            raise UserError(f"{path}: no such file") from None
        except OSError as error:
            raise UserError(f"{path}: cannot be read ({error.strerror or error})") from None
        return compile_process(checked, catalogue), checked


class _Compiler(ExprCompiler):
    def __init__(self, checked: CheckedProcess, catalogue: Catalogue, today: dt.date) -> None:
        assert checked.file is not None
        self.checked = checked
        self.file = checked.file
        self.catalogue = catalogue
        self.today = today
        calendar = None
        if checked.process is not None and checked.process.calendar is not None:
            spec = resolve_calendar(self.file, checked.process.calendar.name)
            if spec is not None:
                calendar = calendar_ir(pin_calendar(spec, years_to_pin(today)))
        self.calendar = calendar
        self.calendars: dict[str, ir.Calendar] = {}
        """Every other calendar a step names or may choose, pinned."""
        super().__init__(calendar.time_zone if calendar else "UTC")
        self.counter: dict[str, int] = {}
        self.action_fields: dict[str, dict[str, ir.TypeRef]] = {}

    def process(self, process: ast.Process) -> ir.ProcessIR:
        source = self.checked.source
        self.typed_fields = dict(self.result_fields(process.body))
        return ir.trusted(
            ir.ProcessIR,
            name=process.name,
            title=process.title or process.name.replace("_", " ").capitalize(),
            source_file=source.name,
            source_hash=source.sha256,
            inputs=tuple(
                ir.trusted(
                    ir.InputDecl,
                    name=i.name,
                    type=to_ir_type(i.type.type),
                    default=None if i.default is None else self.expr(i.default),
                    span=span_of(i.span),
                )
                for i in process.inputs
            ),
            body=self.body(process.body),
            outputs=tuple(
                ir.trusted(
                    ir.OutputDecl,
                    name=o.name,
                    type=None if o.type is None else to_ir_type(o.type.type),
                    value=self.expr(o.value),
                    span=span_of(o.span),
                )
                for o in process.outputs
            ),
            owner=None if process.owner is None else _party(process.owner),
            calendar=self.calendar,
            span=span_of(process.span),
            **({"calendars": dict(sorted(self.calendars.items()))} if self.calendars else {}),
            **({} if process.schedule is None else {"schedule": self.schedule(process.schedule)}),
        )

    def schedule(self, every: ast.Schedule) -> ir.Schedule:
        zone = every.zone or (self.calendar.time_zone if self.calendar else "UTC")
        return ir.trusted(
            ir.Schedule,
            every=every.every,
            at=f"{every.at:%H:%M}",
            time_zone=zone,
            weekday=every.weekday,
            day=every.day,
            first_business_day=every.first_business_day,
        )

    def pin(self, name: str) -> bool:
        """Pin the calendar ``name`` (a block of the file or a preset) into the IR."""
        if name in self.calendars:
            return True
        spec = resolve_calendar(self.file, name)
        if spec is None:
            return False
        self.calendars[name] = calendar_ir(pin_calendar(spec, years_to_pin(self.today)))
        return True

    def step_calendar(self, chosen: ast.StepCalendar | None) -> dict[str, Any]:
        """The IR fields of a step's own calendar: its name, or the expression choosing it
        (then every calendar it may choose is pinned: each block of the file, and the
        presets its known values name)."""
        if chosen is None:
            return {}
        if chosen.name is not None:
            self.pin(chosen.name.name)
            return {"calendar": chosen.name.name}
        assert chosen.expr is not None
        for definition in self.file.calendars:
            self.pin(definition.name)
        assert self.checked.process is not None
        for value in chosen_texts(self.checked.process, chosen.expr):
            self.pin(value)
        return {"calendar_expr": self.expr(chosen.expr)}

    def result_fields(
        self, statements: tuple[ast.Statement, ...]
    ) -> Iterator[tuple[str, dict[str, ir.TypeRef]]]:
        """Each step with a result in ``statements`` (nested too), with the fields
        of it that JSON does not type (see :class:`ir.Attr`)."""
        for statement in statements:
            match statement:
                case ast.Task(action=action):
                    typed = self.action_fields.get(action)
                    if typed is None:
                        signature = self.catalogue.get(action)
                        result = () if signature is None else signature.result
                        typed = _typed({f.name: declared_type(f.type) for f in result})
                        self.action_fields[action] = typed
                    yield statement.name, typed
                case ast.Human(kind="work"):
                    returns = {f.name: f.type.type for f in statement.returns}
                    yield statement.name, _typed({**WORK_FIELDS, **returns})
                case ast.Human():
                    yield statement.name, _APPROVAL_TYPED
                case ast.CallProcess():
                    callee = self.checked.used[statement.process].process
                    assert callee is not None
                    outputs = {o.name: o.type.type for o in callee.outputs if o.type is not None}
                    yield statement.name, _typed(outputs)
                case ast.If(branches=branches, orelse=orelse):
                    for branch in branches:
                        yield from self.result_fields(branch.body)
                    yield from self.result_fields(orelse or ())
                case ast.Parallel(branches=branches):
                    for parallel_branch in branches:
                        yield from self.result_fields(parallel_branch.body)
                case ast.ForEach(body=body) | ast.Exit(then=body):
                    yield from self.result_fields(body)
                case _:
                    pass

    def body(self, statements: tuple[ast.Statement, ...]) -> tuple[ir.Step, ...]:
        return tuple(self.statement(s) for s in statements)

    def auto_id(self, kind: str, span: SourceSpan) -> str:
        return f"{kind}_line_{span.line}"

    def statement(self, statement: ast.Statement) -> ir.Step:
        span = span_of(statement.span)
        match statement:
            case ast.Task():
                return self.task(statement)
            case ast.Human():
                return self.human(statement)
            case ast.Decide():
                return ir.trusted(
                    ir.DecideStep,
                    id=statement.name,
                    title=statement.display_title,
                    hit_policy=statement.hit_policy,
                    rules=tuple(
                        ir.trusted(
                            ir.Rule,
                            condition=None if r.condition is None else self.expr(r.condition),
                            outputs={(n or ""): self.expr(v) for n, v in r.outputs},
                            priority=r.priority,
                            span=span_of(r.span),
                        )
                        for r in statement.rules
                    ),
                    span=span,
                )
            case ast.If():
                return ir.trusted(
                    ir.IfStep,
                    id=self.auto_id("if", statement.span),
                    branches=tuple(
                        ir.trusted(
                            ir.Branch,
                            condition=self.expr(b.condition),
                            body=self.body(b.body),
                            span=span_of(b.span),
                        )
                        for b in statement.branches
                    ),
                    orelse=self.body(statement.orelse or ()),
                    span=span,
                )
            case ast.Parallel():
                return ir.trusted(
                    ir.ParallelStep,
                    id=self.auto_id("parallel", statement.span),
                    title=statement.title,
                    join=statement.join,
                    count=statement.count,
                    branches=tuple(
                        ir.trusted(
                            ir.ParallelBranch,
                            name=b.name,
                            title=b.title,
                            body=self.body(b.body),
                            span=span_of(b.span),
                        )
                        for b in statement.branches
                    ),
                    span=span,
                )
            case ast.ForEach():
                return ir.trusted(
                    ir.ForEachStep,
                    id=self.auto_id("for_each", statement.span),
                    variable=statement.variable,
                    items=self.expr(statement.items),
                    concurrency=statement.concurrency,
                    body=self.body(statement.body),
                    span=span,
                )
            case ast.WaitFor():
                return ir.trusted(
                    ir.WaitStep,
                    id=self.auto_id("wait", statement.span),
                    duration=None if statement.duration is None else duration(statement.duration),
                    duration_expr=None if statement.expr is None else self.expr(statement.expr),
                    span=span,
                    **self.step_calendar(statement.calendar),
                )
            case ast.WaitUntil():
                return ir.trusted(
                    ir.WaitStep,
                    id=self.auto_id("wait", statement.span),
                    until=self.expr(statement.moment),
                    at=statement.at,
                    zone=statement.zone,
                    send_window=statement.send_window,
                    span=span,
                    **self.step_calendar(statement.calendar),
                )
            case ast.WaitEvent():
                return ir.trusted(
                    ir.EventStep,
                    id=self.auto_id("event", statement.span),
                    event=statement.event,
                    key=self.expr(statement.key),
                    bind=statement.bind,
                    deadline=None if statement.deadline is None else duration(statement.deadline),
                    on_timeout=None if statement.on_timeout is None else statement.on_timeout.name,
                    span=span,
                    **self.step_calendar(statement.calendar),
                )
            case ast.CallProcess():
                return self.call(statement)
            case ast.Set():
                return ir.trusted(
                    ir.SetStep,
                    id=self.auto_id("set", statement.span),
                    name=statement.name,
                    value=self.expr(statement.value),
                    span=span,
                )
            case ast.Notify():
                return ir.trusted(
                    ir.NotifyStep,
                    id=self.auto_id("notify", statement.span),
                    parties=_parties(statement.parties),
                    message=self.expr(statement.message),
                    span=span,
                    **self.parties_from("parties_from", statement.parties),
                    **(
                        {}
                        if statement.subject is None
                        else {"subject": self.expr(statement.subject)}
                    ),
                )
            case ast.GoBack():
                return ir.trusted(
                    ir.GoBackStep,
                    id=self.auto_id("go_back", statement.span),
                    target=statement.target.name,
                    times=statement.times,
                    span=span,
                )
            case ast.Fail():
                return ir.trusted(
                    ir.FailStep,
                    id=self.auto_id("fail", statement.span),
                    message=self.expr(statement.message),
                    span=span,
                )
            case ast.Exit():
                return ir.trusted(
                    ir.ExitStep,
                    id=self.auto_id("exit", statement.span),
                    event=statement.event,
                    key=None if statement.key is None else self.expr(statement.key),
                    span=span,
                    **({} if statement.bind is None else {"bind": statement.bind}),
                    **({"then": self.body(statement.then)} if statement.then else {}),
                )
            case _:
                assert_never(statement)

    def task(self, task: ast.Task) -> ir.TaskStep:
        return ir.trusted(
            ir.TaskStep,
            id=task.name,
            title=task.display_title,
            action=task.action,
            arguments={a.name: self.expr(a.value) for a in task.arguments},
            span=span_of(task.span),
            on_error=None if task.on_error is None else task.on_error.name,
            undo=None
            if task.undo is None
            else ir.trusted(
                ir.ActionCall,
                action=task.undo.action,
                arguments={a.name: self.expr(a.value) for a in task.undo.arguments},
                span=span_of(task.undo.span),
            ),
            **self.task_policy(task),
        )

    def task_policy(self, task: ast.Task) -> dict[str, Any]:
        policy: dict[str, Any] = {}
        signature = self.catalogue.get(task.action)
        if signature is not None and signature.timeout_seconds is not None:
            policy["timeout_seconds"] = signature.timeout_seconds
        if signature is not None and signature.heartbeat_seconds is not None:
            policy["heartbeat_seconds"] = signature.heartbeat_seconds
        if task.timeout is not None and task.timeout.seconds is not None:
            policy["timeout_seconds"] = float(task.timeout.seconds)
        retry: dict[str, Any] = {}
        if task.retry_attempts is not None:
            retry["maximum_attempts"] = task.retry_attempts
        if task.backoff is not None:
            first, longest = task.backoff
            retry["initial_interval_seconds"] = float(first.seconds or 1)
            # Without 'to', the waits grow up to ten times the first (at least a minute).
            cap = longest.seconds if longest is not None else max(60, (first.seconds or 1) * 10)
            retry["maximum_interval_seconds"] = float(max(cap or 60, first.seconds or 1))
        if retry:
            policy["retry"] = ir.trusted(ir.RetryPolicy, **retry)
        return policy

    def human(self, step: ast.Human) -> ir.HumanStep:
        quorum = step.quorum
        rounds = step.rounds
        return ir.trusted(
            ir.HumanStep,
            id=step.name,
            title=step.display_title,
            form=step.kind,
            parties=_parties(step.parties),
            quorum="any" if quorum is None else quorum.kind,
            quorum_count=None if quorum is None else quorum.count,
            not_by=tuple(self.expr(e) for e in step.not_by),
            delegation=step.delegation,
            deadline=None if step.deadline is None else duration(step.deadline),
            remind_every=None if step.remind_every is None else duration(step.remind_every),
            escalations=tuple(
                ir.trusted(
                    ir.Escalation,
                    to=_parties(e.to),
                    after=None if e.after is None else duration(e.after),
                    after_expr=None if e.after_expr is None else self.expr(e.after_expr),
                    **self.parties_from("to_from", e.to),
                )
                for e in step.escalations
            ),
            returns=tuple(
                ir.trusted(ir.Field_, name=f.name, type=to_ir_type(f.type.type))
                for f in step.returns
            ),
            on_reject=None if step.on_reject is None else step.on_reject.name,
            on_changes=None if step.on_changes is None else step.on_changes.name,
            rounds=None
            if rounds is None
            else ir.trusted(
                ir.RoundsLimit,
                count=rounds.count,
                outcome=rounds.outcome,
                message=self._rounds_message(rounds.message),
                target=None if rounds.target is None else rounds.target.name,
            ),
            span=span_of(step.span),
            deadline_expr=None if step.deadline_expr is None else self.expr(step.deadline_expr),
            remind_every_expr=None
            if step.remind_every_expr is None
            else self.expr(step.remind_every_expr),
            **self.parties_from("parties_from", step.parties),
            **self.step_calendar(step.calendar),
            **{
                name: value
                for name, value in (
                    ("instructions", step.instructions),
                    ("notice_subject", step.notice_subject and self.expr(step.notice_subject)),
                    ("notice_body", step.notice_body and self.expr(step.notice_body)),
                )
                if value is not None
            },
        )

    def parties_from(self, field: str, parties: ast.Parties) -> dict[str, Any]:
        """``{field: (PartyFrom, ...)}`` for the parties worked out at run time, if any."""
        chosen = tuple(
            ir.trusted(ir.PartyFrom, kind=p.kind, expr=self.expr(p.expr))
            for p in parties
            if isinstance(p, ast.PartyFrom)
        )
        return {field: chosen} if chosen else {}

    def _rounds_message(self, message: ast.TextLit | None) -> str | ir.Expr | None:
        # A plain text stays a string, as in the IR before texts here could interpolate.
        if message is None or message.is_plain:
            return None if message is None else message.plain
        return self.expr(message)

    def call(self, step: ast.CallProcess) -> ir.CallStep:
        callee = self.checked.used[step.process]
        return ir.trusted(
            ir.CallStep,
            id=step.name,
            title=step.display_title,
            process=compile_process(callee, self.catalogue, today=self.today),
            arguments={a.name: self.expr(a.value) for a in step.arguments},
            span=span_of(step.span),
        )


def _typed(fields: dict[str, Type]) -> dict[str, ir.TypeRef]:
    return {name: to_ir_type(t) for name, t in fields.items() if needs_typing(t)}


_APPROVAL_TYPED = _typed(APPROVAL_FIELDS)


def _party(party: ast.Party) -> ir.Party:
    return ir.trusted(ir.Party, kind=party.kind, name=party.name)


def _parties(parties: ast.Parties) -> tuple[ir.Party, ...]:
    """The parties named as written (those worked out at run time go apart)."""
    return tuple(_party(p) for p in parties if isinstance(p, ast.Party))
