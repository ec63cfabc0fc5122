"""AST -> IR. Only a checked AST is compiled, so this stage cannot fail on user input.

Calendars are pinned here: holidays are expanded to dates from the
``holidays`` library and stored in the IR, so a campaign computes the same
deadlines on replay whatever the library says later.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import assert_never

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
        return ir.unvalidated(ir.ProcessIR)(
            name=process.name,
            title=process.title or process.name.replace("_", " ").capitalize(),
            source_file=source.name,
            source_hash=source.sha256,
            inputs=tuple(
                ir.unvalidated(ir.InputDecl)(
                    name=i.name,
                    type=to_ir_type(i.type.type),
                    default=None if i.default is None else self.expr(i.default),
                    span=span_of(i.span),
                )
                for i in process.inputs
            ),
            body=self.body(process.body),
            outputs=tuple(
                ir.unvalidated(ir.OutputDecl)(
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
            # After the body: compiling it pins the calendars its steps name.
            calendars=dict(sorted(self.calendars.items())) if self.calendars else None,
            schedule=None if process.schedule is None else self.schedule(process.schedule),
        )

    def schedule(self, every: ast.Schedule) -> ir.Schedule:
        zone = every.zone or (self.calendar.time_zone if self.calendar else "UTC")
        return ir.unvalidated(ir.Schedule)(
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

    def step_calendar(self, chosen: ast.StepCalendar | None) -> tuple[str | None, ir.Expr | None]:
        """A step's own calendar (its IR fields ``calendar`` and ``calendar_expr``): its
        name, or the expression choosing it (then every calendar it may choose is pinned:
        each block of the file, and the presets its known values name)."""
        if chosen is None:
            return None, None
        if chosen.name is not None:
            self.pin(chosen.name.name)
            return chosen.name.name, None
        assert chosen.expr is not None
        for definition in self.file.calendars:
            self.pin(definition.name)
        assert self.checked.process is not None
        for value in chosen_texts(self.checked.process, chosen.expr):
            self.pin(value)
        return None, self.expr(chosen.expr)

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
        # The commonest steps first, by a method of their own that makes their span.
        if isinstance(statement, ast.Task):
            return self.task(statement)
        if isinstance(statement, ast.Human):
            return self.human(statement)
        if isinstance(statement, ast.CallProcess):
            return self.call(statement)
        span = span_of(statement.span)
        match statement:
            case ast.Decide():
                return ir.unvalidated(ir.DecideStep)(
                    id=statement.name,
                    title=statement.display_title,
                    hit_policy=statement.hit_policy,
                    rules=tuple(
                        ir.unvalidated(ir.Rule)(
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
                return ir.unvalidated(ir.IfStep)(
                    id=self.auto_id("if", statement.span),
                    branches=tuple(
                        ir.unvalidated(ir.Branch)(
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
                return ir.unvalidated(ir.ParallelStep)(
                    id=self.auto_id("parallel", statement.span),
                    title=statement.title,
                    join=statement.join,
                    count=statement.count,
                    branches=tuple(
                        ir.unvalidated(ir.ParallelBranch)(
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
                return ir.unvalidated(ir.ForEachStep)(
                    id=self.auto_id("for_each", statement.span),
                    variable=statement.variable,
                    items=self.expr(statement.items),
                    concurrency=statement.concurrency,
                    body=self.body(statement.body),
                    span=span,
                )
            case ast.WaitFor():
                calendar, calendar_expr = self.step_calendar(statement.calendar)
                return ir.unvalidated(ir.WaitStep)(
                    id=self.auto_id("wait", statement.span),
                    duration=None if statement.duration is None else duration(statement.duration),
                    duration_expr=None if statement.expr is None else self.expr(statement.expr),
                    span=span,
                    calendar=calendar,
                    calendar_expr=calendar_expr,
                )
            case ast.WaitUntil():
                calendar, calendar_expr = self.step_calendar(statement.calendar)
                return ir.unvalidated(ir.WaitStep)(
                    id=self.auto_id("wait", statement.span),
                    until=self.expr(statement.moment),
                    at=statement.at,
                    zone=statement.zone,
                    send_window=statement.send_window,
                    span=span,
                    calendar=calendar,
                    calendar_expr=calendar_expr,
                )
            case ast.WaitEvent():
                calendar, calendar_expr = self.step_calendar(statement.calendar)
                return ir.unvalidated(ir.EventStep)(
                    id=self.auto_id("event", statement.span),
                    event=statement.event,
                    key=self.expr(statement.key),
                    bind=statement.bind,
                    deadline=None if statement.deadline is None else duration(statement.deadline),
                    on_timeout=None if statement.on_timeout is None else statement.on_timeout.name,
                    span=span,
                    calendar=calendar,
                    calendar_expr=calendar_expr,
                )
            case ast.Set():
                return ir.unvalidated(ir.SetStep)(
                    id=self.auto_id("set", statement.span),
                    name=statement.name,
                    value=self.expr(statement.value),
                    span=span,
                )
            case ast.Notify():
                return ir.unvalidated(ir.NotifyStep)(
                    id=self.auto_id("notify", statement.span),
                    parties=_parties(statement.parties),
                    message=self.expr(statement.message),
                    span=span,
                    parties_from=self.parties_from(statement.parties),
                    subject=None if statement.subject is None else self.expr(statement.subject),
                )
            case ast.GoBack():
                return ir.unvalidated(ir.GoBackStep)(
                    id=self.auto_id("go_back", statement.span),
                    target=statement.target.name,
                    times=statement.times,
                    span=span,
                )
            case ast.Fail():
                return ir.unvalidated(ir.FailStep)(
                    id=self.auto_id("fail", statement.span),
                    message=self.expr(statement.message),
                    span=span,
                )
            case ast.Exit():
                return ir.unvalidated(ir.ExitStep)(
                    id=self.auto_id("exit", statement.span),
                    event=statement.event,
                    key=None if statement.key is None else self.expr(statement.key),
                    span=span,
                    bind=statement.bind,
                    then=self.body(statement.then) if statement.then else None,
                )
            case _:
                assert_never(statement)

    def task(self, task: ast.Task) -> ir.TaskStep:
        signature = self.catalogue.get(task.action)
        return ir.unvalidated(ir.TaskStep)(
            id=task.name,
            title=task.display_title,
            action=task.action,
            arguments={a.name: self.expr(a.value) for a in task.arguments},
            span=span_of(task.span),
            on_error=None if task.on_error is None else task.on_error.name,
            undo=None
            if task.undo is None
            else ir.unvalidated(ir.ActionCall)(
                action=task.undo.action,
                arguments={a.name: self.expr(a.value) for a in task.undo.arguments},
                span=span_of(task.undo.span),
            ),
            timeout_seconds=self.timeout_seconds(task),
            heartbeat_seconds=None if signature is None else signature.heartbeat_seconds,
            retry=self.retry(task),
        )

    def timeout_seconds(self, task: ast.Task) -> float:
        """The task's own timeout, else its action's, else the IR's default."""
        if task.timeout is not None and task.timeout.seconds is not None:
            return float(task.timeout.seconds)
        signature = self.catalogue.get(task.action)
        if signature is not None and signature.timeout_seconds is not None:
            return signature.timeout_seconds
        return _DEFAULT_TIMEOUT_SECONDS

    def retry(self, task: ast.Task) -> ir.RetryPolicy:
        """The task's retry policy: what it writes, the IR's defaults for the rest."""
        if task.retry_attempts is None and task.backoff is None:
            return _DEFAULT_RETRY
        attempts = task.retry_attempts
        first = _DEFAULT_RETRY.initial_interval_seconds
        longest = _DEFAULT_RETRY.maximum_interval_seconds
        if task.backoff is not None:
            written, written_longest = task.backoff
            first = float(written.seconds or 1)
            # Without 'to', the waits grow up to ten times the first (at least a minute).
            cap = (
                written_longest.seconds
                if written_longest is not None
                else max(60, (written.seconds or 1) * 10)
            )
            longest = float(max(cap or 60, written.seconds or 1))
        return ir.unvalidated(ir.RetryPolicy)(
            maximum_attempts=_DEFAULT_RETRY.maximum_attempts if attempts is None else attempts,
            initial_interval_seconds=first,
            maximum_interval_seconds=longest,
        )

    def human(self, step: ast.Human) -> ir.HumanStep:
        quorum = step.quorum
        rounds = step.rounds
        calendar, calendar_expr = self.step_calendar(step.calendar)
        return ir.unvalidated(ir.HumanStep)(
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
                ir.unvalidated(ir.Escalation)(
                    to=_parties(e.to),
                    after=None if e.after is None else duration(e.after),
                    after_expr=None if e.after_expr is None else self.expr(e.after_expr),
                    to_from=self.parties_from(e.to),
                )
                for e in step.escalations
            ),
            returns=tuple(
                ir.unvalidated(ir.Field_)(name=f.name, type=to_ir_type(f.type.type))
                for f in step.returns
            ),
            on_reject=None if step.on_reject is None else step.on_reject.name,
            on_changes=None if step.on_changes is None else step.on_changes.name,
            rounds=None
            if rounds is None
            else ir.unvalidated(ir.RoundsLimit)(
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
            parties_from=self.parties_from(step.parties),
            calendar=calendar,
            calendar_expr=calendar_expr,
            instructions=step.instructions,
            notice_subject=None if step.notice_subject is None else self.expr(step.notice_subject),
            notice_body=None if step.notice_body is None else self.expr(step.notice_body),
        )

    def parties_from(self, parties: ast.Parties) -> tuple[ir.PartyFrom, ...] | None:
        """The parties worked out at run time, if any."""
        chosen = tuple(
            ir.unvalidated(ir.PartyFrom)(kind=p.kind, expr=self.expr(p.expr))
            for p in parties
            if isinstance(p, ast.PartyFrom)
        )
        return chosen or None

    def _rounds_message(self, message: ast.TextLit | None) -> str | ir.Expr | None:
        # A plain text stays a string, as in the IR before texts here could interpolate.
        if message is None or message.is_plain:
            return None if message is None else message.plain
        return self.expr(message)

    def call(self, step: ast.CallProcess) -> ir.CallStep:
        callee = self.checked.used[step.process]
        return ir.unvalidated(ir.CallStep)(
            id=step.name,
            title=step.display_title,
            process=compile_process(callee, self.catalogue, today=self.today),
            arguments={a.name: self.expr(a.value) for a in step.arguments},
            span=span_of(step.span),
        )


_DEFAULT_RETRY = ir.RetryPolicy()
_DEFAULT_TIMEOUT_SECONDS: float = ir.TaskStep.model_fields["timeout_seconds"].default
"""The IR's own default, read once (a task needs it when neither it nor its action sets one)."""


def _typed(fields: dict[str, Type]) -> dict[str, ir.TypeRef]:
    return {name: to_ir_type(t) for name, t in fields.items() if needs_typing(t)}


_APPROVAL_TYPED = _typed(APPROVAL_FIELDS)


def _party(party: ast.Party) -> ir.Party:
    return ir.unvalidated(ir.Party)(kind=party.kind, name=party.name)


def _parties(parties: ast.Parties) -> tuple[ir.Party, ...]:
    """The parties named as written (those worked out at run time go apart)."""
    return tuple(_party(p) for p in parties if isinstance(p, ast.Party))
