"""Grammar rules -> AST for files, processes, calendars and steps.

Expressions, texts and literals of time are built by :class:`ExprBuilder`;
this class adds everything with a block. Options arrive as ``(key, value,
span)`` triples and are gathered per step, so a repeated or misplaced option
becomes a diagnostic, never an exception.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from dsl import _ast as ast
from dsl._build_expr import ExprBuilder
from dsl._source import Span
from dsl._suggest import did_you_mean
from dsl._token import Token
from dsl._types import SCALAR_NAMES, ListOf, OneOf, Scalar, Type

Option = tuple[str, Any, Span]

_WEEKDAYS = {
    **{d: i for i, d in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"))},
    **{
        d: i
        for i, d in enumerate(
            ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
        )
    },
}
_HIT_POLICIES = ("first", "unique", "collect", "priority")
# Which options each kind of step takes (the grammar accepts them all in any block).
_WORK_OPTIONS = {
    "instructions",
    "notice_subject",
    "notice_body",
    "assign",
    "deadline",
    "remind",
    "escalate",
    "returns",
    "delegation",
    "calendar",
    "allow",
}
_APPROVAL_OPTIONS = {
    "instructions",
    "notice_subject",
    "notice_body",
    "calendar",
    "by",
    "not_by",
    "deadline",
    "remind",
    "escalate",
    "delegation",
    "on_reject",
    "on_changes",
    "rounds",
    "allow",
}
_REPEATABLE = {"escalate", "allow"}


class AstBuilder(ExprBuilder):
    """Builds a :class:`dsl._ast.File`."""

    # ---- files -------------------------------------------------------------------

    def start(self, span: Span, children: list[Any]) -> ast.File:
        processes = [c for c in children if isinstance(c, ast.Process)]
        for extra in processes[1:]:
            self._error(
                "S010",
                f"a second process '{extra.name}' in one file",
                extra.name_span,
                hint="keep one process per file; call another file's process with "
                "'use \"file.mops\"' and 'call'",
            )
        return ast.File(
            process=processes[0] if processes else None,
            calendars=tuple(c for c in children if isinstance(c, ast.CalendarDef)),
            uses=tuple(c for c in children if isinstance(c, ast.Use)),
            extra_processes=tuple(processes[1:]),
        )

    def use_decl(self, span: Span, children: list[Any]) -> ast.Use:
        return ast.Use(self._plain(children[0], "a file name"), span)

    def process(self, span: Span, children: list[Any]) -> ast.Process:
        name_tok: Token = children[0]
        title, items = self._titled(children[1:], "a process title")
        options = [i for i in items if isinstance(i, tuple)]
        owner = self._single(options, "owner")
        calendar = self._single(options, "calendar")
        schedule = self._single(options, "schedule")
        return ast.Process(
            name=str(name_tok),
            title=title,
            inputs=tuple(i for i in items if isinstance(i, ast.Input)),
            body=tuple(i for i in items if _is_statement(i)),
            outputs=tuple(i for i in items if isinstance(i, ast.Output)),
            span=span,
            name_span=self._span(name_tok),
            owner=owner,
            calendar=calendar,
            allowed=self._allowed(options),
            schedule=schedule,
        )

    def title(self, span: Span, children: list[Any]) -> ast.TextLit:
        text: ast.TextLit = children[0]
        return text

    def input_decl(self, span: Span, children: list[Any]) -> ast.Input:
        name_tok, type_ref, *rest = children
        return ast.Input(
            name=str(name_tok),
            type=type_ref,
            default=rest[0] if rest else None,
            span=span,
            name_span=self._span(name_tok),
        )

    def default(self, span: Span, children: list[Any]) -> ast.Expr:
        value: ast.Expr = children[0]
        return value

    def output_decl(self, span: Span, children: list[Any]) -> ast.Output:
        name_tok = children[0]
        type_ref = children[1] if len(children) == 3 else None
        return ast.Output(
            name=str(name_tok),
            type=type_ref,
            value=children[-1],
            span=span,
            name_span=self._span(name_tok),
        )

    def owner_decl(self, span: Span, children: list[Any]) -> Option:
        owner = children[0]
        if isinstance(owner, ast.PartyFrom):
            self._error(
                "T002",
                "the owner of a process is named as written, not worked out",
                owner.span,
                hint="write: owner role marketing_ops (or owner person ana)",
            )
            owner = None
        return ("owner", owner, span)

    def calendar_use(self, span: Span, children: list[Any]) -> Option:
        name = children[0]
        if isinstance(name, ast.TextLit):
            ref = ast.StepRef(name.plain, name.span)
        else:
            ref = ast.StepRef(str(name), self._span(name))
        return ("calendar", ref, span)

    def schedule_decl(self, span: Span, children: list[Any]) -> Option:
        period: dict[str, Any] = children[0]
        at = self.parse_time(children[1]) or dt.time(9)
        zone = self._plain(children[2], "a time zone") if len(children) > 2 else None
        return ("schedule", ast.Schedule(at=at, span=span, zone=zone, **period), span)

    def every_day(self, span: Span, children: list[Token]) -> dict[str, Any]:
        return {"every": "day"}

    def every_week(self, span: Span, children: list[Token]) -> dict[str, Any]:
        return {"every": "week", "weekday": self._weekday(children[0]) or 0}

    def every_month_on(self, span: Span, children: list[Token]) -> dict[str, Any]:
        day = int(str(children[0])[:-2])
        if not 1 <= day <= 28:
            self._error(
                "C001",
                f"not every month has a {children[0]} day",
                self._span(children[0]),
                hint="write a day from the 1st to the 28th, or: on the first business day",
            )
        return {"every": "month", "day": day}

    def every_first_business_day(self, span: Span, children: list[Token]) -> dict[str, Any]:
        return {"every": "month", "first_business_day": True}

    def allow_decl(self, span: Span, children: list[Token]) -> Option:
        return ("allow", tuple(str(c) for c in children), span)

    # ---- types -------------------------------------------------------------------

    def scalar_type(self, span: Span, children: list[Any]) -> ast.TypeRef:
        tok: Token = children[0]
        span = self._span(tok)  # the type's name, not the whole declaration
        if str(tok) not in SCALAR_NAMES:
            self._error(
                "T001",
                f"unknown type '{tok}'",
                span,
                hint=did_you_mean(str(tok), SCALAR_NAMES)
                or "types are: " + ", ".join(SCALAR_NAMES) + ', list of T, one of "a", "b"',
            )
            return ast.TypeRef(Scalar("any"), span)
        return ast.TypeRef(Scalar(str(tok)), span)

    def list_type(self, span: Span, children: list[Any]) -> ast.TypeRef:
        item: ast.TypeRef = children[0]
        return ast.TypeRef(ListOf(item.type), span)

    def one_of_type(self, span: Span, children: list[Any]) -> ast.TypeRef:
        choices = tuple(c.plain for c in children)
        kind: Type = OneOf(choices)
        return ast.TypeRef(kind, span)

    def field_decl(self, span: Span, children: list[Any]) -> ast.FieldDecl:
        return ast.FieldDecl(str(children[0]), children[1], span)

    # ---- calendars -------------------------------------------------------------------

    def calendar_def(self, span: Span, children: list[Any]) -> ast.CalendarDef:
        name_tok: Token = children[0]
        title, items = self._titled(children[1:], "a calendar title")
        fields: dict[str, Any] = {}
        blackouts: list[tuple[Any, Any]] = []
        spans: dict[str, Span] = {}
        for key, value, where in items:
            spans.setdefault(key, where)
            if key == "blackout":
                blackouts.append(value)
            elif key in fields:
                self._error("N002", f"'{key.replace('_', ' ')}' is given twice", where)
            elif key == "holidays":
                fields["holiday_country"], fields["holiday_region"] = value
            else:
                fields[key] = value
        return ast.CalendarDef(
            name=str(name_tok),
            title=title,
            span=span,
            name_span=self._span(name_tok),
            blackouts=tuple(blackouts),
            option_span=tuple(spans.items()),
            **fields,
        )

    def cal_time_zone(self, span: Span, children: list[Any]) -> Option:
        # Problems with the zone point at the zone, not at the whole line.
        return ("time_zone", self._plain(children[0], "a time zone"), children[0].span)

    def cal_working_days(self, span: Span, children: list[tuple[int, ...]]) -> Option:
        days = sorted({d for chunk in children for d in chunk})
        return ("working_days", tuple(days), span)

    def day_range(self, span: Span, children: list[Token]) -> tuple[int, ...]:
        numbers = [self._weekday(t) for t in children]
        if None in numbers:
            return ()
        if len(numbers) == 1:
            return (numbers[0],)  # type: ignore[return-value]
        first, last = numbers
        assert first is not None and last is not None
        return (
            tuple(range(first, last + 1))
            if first <= last
            else tuple([*range(first, 7), *range(0, last + 1)])
        )

    def cal_office_hours(self, span: Span, children: list[Token]) -> Option:
        return ("office_hours", self._time_range(children), span)

    def cal_all_day(self, span: Span, children: list[Any]) -> Option:
        return ("all_day", True, span)

    def cal_holidays(self, span: Span, children: list[Any]) -> Option:
        country = self._plain(children[0], "a country code")
        region = self._plain(children[1], "a region code") if len(children) > 1 else None
        return ("holidays", (country, region), children[0].span)

    def cal_days_off(self, span: Span, children: list[Token]) -> Option:
        days = tuple(d for d in (self.parse_date(t) for t in children) if d is not None)
        return ("days_off", days, span)

    def cal_send_window(self, span: Span, children: list[Token]) -> Option:
        return ("send_window", self._time_range(children), span)

    def cal_blackout(self, span: Span, children: list[Token]) -> Option:
        first = self.parse_date(children[0])
        last = self.parse_date(children[1]) if len(children) > 1 else first
        return ("blackout", (first, last), span)

    # ---- automated tasks ------------------------------------------------------------

    def task_stmt(self, span: Span, children: list[Any]) -> ast.Task:
        name_tok: Token = children[0]
        title, rest = self._titled(children[1:], "a step title")
        call: ast.ActionCall = rest[0]
        options: list[Option] = rest[1] if len(rest) > 1 and rest[1] else []
        self._no_repeats(options)
        retry = self._single(options, "retry")
        return ast.Task(
            name=str(name_tok),
            title=title,
            action=call.action,
            arguments=call.arguments,
            span=span,
            name_span=self._span(name_tok),
            action_span=call.action_span,
            args_span=call.action_span,
            timeout=self._single(options, "timeout"),
            retry_attempts=None if retry is None else retry[0],
            backoff=None if retry is None else retry[1],
            on_error=self._single(options, "on_error"),
            undo=self._single(options, "undo"),
            allowed=self._allowed(options),
        )

    def action_call(self, span: Span, children: list[Any]) -> ast.ActionCall:
        (action, action_span), *rest = children
        arguments: tuple[ast.Argument, ...] = rest[0] if rest and rest[0] else ()
        return ast.ActionCall(action, arguments, span, action_span)

    def action_ref(self, span: Span, children: list[Token]) -> tuple[str, Span]:
        return ".".join(str(t) for t in children), span

    def arguments(self, span: Span, children: list[ast.Argument]) -> tuple[ast.Argument, ...]:
        seen: set[str] = set()
        for argument in children:
            if argument.name in seen:
                self._error(
                    "N002", f"the argument '{argument.name}' is given twice", argument.name_span
                )
            seen.add(argument.name)
        return tuple(children)

    def argument(self, span: Span, children: list[Any]) -> ast.Argument:
        name_tok, value = children
        return ast.Argument(str(name_tok), value, span, self._span(name_tok))

    def task_options(self, span: Span, children: list[Option]) -> list[Option]:
        return children

    def timeout_option(self, span: Span, children: list[ast.Duration]) -> Option:
        duration = self._fixed(children[0], "a timeout")
        return ("timeout", duration, span)

    def retry_option(self, span: Span, children: list[Any]) -> Option:
        count_tok: Token = children[0]
        backoff = children[1] if len(children) > 1 else None
        times = Decimal(str(count_tok))
        if times != times.to_integral_value():
            self._error(
                "T002",
                f"'retry {count_tok} times' needs a whole number",
                self._span(count_tok),
                hint="retry 3 times: try once, then up to 3 more times; retry 0 times: once only",
            )
            times = Decimal(0)
        # 'retry 3 times' = 3 more tries after the first one.
        return ("retry", (int(times) + 1, backoff), span)

    def backoff(self, span: Span, children: list[ast.Duration]) -> tuple[Any, Any]:
        first = self._fixed(children[0], "a backoff")
        longest = self._fixed(children[1], "a backoff") if len(children) > 1 else None
        return (first, longest)

    def on_error_option(self, span: Span, children: list[Token]) -> Option:
        return ("on_error", self._ref(children[0]), span)

    def undo_option(self, span: Span, children: list[ast.ActionCall]) -> Option:
        return ("undo", children[0], span)

    # ---- people --------------------------------------------------------------------

    def work_stmt(self, span: Span, children: list[Any]) -> ast.Human:
        return self._human("work", span, children)

    def approval_stmt(self, span: Span, children: list[Any]) -> ast.Human:
        return self._human("approval", span, children)

    def _human(self, kind: ast.HumanKind, span: Span, children: list[Any]) -> ast.Human:
        name_tok: Token = children[0]
        title, options = self._titled(children[1:], "a step title")
        allowed_keys = _WORK_OPTIONS if kind == "work" else _APPROVAL_OPTIONS
        for key, _value, where in options:
            if key not in allowed_keys:
                words = key.replace("_", " ")
                other = "an approval" if kind == "work" else "a work item"
                noun = "a work item" if kind == "work" else "an approval"
                self._error(
                    "T005",
                    f"'{words}' is for {other}, not for {noun}",
                    where,
                    hint="work items take: assign, deadline, remind, escalate, returns; "
                    "approvals take: by, not by, deadline, remind, escalate, on reject, "
                    "on changes, at most N rounds",
                )
        self._no_repeats(options)
        parties_key = "assign" if kind == "work" else "by"
        parties = self._single(options, parties_key)
        quorum: ast.Quorum | None = None
        if kind == "approval" and parties is not None:
            quorum, parties = parties
        return ast.Human(
            kind=kind,
            name=str(name_tok),
            title=title,
            span=span,
            name_span=self._span(name_tok),
            parties=parties or (),
            quorum=quorum,
            not_by=tuple(e for _k, v, _s in options if _k == "not_by" for e in v),
            delegation=self._single(options, "delegation", True),
            deadline=_literal(self._single(options, "deadline")),
            remind_every=_literal(self._single(options, "remind")),
            escalations=tuple(v for k, v, _s in options if k == "escalate"),
            calendar=self._single(options, "calendar"),
            instructions=self._single(options, "instructions"),
            notice_subject=self._single(options, "notice_subject"),
            notice_body=self._single(options, "notice_body"),
            returns=self._single(options, "returns", ()),
            on_reject=self._single(options, "on_reject"),
            on_changes=self._single(options, "on_changes"),
            rounds=self._single(options, "rounds"),
            allowed=self._allowed(options),
            deadline_expr=_computed(self._single(options, "deadline")),
            remind_every_expr=_computed(self._single(options, "remind")),
        )

    def assign_option(self, span: Span, children: list[Any]) -> Option:
        return ("assign", children[0], span)

    def by_option(self, span: Span, children: list[Any]) -> Option:
        quorum = children[0] if len(children) == 2 else None
        return ("by", (quorum, children[-1]), span)

    def not_by_option(self, span: Span, children: list[Any]) -> Option:
        return ("not_by", tuple(children), span)

    def delegation_on(self, span: Span, children: list[Any]) -> Option:
        return ("delegation", True, span)

    def delegation_off(self, span: Span, children: list[Any]) -> Option:
        return ("delegation", False, span)

    def deadline_option(self, span: Span, children: list[Any]) -> Option:
        return ("deadline", children[0], span)

    def remind_option(self, span: Span, children: list[Any]) -> Option:
        return ("remind", children[0], span)

    def escalate_option(self, span: Span, children: list[Any]) -> Option:
        after = children[1] if len(children) > 1 else None
        escalation = ast.Escalation(children[0], _literal(after), span, _computed(after))
        return ("escalate", escalation, span)

    def returns_option(self, span: Span, children: list[ast.FieldDecl | ast.TextLit]) -> Option:
        fields: list[ast.FieldDecl] = []
        for child in children:
            if isinstance(child, ast.FieldDecl):
                fields.append(child)
            elif fields and _choices(fields[-1].type.type) is not None:
                fields[-1] = _one_more_choice(fields[-1], child)
            else:
                self._error(
                    "S002",
                    f"a text (\"{child.plain}\") where 'returns' expects a field",
                    child.span,
                    hint='write each field as NAME: TYPE, e.g. returns decision: one of "go",'
                    ' "hold", budget: money',
                )
        return ("returns", tuple(fields), span)

    def on_reject_option(self, span: Span, children: list[Token]) -> Option:
        return ("on_reject", self._ref(children[0]), span)

    def on_changes_option(self, span: Span, children: list[Token]) -> Option:
        return ("on_changes", self._ref(children[0]), span)

    def rounds_option(self, span: Span, children: list[Any]) -> Option:
        count = self._count(children[0], "rounds")
        # Made by fail_outcome, continue_outcome or jump_outcome (below), or the default.
        outcome: tuple[ast.RoundsOutcome, Any, Any] = (
            children[1] if len(children) > 1 else ("fail", None, None)
        )
        kind, message, target = outcome
        limit = ast.RoundsLimit(count, kind, message, target, span)
        return ("rounds", limit, span)

    def fail_outcome(self, span: Span, children: list[Any]) -> tuple[str, Any, Any]:
        return ("fail", children[0] if children else None, None)

    def continue_outcome(self, span: Span, children: list[Any]) -> tuple[str, Any, Any]:
        return ("continue", None, None)

    def jump_outcome(self, span: Span, children: list[Token]) -> tuple[str, Any, Any]:
        return ("jump", None, self._ref(children[0]))

    def any_of(self, span: Span, children: list[Any]) -> ast.Quorum:
        return ast.Quorum("any", None, span)

    def all_of(self, span: Span, children: list[Any]) -> ast.Quorum:
        return ast.Quorum("all", None, span)

    def n_of(self, span: Span, children: list[Token]) -> ast.Quorum:
        return ast.Quorum("count", self._count(children[0], "approvers"), span)

    def parties(self, span: Span, children: list[Any]) -> ast.Parties:
        return tuple(children)

    def role_party(self, span: Span, children: list[Token]) -> ast.Party:
        return ast.Party("role", str(children[0]), span)

    def person_party(self, span: Span, children: list[Token]) -> ast.Party:
        return ast.Party("person", str(children[0]), span)

    def role_from(self, span: Span, children: list[Any]) -> ast.PartyFrom:
        return ast.PartyFrom("role", children[0], span)

    def person_from(self, span: Span, children: list[Any]) -> ast.PartyFrom:
        return ast.PartyFrom("person", children[0], span)

    # ---- decisions -----------------------------------------------------------------

    def decide_stmt(self, span: Span, children: list[Any]) -> ast.Decide:
        name_tok: Token = children[0]
        title, items = self._titled(children[1:], "a step title")
        options = [i for i in items if isinstance(i, tuple)]
        self._no_repeats(options)
        return ast.Decide(
            name=str(name_tok),
            title=title,
            hit_policy=self._single(options, "hit_policy", "first"),
            rules=tuple(i for i in items if isinstance(i, ast.Rule)),
            span=span,
            name_span=self._span(name_tok),
            allowed=self._allowed(options),
        )

    def hit_policy(self, span: Span, children: list[Token]) -> Option:
        policy = str(children[0])
        if policy not in _HIT_POLICIES:
            self._error(
                "R001",
                f"'{policy}' is not a hit policy",
                self._span(children[0]),
                hint=did_you_mean(policy, _HIT_POLICIES)
                or "hit policies: " + ", ".join(_HIT_POLICIES),
            )
            policy = "first"
        return ("hit_policy", policy, span)

    def rule_row(self, span: Span, children: list[Any]) -> ast.Rule:
        condition, outputs, *rest = children
        priority = self._count(rest[0], "priority", low=0) if rest and rest[0] else None
        return ast.Rule(condition, outputs, priority, span)

    def otherwise_row(self, span: Span, children: list[Any]) -> ast.Rule:
        return ast.Rule(None, children[0], None, span)

    def priority(self, span: Span, children: list[Token]) -> Token:
        return children[0]

    def single_result(self, span: Span, children: list[Any]) -> tuple[tuple[None, Any], ...]:
        return ((None, children[0]),)

    def named_results(self, span: Span, children: list[Any]) -> tuple[tuple[str, Any], ...]:
        pairs = tuple((str(children[i]), children[i + 1]) for i in range(0, len(children), 2))
        names = [name for name, _ in pairs]
        for name in {n for n in names if names.count(n) > 1}:
            self._error("N002", f"the result '{name}' is given twice", span)
        return pairs

    # ---- control flow ------------------------------------------------------------------

    def if_stmt(self, span: Span, children: list[Any]) -> ast.If:
        cond, body, *rest = children
        branches = [ast.Branch(cond, body, span)]
        orelse: tuple[ast.Statement, ...] | None = None
        for part in rest:
            if isinstance(part, ast.Branch):
                branches.append(part)
            else:
                orelse = part[1]
        return ast.If(tuple(branches), orelse, span)

    def else_if(self, span: Span, children: list[Any]) -> ast.Branch:
        return ast.Branch(children[0], children[1], span)

    def else_block(self, span: Span, children: list[Any]) -> tuple[str, tuple[ast.Statement, ...]]:
        return ("else", children[0])

    def block(self, span: Span, children: list[ast.Statement]) -> tuple[ast.Statement, ...]:
        return tuple(children)

    def parallel_stmt(self, span: Span, children: list[Any]) -> ast.Parallel:
        join: tuple[ast.Join, int | None] = ("all", None)
        if children and isinstance(children[0], tuple) and children[0][0] == "join":
            join = children[0][1]
            children = children[1:]
        title, items = self._titled(children, "a block title")
        branches = [
            item
            if isinstance(item, ast.ParallelBranch)
            else ast.ParallelBranch(None, None, (item,), item.span)
            for item in items
        ]
        return ast.Parallel(join[0], join[1], title, tuple(branches), span)

    def join_all(self, span: Span, children: list[Any]) -> tuple[str, Any]:
        return ("join", ("all", None))

    def join_first(self, span: Span, children: list[Any]) -> tuple[str, Any]:
        return ("join", ("first", None))

    def join_n(self, span: Span, children: list[Token]) -> tuple[str, Any]:
        return ("join", ("count", self._count(children[0], "branches")))

    def branch(self, span: Span, children: list[Any]) -> ast.ParallelBranch:
        name_tok: Token = children[0]
        title, rest = self._titled(children[1:], "a branch title")
        return ast.ParallelBranch(str(name_tok), title, rest[0], span)

    def for_each_stmt(self, span: Span, children: list[Any]) -> ast.ForEach:
        var_tok: Token = children[0]
        items = children[1]
        concurrency = children[2] if len(children) == 4 else None
        return ast.ForEach(
            str(var_tok), items, concurrency, children[-1], span, self._span(var_tok)
        )

    def concurrency(self, span: Span, children: list[Token]) -> int:
        return self._count(children[0], "at a time")

    def wait_duration(self, span: Span, children: list[Any]) -> ast.WaitFor:
        calendar = children[1] if len(children) > 1 else None
        return ast.WaitFor(_literal(children[0]), span, _computed(children[0]), calendar)

    def wait_until(self, span: Span, children: list[Any]) -> ast.WaitUntil:
        moment, *options = children
        found: dict[str, Any] = dict(o for o in options if isinstance(o, tuple))
        calendar = next((o for o in options if isinstance(o, ast.StepCalendar)), None)
        return ast.WaitUntil(
            moment,
            found.get("at"),
            found.get("zone"),
            bool(found.get("window")),
            span,
            calendar,
        )

    def wait_calendar(self, span: Span, children: list[Any]) -> ast.StepCalendar:
        chosen: ast.StepCalendar = children[0]
        return chosen

    def calendar_option(self, span: Span, children: list[Any]) -> Option:
        return ("calendar", children[0], span)

    def instructions_option(self, span: Span, children: list[Any]) -> Option:
        text: ast.TextLit = children[0]
        if not text.is_plain:
            self._error(
                "T002",
                "instructions are shown as written, without {interpolation}",
                text.span,
                hint='put values in the step\'s notices: notice body "... {lead} ..."',
            )
        return ("instructions", text.plain, span)

    def notice_subject_option(self, span: Span, children: list[Any]) -> Option:
        return ("notice_subject", children[0], span)

    def notice_body_option(self, span: Span, children: list[Any]) -> Option:
        return ("notice_body", children[0], span)

    def calendar_named(self, span: Span, children: list[Any]) -> ast.StepCalendar:
        name = children[0]
        if isinstance(name, ast.TextLit):
            ref = ast.StepRef(name.plain, name.span)
        else:
            ref = ast.StepRef(str(name), self._span(name))
        return ast.StepCalendar(ref, None, span)

    def calendar_from(self, span: Span, children: list[Any]) -> ast.StepCalendar:
        return ast.StepCalendar(None, children[0], span)

    def wait_at(self, span: Span, children: list[Token]) -> tuple[str, Any]:
        return ("at", self.parse_time(children[0]))

    def wait_zone(self, span: Span, children: list[Any]) -> tuple[str, Any]:
        return ("zone", self._plain(children[0], "a time zone"))

    def wait_window(self, span: Span, children: list[Any]) -> tuple[str, Any]:
        return ("window", True)

    def wait_event(self, span: Span, children: list[Any]) -> ast.WaitEvent:
        event = self._plain(children[0], "an event name")
        key = children[1]
        bind = next((c for c in children[2:] if isinstance(c, Token)), None)
        deadline = next((c for c in children[2:] if isinstance(c, tuple)), None)
        return ast.WaitEvent(
            event,
            key,
            None if bind is None else str(bind),
            None if deadline is None else deadline[0],
            None if deadline is None else deadline[1],
            span,
            None if bind is None else self._span(bind),
            None if deadline is None else deadline[2],
        )

    def event_as(self, span: Span, children: list[Token]) -> Token:
        return children[0]

    def event_deadline(self, span: Span, children: list[Any]) -> tuple[Any, Any, Any]:
        calendar = next((c for c in children[1:] if isinstance(c, ast.StepCalendar)), None)
        target = next((self._ref(c) for c in children[1:] if isinstance(c, Token)), None)
        return (children[0], target, calendar)

    def call_stmt(self, span: Span, children: list[Any]) -> ast.CallProcess:
        name_tok: Token = children[0]
        title, rest = self._titled(children[1:], "a step title")
        process_tok: Token = rest[0]
        arguments = rest[1] if len(rest) > 1 and rest[1] else ()
        return ast.CallProcess(
            str(name_tok),
            title,
            str(process_tok),
            arguments,
            span,
            self._span(name_tok),
            self._span(process_tok),
        )

    def set_stmt(self, span: Span, children: list[Any]) -> ast.Set:
        return ast.Set(str(children[0]), children[1], span, self._span(children[0]))

    def notify_stmt(self, span: Span, children: list[Any]) -> ast.Notify:
        parties, *rest = children
        message = next((c for c in rest if not isinstance(c, list)), None)
        options: list[Option] = next((c for c in rest if isinstance(c, list)), [])
        self._no_repeats(options)
        body = self._single(options, "body")
        if message is not None and body is not None:
            self._error(
                "N002",
                "the notification's text is given twice: on its line and as 'body'",
                next(where for key, _v, where in options if key == "body"),
                hint="keep one of them",
            )
        text = message if message is not None else body
        if text is None:
            self._error(
                "T006",
                "the notification says nothing",
                span,
                hint='add its text: notify role sales "..." (or a line: body "...")',
            )
            text = ast.TextLit(("",), span)
        return ast.Notify(parties, text, span, self._single(options, "subject"))

    def notify_options(self, span: Span, children: list[Option]) -> list[Option]:
        return children

    def subject_option(self, span: Span, children: list[Any]) -> Option:
        return ("subject", children[0], span)

    def body_option(self, span: Span, children: list[Any]) -> Option:
        return ("body", children[0], span)

    def go_back_stmt(self, span: Span, children: list[Token]) -> ast.GoBack:
        return ast.GoBack(self._ref(children[0]), self._count(children[1], "times"), span)

    def fail_stmt(self, span: Span, children: list[Any]) -> ast.Fail:
        return ast.Fail(children[0], span)

    def exit_stmt(self, span: Span, children: list[Any]) -> ast.Exit:
        event = self._plain(children[0], "an event name")
        rest = children[1:]
        key = next((c for c in rest if not isinstance(c, Token | tuple)), None)
        bind = next((c for c in rest if isinstance(c, Token)), None)
        then = next((c for c in rest if isinstance(c, tuple)), ())
        return ast.Exit(
            event,
            key,
            span,
            None if bind is None else str(bind),
            None if bind is None else self._span(bind),
            then,
        )

    # ---- helpers ---------------------------------------------------------------------

    def _titled(self, children: list[Any], what: str) -> tuple[str | None, list[Any]]:
        if children and isinstance(children[0], ast.TextLit):
            return self._plain(children[0], what), children[1:]
        return None, children

    def _plain(self, text: Any, what: str) -> str:
        if isinstance(text, ast.TextLit) and not text.is_plain:
            self._error("T002", f"{what} is plain text, without {{interpolation}}", text.span)
        return text.plain if isinstance(text, ast.TextLit) else str(text)

    def _ref(self, token: Token) -> ast.StepRef:
        return ast.StepRef(str(token), self._span(token))

    def _count(self, token: Token, what: str, *, low: int = 1) -> int:
        value = Decimal(str(token))
        if value != value.to_integral_value() or value < low:
            self._error(
                "T002",
                f"'{token}' {what}: needs a whole number of at least {low}",
                self._span(token),
            )
            return max(low, 1)
        return int(value)

    def _fixed(self, duration: ast.Duration, what: str) -> ast.Duration:
        if duration.is_business:
            self._error(
                "C004",
                f"{what} is elapsed time; '{duration.text}' counts business time",
                duration.span,
                hint="write it in seconds, minutes, hours or days",
            )
        return duration

    def _weekday(self, token: Token) -> int | None:
        day = _WEEKDAYS.get(str(token))
        if day is None:
            self._error(
                "C001",
                f"'{token}' is not a day of the week",
                self._span(token),
                hint=did_you_mean(str(token), _WEEKDAYS)
                or "write mon, tue, wed, thu, fri, sat, sun",
            )
        return day

    def _time_range(self, tokens: list[Token]) -> Any:
        first, last = (self.parse_time(t) for t in tokens)
        return None if first is None or last is None else (first, last)

    def _no_repeats(self, options: Iterable[Option]) -> None:
        seen: set[str] = set()
        for key, _value, span in options:
            if key in seen and key not in _REPEATABLE:
                self._error("N002", f"'{key.replace('_', ' ')}' is given twice for this step", span)
            seen.add(key)

    @staticmethod
    def _single(options: Iterable[Option], key: str, default: Any = None) -> Any:
        # A loop, not next() of a generator: a step asks for up to 15 options.
        for k, value, _span in options:
            if k == key:
                return value
        return default

    @staticmethod
    def _allowed(options: Iterable[Option]) -> tuple[str, ...]:
        return tuple(code for k, codes, _span in options if k == "allow" for code in codes)


def _literal(expr: ast.Expr | None) -> ast.Duration | None:
    """A duration written as it is (``2 business days``), kept as before expressions."""
    return expr.duration if isinstance(expr, ast.DurationLit) else None


def _computed(expr: ast.Expr | None) -> ast.Expr | None:
    """A duration worked out when the campaign runs (``review_days * 1 business day``)."""
    return None if expr is None or isinstance(expr, ast.DurationLit) else expr


def _is_statement(item: Any) -> bool:
    return not isinstance(item, _NOT_STATEMENTS)


_NOT_STATEMENTS = (ast.Input, ast.Output, tuple)  # made once (A | B in a call makes it anew)


def _choices(kind: Type) -> OneOf | None:
    """The 'one of' a field's type ends with (``list of one of ...`` too), if any."""
    while isinstance(kind, ListOf):
        kind = kind.item
    return kind if isinstance(kind, OneOf) else None


def _one_more_choice(field: ast.FieldDecl, choice: ast.TextLit) -> ast.FieldDecl:
    """``field`` with ``choice`` added to the end of its 'one of'."""

    def extended(kind: Type) -> Type:
        if isinstance(kind, ListOf):
            return ListOf(extended(kind.item))
        assert isinstance(kind, OneOf)
        return OneOf((*kind.choices, choice.plain))

    type_ref = ast.TypeRef(extended(field.type.type), field.type.span.join(choice.span))
    return ast.FieldDecl(field.name, type_ref, field.span.join(choice.span))
