"""``mops fmt``: one canonical layout for every process file.

The file is written again from its syntax tree, in the house style: two spaces
per block, one step or option per line, options in a fixed order, canonical
spacing in expressions (``a + b``, ``f(x, y)``, ``[a, b]``, ``{a: 1}``), and no
line longer than 100 characters where the language lets it break: an argument
list that does not fit goes one argument per line, a long expression is broken
inside brackets (see :mod:`dsl._format_expr`), and ``returns`` fields that do
not fit go on the next line after a ``\\``. A text cannot be broken: a line
with a long one stays long. Texts keep their escapes and interpolations exactly
as written; durations stay as written; dates are ISO. An option that restates a
default (``hit policy first``, ``parallel all``, ``delegation allowed``) stays if
written.

Blank lines: one between top-level blocks and between the sections of a
process (its options, inputs, steps, outputs); one before and after each step
with a block of its own (options, rows or steps) unless it opens its block; a
blank line the designer left between steps, inputs or outputs is kept (several
become one); none inside an option block.

Comments: the tree has none, so they are put back by line number. A comment
line belongs to the first line after it that is written again (a step, an
option, a row, an input, an argument of a broken call) and goes just above it,
at its indentation. An end-of-line comment stays at the end of its line, or
goes above the next line when its own is not written as such (the closing
``)`` of a call). Comments after the last line stay at the end. A comment
inside an argument list keeps the list broken, one argument per line; so does
one among the items of a list, a record or an ``and`` / ``or`` chain.

A file that does not parse cleanly is not formatted: its tree would not hold
all of it. The result is parsed again and must give the same tree, spans
aside; if it does not, formatting stops rather than change a process.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence

from dsl import _ast as ast
from dsl._diagnostics import Diagnostic
from dsl._format_expr import (
    _NAME,
    ExprPrinter,
    _clock,
    _days,
    _quote,
    _split,
    _title,
    _type,
    fits,
)
from dsl._format_layout import Line, layout
from dsl._parser import parse_source
from dsl._source import SourceFile, Span


class FormatError(ValueError):
    """The file has problems that stop it from being formatted (``diagnostics``)."""

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        super().__init__(f"the file has {len(diagnostics)} problem(s); fix them first")
        self.diagnostics = tuple(diagnostics)


def format_source(source_text: str) -> str:
    """The text of a process file in canonical layout, comments kept.

    Raises:
        FormatError: the file does not parse cleanly.
        RuntimeError: formatting would change the process (a bug; nothing is lost).
    """
    source = SourceFile.from_text(source_text)
    parsed = parse_source(source)
    if parsed.file is None or parsed.diagnostics:
        raise FormatError(parsed.diagnostics)
    text = _Printer(source).file(parsed.file)
    again = parse_source(SourceFile.from_text(text)).file
    if again is None or without_spans(again) != without_spans(parsed.file):
        raise RuntimeError("formatting would change what the process does; it is left as it is")
    return text


def without_spans(node: object) -> object:
    """A tree as nested tuples without its spans: equal when two files mean the same."""
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        fields = dataclasses.fields(node)
        kept = (f.name for f in fields if not f.name.endswith("span"))
        return (type(node).__name__, *((n, without_spans(getattr(node, n))) for n in kept))
    if isinstance(node, tuple | list):
        return tuple(without_spans(item) for item in node)
    return node


def _has_block(step: ast.Statement) -> bool:
    if isinstance(step, ast.Task):
        options = (step.timeout, step.retry_attempts, step.on_error, step.undo)
        return options != (None, None, None, None) or bool(step.allowed)
    if isinstance(step, ast.Exit):
        return bool(step.then)
    if isinstance(step, ast.Notify):
        return step.subject is not None
    return isinstance(step, ast.Human | ast.Decide | ast.If | ast.Parallel | ast.ForEach)


class _Printer(ExprPrinter):
    def __init__(self, source: SourceFile) -> None:
        super().__init__(source)
        self.split = [_split(line) for line in source.lines]
        self.lines: list[Line] = []
        self.fresh = True  # the next line opens a block: no blank line before it

    def emit(self, depth: int, text: str, anchor: int | None, blank: str = "never") -> None:
        self.lines.append(Line(depth, text, anchor, "never" if self.fresh else blank))
        self.fresh = False

    def emit_expr(
        self,
        depth: int,
        head: str,
        node: ast.Expr,
        tail: str,
        anchor: int | None,
        blank: str = "never",
    ) -> None:
        """A line with an expression in it, broken over several if it is too long."""
        (first, text, _), *rest = self.broken(node, head, tail, depth, anchor=anchor)
        self.emit(first, text, anchor, blank)
        for more, text, source_line in rest:
            self.emit(more, text, source_line)

    def code(self, number: int) -> str:
        return self.split[number - 1][0] if 0 < number <= len(self.split) else ""

    def indent(self, number: int) -> int:
        code = self.code(number)
        return len(code) - len(code.lstrip())

    def find(self, span: Span, *words: str, start: int = 0, indent: int = -1) -> list[int]:
        """Lines of a step's block whose code starts with ``words``.

        The block is the lines after ``start`` (default: the header) indented more
        than the header, or, with ``indent``, indented by exactly that much.
        """
        head = self.indent(span.line)
        found = []
        for number in range(max(start, span.line) + 1, span.end_line + 1):
            depth = self.indent(number)
            inside = depth == indent if indent >= 0 else depth > head
            if inside and self.code(number).split()[: len(words)] == list(words):
                found.append(number)
        return found

    def first(self, span: Span, *words: str, start: int = 0, indent: int = -1) -> int | None:
        return next(iter(self.find(span, *words, start=start, indent=indent)), None)

    # ---- files, calendars, processes ------------------------------------------------------

    def file(self, file: ast.File) -> str:
        for use in file.uses:
            self.emit(0, f"use {_quote(use.path)}", use.span.line, "keep")
        for calendar in file.calendars:
            self.calendar(calendar)
        if file.process is not None:
            self.process(file.process)
        return layout(self.lines, self.split, self.src)

    def calendar(self, cal: ast.CalendarDef) -> None:
        self.emit(0, f"calendar {cal.name}{_title(cal.title)}", cal.span.line, "force")
        zone, hours, window, country = cal.time_zone, cal.office_hours, cal.send_window, None
        if cal.holiday_country is not None:
            region = cal.holiday_region
            country = _quote(cal.holiday_country) + (
                "" if region is None else f" region {_quote(region)}"
            )
        written: list[tuple[tuple[str, ...], str | None]] = [
            (("time", "zone"), zone and f"time zone {_quote(zone)}"),
            (("working",), f"working days {_days(cal.working_days)}" if cal.working_days else None),
            (("office",), hours and f"office hours {_clock(hours[0])} to {_clock(hours[1])}"),
            (("office",), "office hours all day" if cal.all_day else None),
            (("holidays",), country and f"holidays {country}"),
            (("days",), "days off " + ", ".join(map(str, cal.days_off)) if cal.days_off else None),
            (("send",), window and f"send window {_clock(window[0])} to {_clock(window[1])}"),
        ]
        for start, end in cal.blackouts:
            until = "" if start == end else f" to {end}"
            written.append((("blackout",), f"blackout {start}{until}"))
        options = [(words, text) for words, text in written if text]
        seen: dict[tuple[str, ...], int] = {}
        for words, text in options:  # the n-th option of a kind is on the n-th such line
            lines = self.find(cal.span, *words)
            nth = seen[words] = seen.get(words, -1) + 1
            self.emit(1, text, lines[nth] if nth < len(lines) else None)

    def process(self, process: ast.Process) -> None:
        self.emit(0, f"process {process.name}{_title(process.title)}", process.span.line, "force")
        self.fresh = True
        lines = range(process.span.line + 1, process.span.end_line + 1)
        indent = next((self.indent(n) for n in lines if self.code(n).strip()), 2)
        if process.owner is not None:
            self.emit(1, f"owner {process.owner}", process.owner.span.line)
        if (ref := process.calendar) is not None:
            quoted = '"' in self.code(ref.span.line) or not _NAME.fullmatch(ref.name)
            self.emit(1, f"calendar {_quote(ref.name) if quoted else ref.name}", ref.span.line)
        if (every := process.schedule) is not None:
            self.emit(1, schedule_text(every), every.span.line)
        self.allow(1, process.allowed, process.span, indent=indent)
        lead = "force"
        for item in process.inputs:
            text = f"input {item.name}: {_type(item.type.type)}"
            if item.default is None:
                self.emit(1, text, item.span.line, lead)
            else:
                self.emit_expr(1, f"{text} = ", item.default, "", item.span.line, lead)
            lead = "keep"
        self.body(process.body, 1, "force")
        lead = "force"
        for output in process.outputs:
            kind = "" if output.type is None else f": {_type(output.type.type)}"
            head = f"output {output.name}{kind} = "
            self.emit_expr(1, head, output.value, "", output.span.line, lead)
            lead = "keep"

    def allow(self, depth: int, codes: tuple[str, ...], span: Span, **where: int) -> None:
        if codes:
            self.emit(depth, "allow " + ", ".join(codes), self.first(span, "allow", **where))

    # ---- steps ----------------------------------------------------------------------------

    def body(self, steps: tuple[ast.Statement, ...], depth: int, lead: str = "keep") -> None:
        for i, step in enumerate(steps):
            around = _has_block(step) or (i > 0 and _has_block(steps[i - 1]))
            self.statement(step, depth, "force" if around else lead if i == 0 else "keep")

    def block(self, steps: tuple[ast.Statement, ...], depth: int) -> None:
        self.fresh = True
        self.body(steps, depth)

    def statement(self, step: ast.Statement, depth: int, blank: str) -> None:
        line, inner = step.span.line, depth + 1
        match step:
            case ast.Task():
                head = f"task {step.name}{_title(step.title)} = "
                self.call(depth, head, step.action, step.arguments, line, blank)
                self.task_options(step, inner)
            case ast.Human():
                self.emit(depth, f"{step.kind} {step.name}{_title(step.title)}", line, blank)
                self.human_options(step, inner)
            case ast.Decide():
                self.emit(depth, f"decide {step.name}{_title(step.title)}", line, blank)
                self.rows(step, inner)
            case ast.If():
                for k, arm in enumerate(step.branches):
                    word, arm_blank = ("else if", "never") if k else ("if", blank)
                    self.emit_expr(depth, f"{word} ", arm.condition, "", arm.span.line, arm_blank)
                    self.block(arm.body, inner)
                if step.orelse is not None:
                    self.emit(depth, "else", self.else_line(step.orelse[0]))
                    self.block(step.orelse, inner)
            case ast.Parallel():
                explicit = re.match(r"\s*parallel\s+all\b", self.code(line))
                join = {"all": " all" if explicit else "", "first": " first"}.get(
                    step.join, f" {step.count} of"
                )
                self.emit(depth, f"parallel{join}{_title(step.title)}", line, blank)
                self.fresh = True
                for branch in step.branches:
                    if branch.name is None:
                        self.statement(branch.body[0], inner, "keep")
                        continue
                    text = f"branch {branch.name}{_title(branch.title)}"
                    self.emit(inner, text, branch.span.line, "keep")
                    self.block(branch.body, inner + 1)
            case ast.ForEach():
                limit = "" if step.concurrency is None else f", {step.concurrency} at a time"
                head = f"for each {step.variable} in "
                self.emit_expr(depth, head, step.items, limit, line, blank)
                self.block(step.body, inner)
            case ast.CallProcess():
                head = f"call {step.name}{_title(step.title)} = "
                self.call(depth, head, step.process, step.arguments, line, blank)
            case ast.Set(name=name, value=value):
                self.emit_expr(depth, f"set {name} = ", value, "", line, blank)
            case ast.Notify(parties=parties, message=message, subject=None):
                head = f"notify {self.parties(parties)} "
                self.emit_expr(depth, head, message, "", line, blank)
            case ast.Notify(parties=parties, message=message, subject=subject):
                assert subject is not None
                self.emit(depth, f"notify {self.parties(parties)}", line, blank)
                self.fresh = True
                self.emit_expr(inner, "subject ", subject, "", subject.span.line)
                self.emit_expr(inner, "body ", message, "", message.span.line)
            case ast.Fail(message=message):
                self.emit_expr(depth, "fail ", message, "", line, blank)
            case ast.Exit(then=then) if then:
                self.emit(depth, self.simple(step), line, blank)
                self.block(then, inner)
            case _:
                self.emit(depth, self.simple(step), line, blank)

    def simple(self, step: ast.Statement) -> str:
        match step:
            case ast.WaitFor(duration=duration, expr=expr):
                where = self.in_calendar(step.calendar)
                if duration is not None:
                    return f"wait {duration.text}{where}"
                assert expr is not None, "a wait without a duration has an expression"
                return f"wait {self.expr(expr, 5)}{where}"
            case ast.WaitUntil():
                at = "" if step.at is None else f" at {_clock(step.at)}"
                zone = "" if step.zone is None else f" in {_quote(step.zone)}"
                zone += self.in_calendar(step.calendar)
                window = " in send window" if step.send_window else ""
                return f"wait until {self.expr(step.moment, 5)}{at}{zone}{window}"
            case ast.WaitEvent():
                text = f"wait for event {_quote(step.event)} key {self.expr(step.key, 5)}"
                text += "" if step.bind is None else f" as {step.bind}"
                if step.deadline is not None:
                    text += f", deadline {step.deadline.text}{self.in_calendar(step.calendar)}"
                    text += "" if step.on_timeout is None else f" -> {step.on_timeout.name}"
                return text
            case ast.GoBack(target=target, times=times):
                return f"go back to {target.name}, at most {times} time{'s' * (times != 1)}"
            case ast.Exit(event=event, key=key, bind=bind):
                return (
                    f"exit when event {_quote(event)}"
                    + ("" if key is None else f" key {self.expr(key, 5)}")
                    + ("" if bind is None else f" as {bind}")
                )
        raise AssertionError(f"no layout for {type(step).__name__}")

    def else_line(self, first: ast.Statement) -> int | None:
        for number in range(first.span.line - 1, 0, -1):
            if code := self.code(number).strip():
                return number if code == "else" else None
        return None

    def call(
        self,
        depth: int,
        head: str,
        name: str,
        arguments: tuple[ast.Argument, ...],
        anchor: int,
        blank: str = "never",
    ) -> None:
        parts = [f"{a.name}: {self.expr(a.value)}" for a in arguments]
        one = f"{head}{name}({', '.join(parts)})"
        last = max((a.span.end_line for a in arguments), default=anchor)
        commented = any(self.split[n - 1][1] for n in range(anchor + 1, last + 1))
        if not arguments or (fits(depth, one) and not commented):
            self.emit(depth, one, anchor, blank)
            return
        self.emit(depth, f"{head}{name}(", anchor, blank)
        for argument in arguments:
            head = f"{argument.name}: "
            self.emit_expr(depth + 1, head, argument.value, ",", argument.span.line)
        self.emit(depth, ")", None)

    def task_options(self, task: ast.Task, depth: int) -> None:
        # Options follow the last argument (a call may span lines).
        start = max((a.span.end_line for a in task.arguments), default=task.span.line)
        if task.retry_attempts is not None:
            more = task.retry_attempts - 1
            text = f"retry {more} time{'s' * (more != 1)}"
            if task.backoff is not None:
                first, longest = task.backoff
                text += f" backoff {first.text}" + (
                    "" if longest is None else f" to {longest.text}"
                )
            self.emit(depth, text, self.first(task.span, "retry", start=start))
        if task.timeout is not None:
            self.emit(depth, f"timeout {task.timeout.text}", task.timeout.span.line)
        if task.on_error is not None:
            self.emit(depth, f"on error -> {task.on_error.name}", task.on_error.span.line)
        if (undo := task.undo) is not None:
            self.call(depth, "undo with ", undo.action, undo.arguments, undo.span.line)
        self.allow(depth, task.allowed, task.span, start=start)

    def human_options(self, step: ast.Human, depth: int) -> None:
        def put(text: str, anchor: int | None) -> None:
            self.emit(depth, text, anchor)

        if step.parties:
            word = "assign" if step.kind == "work" else "by"
            quorum = step.quorum
            count = (
                ""
                if quorum is None
                else {"any": "any of ", "all": "all of "}.get(quorum.kind, f"{quorum.count} of ")
            )
            put(f"{word} {count}{self.parties(step.parties)}", step.parties[0].span.line)
        if step.not_by:
            put("not by " + ", ".join(self.expr(e) for e in step.not_by), step.not_by[0].span.line)
        if step.calendar is not None:
            put(self.step_calendar(step.calendar), step.calendar.span.line)
        if step.instructions is not None:
            put(f"instructions {_quote(step.instructions)}", self.first(step.span, "instructions"))
        for word, text in (("subject", step.notice_subject), ("body", step.notice_body)):
            if text is not None:
                self.emit_expr(depth, f"notice {word} ", text, "", text.span.line)
        if not step.delegation:
            put("no delegation", self.first(step.span, "no", "delegation"))
        elif (explicit := self.first(step.span, "delegation", "allowed")) is not None:
            put("delegation allowed", explicit)
        for word, literal, computed in (
            ("deadline", step.deadline, step.deadline_expr),
            ("remind every", step.remind_every, step.remind_every_expr),
        ):
            if literal is not None:
                put(f"{word} {literal.text}", literal.span.line)
            elif computed is not None:
                put(f"{word} {self.expr(computed, 5)}", computed.span.line)
        for up in step.escalations:
            after = "" if up.after is None else f" after {up.after.text}"
            after = after if up.after_expr is None else f" after {self.expr(up.after_expr, 5)}"
            put(f"escalate to {self.parties(up.to)}{after}", up.span.line)
        if step.returns:
            self.returns(step.returns, depth)
        if step.on_reject is not None:
            put(f"on reject -> {step.on_reject.name}", step.on_reject.span.line)
        if step.on_changes is not None:
            put(f"on changes -> {step.on_changes.name}", step.on_changes.span.line)
        if (rounds := step.rounds) is not None:
            then = {
                "fail": ", then fail"
                + ("" if rounds.message is None else " " + self.expr(rounds.message)),
                "continue": ", then continue",
                "jump": f", then -> {rounds.target.name if rounds.target else ''}",
            }[rounds.outcome]
            if (
                rounds.outcome == "fail"
                and rounds.message is None
                and "then" not in self.code(rounds.span.line)
            ):
                then = ""
            put(f"at most {rounds.count} rounds{then}", rounds.span.line)
        self.allow(depth, step.allowed, step.span)

    def step_calendar(self, chosen: ast.StepCalendar) -> str:
        """``calendar emea``, ``calendar "DE"`` or ``calendar from region``."""
        if chosen.name is None:
            assert chosen.expr is not None
            return f"calendar from {self.expr(chosen.expr, 5)}"
        name = chosen.name.name
        quoted = (
            not _NAME.fullmatch(name)
            or '"'
            in self.code(chosen.name.span.line)[chosen.name.span.col - 1 : chosen.name.span.col]
        )
        return f"calendar {_quote(name) if quoted else name}"

    def in_calendar(self, chosen: ast.StepCalendar | None) -> str:
        return "" if chosen is None else f" in {self.step_calendar(chosen)}"

    def parties(self, parties: ast.Parties) -> str:
        """``role editor, person from route.manager``."""
        return ", ".join(
            f"{p.kind} from {self.expr(p.expr, 5)}" if isinstance(p, ast.PartyFrom) else str(p)
            for p in parties
        )

    def returns(self, fields: tuple[ast.FieldDecl, ...], depth: int) -> None:
        # Fields that do not fit on the line go on the next, after a '\\'; not when
        # the line has a comment at its end, which cannot follow a '\\'.
        anchor = fields[0].span.line
        commented = self.split[anchor - 1][1] is not None
        lines: list[list[str]] = [[]]
        for n, field in enumerate(fields, start=1):
            lines[-1].append(f"{field.name}: {_type(field.type.type)}")
            more = ", \\" if n < len(fields) else ""  # the least that follows on the line
            if (
                len(lines[-1]) > 1
                and not commented
                and not fits(*self._returns_line(lines, depth, more))
            ):
                lines.append([lines[-1].pop()])
        for n in range(len(lines)):
            more = ", \\" if n < len(lines) - 1 else ""
            depth_of, text = self._returns_line(lines[: n + 1], depth, more)
            self.emit(depth_of, text, None if n else anchor)

    @staticmethod
    def _returns_line(lines: list[list[str]], depth: int, more: str) -> tuple[int, str]:
        """The last of ``lines`` as written: its depth and its text."""
        head = "returns " if len(lines) == 1 else ""
        return depth + (len(lines) > 1), head + ", ".join(lines[-1]) + more

    def rows(self, step: ast.Decide, depth: int) -> None:
        explicit = self.first(step.span, "hit", "policy")
        if explicit is not None or step.hit_policy != "first":
            self.emit(depth, f"hit policy {step.hit_policy}", explicit)
        self.allow(depth, step.allowed, step.span)
        for rule in step.rules:
            result = ", ".join(
                self.expr(value) if name is None else f"{name} = {self.expr(value)}"
                for name, value in rule.outputs
            )
            rank = "" if rule.priority is None else f" priority {rule.priority}"
            if rule.condition is None:
                self.emit(depth, f"otherwise -> {result}{rank}", rule.span.line)
            else:
                tail = f" -> {result}{rank}"
                self.emit_expr(depth, "when ", rule.condition, tail, rule.span.line)


_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def schedule_text(every: ast.Schedule) -> str:
    """``every month on the 1st at 09:00 in "Europe/Berlin"``."""
    if every.every == "week":
        period = f"week on {_DAYS[every.weekday or 0]}"
    elif every.first_business_day:
        period = "month on the first business day"
    elif every.day is not None:
        period = f"month on the {_ordinal(every.day)}"
    else:
        period = "day"
    zone = "" if every.zone is None else f" in {_quote(every.zone)}"
    return f"every {period} at {every.at:%H:%M}{zone}"


def _ordinal(day: int) -> str:
    suffix = "th" if 10 <= day % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"
