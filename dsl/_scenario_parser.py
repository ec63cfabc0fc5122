"""Scenario file text -> :mod:`dsl._scenario_ast`, reporting every syntax problem.

The grammar lives in ``scenario.lark``. After a syntax error the offending
line is blanked and the file parsed again, so one run reports several mistakes.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken
from lark.tree import Meta

from dsl import _ast as ast
from dsl import _scenario_ast as sc
from dsl._build_expr import meta_span, token_span
from dsl._diagnostics import Diagnostic
from dsl._layout import LayoutError, MopsIndenter
from dsl._source import SourceFile, Span

MAX_SYNTAX_ERRORS = 25

_UNITS: dict[str, ast.DurationUnit] = {
    "second": "seconds",
    "minute": "minutes",
    "hour": "hours",
    "day": "days",
    "week": "weeks",
}
_SHORT_UNITS: dict[str, ast.DurationUnit] = {
    "s": "seconds",
    "m": "minutes",
    "h": "hours",
    "d": "days",
    "w": "weeks",
}
_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t"}

_EXPECTED_WORDS = {
    "STRING": 'a text in double quotes ("...")',
    "NAME": "a name",
    "DOTTED_NAME": "an event name",
    "NUMBER": "a number",
    "DATE": "a date (YYYY-MM-DD)",
    "TIME": "a time (HH:MM)",
    "_NL": "the end of the line",
    "_INDENT": "an indented line",
    "EQUAL": "'='",
    "COLON": "':'",
    "COMMA": "','",
    "_THEN": "', then'",
    "TIME_UNIT": "a unit (hours, days, ...)",
    "BUSINESS_UNIT": "'days' or 'hours'",
    "SHORT_DURATION": "a duration (2h, 3d)",
}


@functools.cache
def _lark() -> Lark:
    return Lark.open(
        "scenario.lark",
        rel_to=__file__,
        parser="lalr",
        postlex=MopsIndenter(),
        propagate_positions=True,
        maybe_placeholders=True,
        cache=True,
    )


@dataclass(frozen=True)
class ScenarioParse:
    """The scenarios of a file (None when it could not be parsed) and every problem."""

    file: sc.ScenarioFile | None
    diagnostics: tuple[Diagnostic, ...]


def parse_scenarios(source: SourceFile) -> ScenarioParse:
    """Parse a whole scenario file."""
    lines = list(source.lines)
    problems: list[Diagnostic] = []
    for number, line in enumerate(lines, start=1):
        lead = line[: len(line) - len(line.lstrip(" \t"))]
        if "\t" in lead:
            problems.append(
                Diagnostic(
                    "X001",
                    "this line is indented with a tab",
                    Span.point(number, lead.index("\t") + 1),
                    hint="indent with spaces only (two per level is the house style)",
                )
            )
    if problems:
        return ScenarioParse(None, tuple(problems))
    while True:
        text = "\n".join(lines).rstrip() + "\n"
        try:
            tree = _lark().parse(text)
        except (UnexpectedInput, LayoutError) as error:
            diagnostic = _diagnose(error, text)
            # Blanking a broken line can leave an empty scenario behind: our doing.
            if not (problems and _is_follow_on(error)):
                problems.append(diagnostic)
            index = diagnostic.span.line - 1
            if len(problems) >= MAX_SYNTAX_ERRORS or not _blank(lines, index):
                return ScenarioParse(None, tuple(problems))
            continue
        if problems:
            return ScenarioParse(None, tuple(problems))
        builder = _Builder()
        file: sc.ScenarioFile = builder.transform(tree)
        if not file.scenarios:
            builder.diagnostics.append(
                Diagnostic(
                    "X001",
                    "the file has no scenario in it",
                    Span.point(1, 1),
                    hint='start one with: scenario "The editor approves"',
                )
            )
        return ScenarioParse(file, tuple(builder.diagnostics))


def _blank(lines: list[str], index: int) -> bool:
    if not 0 <= index < len(lines) or not lines[index].strip():
        return False
    indent = len(lines[index]) - len(lines[index].lstrip())
    lines[index] = ""
    for i in range(index + 1, len(lines)):  # the block under a broken header goes too
        if lines[i].strip() and len(lines[i]) - len(lines[i].lstrip()) <= indent:
            break
        lines[i] = ""
    return True


def _is_follow_on(error: UnexpectedInput | LayoutError) -> bool:
    token: Token | None = getattr(error, "token", None)
    return not isinstance(error, UnexpectedCharacters | LayoutError) and (
        token is None or token.type in {"$END", "_DEDENT"}
    )


def _diagnose(error: UnexpectedInput | LayoutError, text: str) -> Diagnostic:
    if isinstance(error, LayoutError):
        return Diagnostic("X001", error.message, Span.point(error.line, error.col), hint=error.hint)
    if isinstance(error, UnexpectedCharacters):
        line_text = text.split("\n")[error.line - 1]
        char = line_text[error.column - 1 : error.column]
        if char == '"':
            return Diagnostic(
                "X001",
                "this text is not closed: a '\"' is missing before the end of the line",
                Span.point(error.line, error.column),
            )
        word = line_text[error.column - 1 :].split(" ")[0] or char
        return Diagnostic(
            "X001",
            f"'{word}' has no meaning here",
            Span.point(error.line, error.column, len(word)),
            hint=_expected(error.allowed),
        )
    token: Token | None = getattr(error, "token", None)
    if not isinstance(error, UnexpectedToken) or token is None or token.type == "$END":
        last = len(text.rstrip("\n").split("\n"))
        return Diagnostic("X001", "the file ends in the middle of a line", Span.point(last, 1))
    if token.type in {"_NL", "_DEDENT"}:
        # The line ended too early: point just after its last word.
        line = (token.line or 1) if token.type == "_NL" else (token.line or 2) - 1
        line_text = text.split("\n")[line - 1].split("#")[0].rstrip()
        return Diagnostic(
            "X001",
            "this line ends too early",
            Span.point(line, len(line_text) + 1),
            hint=_expected(error.expected),
        )
    if token.type == "_INDENT":
        return Diagnostic(
            "X001",
            "this line is indented more than the one above",
            Span.point(token.end_line or 1, token.end_column or 1),
            hint="every line of a scenario is indented the same",
        )
    shown = f"the text {token}" if token.type == "STRING" else f"'{token}'"
    return Diagnostic(
        "X001",
        f"{shown} is not expected here",
        token_span(token),
        hint=_expected(error.expected),
    )


def _expected(names: set[str] | frozenset[str]) -> str | None:
    words: list[str] = []
    for name in sorted(names):
        pattern = _lark().get_terminal(name).pattern if name in _lark()._terminals_dict else None
        if name in _EXPECTED_WORDS:
            words.append(_EXPECTED_WORDS[name])
        elif pattern is not None and pattern.type == "str":
            words.append(f"'{pattern.value}'")
    if not words:
        return None
    if len(words) > 8:
        words = [*words[:8], "..."]
    return "expected " + " or ".join(dict.fromkeys(words))


def _text(token: Token) -> str:
    body = str(token)[1:-1]
    out: list[str] = []
    i = 0
    while i < len(body):
        if body[i] == "\\" and i + 1 < len(body):
            out.append(_ESCAPES.get(body[i + 1], "\\" + body[i + 1]))
            i += 2
        else:
            out.append(body[i])
            i += 1
    return "".join(out)


@v_args(meta=True)
class _Builder(Transformer[Token, Any]):
    """Parse tree -> AST; problems are collected, never raised (see VisitError)."""

    def __init__(self) -> None:
        super().__init__()
        self.diagnostics: list[Diagnostic] = []

    def start(self, meta: Meta, children: list[sc.Scenario]) -> sc.ScenarioFile:
        return sc.ScenarioFile(tuple(children))

    def scenario(self, meta: Meta, children: list[Any]) -> sc.Scenario:
        name_token, *lines = children
        start = [line for line in lines if isinstance(line, sc.Start)]
        for extra in start[1:]:
            self.diagnostics.append(
                Diagnostic("X008", "a scenario starts only once", extra.span, hint="keep one line")
            )
        return sc.Scenario(
            name=_text(name_token),
            start=start[0] if start else None,
            inputs=tuple(line for line in lines if isinstance(line, sc.Field)),
            scripts=tuple(line for line in lines if isinstance(line, sc.Script)),
            events=tuple(line for line in lines if isinstance(line, sc.Event)),
            expectations=tuple(
                line
                for line in lines
                if not isinstance(line, sc.Start | sc.Field | sc.Script | sc.Event)
            ),
            span=meta_span(meta),
            name_span=token_span(name_token),
        )

    def start_line(self, meta: Meta, children: list[Token]) -> sc.Start:
        date, time, zone = children
        span = meta_span(meta)
        try:
            moment = dt.datetime.combine(
                dt.date.fromisoformat(str(date)), dt.time.fromisoformat(str(time))
            )
        except ValueError:
            self.diagnostics.append(
                Diagnostic(
                    "X007",
                    f"{date} {time} is not a moment in the calendar",
                    token_span(date).join(token_span(time)),
                    hint="write it as YYYY-MM-DD HH:MM, e.g. 2027-03-01 09:00",
                )
            )
            moment = dt.datetime(2026, 1, 5, 9)
        zone_name = None if zone is None else (_text(zone) if zone.type == "STRING" else str(zone))
        return sc.Start(moment, zone_name, span)

    def input_line(self, meta: Meta, children: list[Any]) -> sc.Field:
        return self.field(meta, children)

    def field(self, meta: Meta, children: list[Any]) -> sc.Field:
        name, value = children
        return sc.Field(str(name), value, meta_span(meta), token_span(name))

    def fields(self, meta: Meta, children: list[sc.Field]) -> tuple[sc.Field, ...]:
        return tuple(children)

    def with_fields(self, meta: Meta, children: list[Any]) -> tuple[sc.Field, ...]:
        fields: tuple[sc.Field, ...] = children[0]
        return fields

    # ---- what happens at a step ------------------------------------------------

    def script_line(self, meta: Meta, children: list[Any]) -> sc.Script:
        step, *items = children
        return sc.Script(str(step), tuple(items), meta_span(meta), token_span(step))

    def answer(self, meta: Meta, children: list[Any]) -> sc.Answer:
        verdict, people, after, comment, fields = children
        return sc.Answer(verdict, people, after, comment or "", fields or (), meta_span(meta))

    def approved(self, meta: Meta, children: list[Any]) -> str:
        return "approved"

    def rejected(self, meta: Meta, children: list[Any]) -> str:
        return "rejected"

    def changes(self, meta: Meta, children: list[Any]) -> str:
        return "changes_requested"

    def completed(self, meta: Meta, children: list[Any]) -> str:
        return "completed"

    def people(self, meta: Meta, children: list[Token]) -> tuple[tuple[str, Span], ...]:
        return tuple((str(t), token_span(t)) for t in children)

    def after(self, meta: Meta, children: list[ast.Duration]) -> ast.Duration:
        return children[0]

    def comment(self, meta: Meta, children: list[Token]) -> str:
        return _text(children[0])

    def no_answer(self, meta: Meta, children: list[Any]) -> sc.NoAnswer:
        return sc.NoAnswer(meta_span(meta))

    def returns(self, meta: Meta, children: list[Any]) -> sc.Returns:
        return sc.Returns(children[0], meta_span(meta))

    def returns_nothing(self, meta: Meta, children: list[Any]) -> sc.Returns:
        return sc.Returns((), meta_span(meta))

    def fails(self, meta: Meta, children: list[Any]) -> sc.Fails:
        message, times = children
        return sc.Fails(_text(message), times, meta_span(meta))

    def times(self, meta: Meta, children: list[Token]) -> int:
        return int(Decimal(str(children[0])))

    def event_line(self, meta: Meta, children: list[Any]) -> sc.Event:
        name, key, after, fields = children
        shown = _text(name) if name.type == "STRING" else str(name)
        return sc.Event(shown, _text(key), after, fields or (), meta_span(meta), token_span(name))

    def expect_refused(self, meta: Meta, children: list[Any]) -> sc.ExpectRefused:
        person, step, reason = children
        return sc.ExpectRefused(
            str(person),
            str(step),
            None if reason is None else _text(reason),
            meta_span(meta),
            token_span(person),
            token_span(step),
        )

    def expect_exit(self, meta: Meta, children: list[Token]) -> sc.ExpectExit:
        name = children[0]
        shown = _text(name) if name.type == "STRING" else str(name)
        return sc.ExpectExit(shown, meta_span(meta), token_span(name))

    def expect_no_exit(self, meta: Meta, children: list[Any]) -> sc.ExpectExit:
        return sc.ExpectExit(None, meta_span(meta), meta_span(meta))

    # ---- expectations ------------------------------------------------------------

    def expect_line(self, meta: Meta, children: list[Any]) -> Any:
        return children[0]

    def expect_path(self, meta: Meta, children: list[Token]) -> sc.ExpectPath:
        steps = tuple((str(t), token_span(t)) for t in children)
        return sc.ExpectPath(steps, False, meta_span(meta))

    def expect_path_includes(self, meta: Meta, children: list[Token]) -> sc.ExpectPath:
        steps = tuple((str(t), token_span(t)) for t in children)
        return sc.ExpectPath(steps, True, meta_span(meta))

    def outcome_word(self, meta: Meta, children: list[Token]) -> str:
        return str(children[0])

    def expect_outcome(self, meta: Meta, children: list[Any]) -> sc.ExpectOutcome:
        outcome, reason = children
        return sc.ExpectOutcome(outcome, None if reason is None else _text(reason), meta_span(meta))

    def expect_output(self, meta: Meta, children: list[Any]) -> sc.ExpectOutput:
        name, value = children
        field = sc.Field(str(name), value, meta_span(meta), token_span(name))
        return sc.ExpectOutput(field, meta_span(meta))

    def expect_escalated(self, meta: Meta, children: list[Any]) -> sc.ExpectEscalated:
        step, party = children
        return sc.ExpectEscalated(str(step), True, party, meta_span(meta), token_span(step))

    def expect_not_escalated(self, meta: Meta, children: list[Any]) -> sc.ExpectEscalated:
        step = children[0]
        return sc.ExpectEscalated(str(step), False, None, meta_span(meta), token_span(step))

    def expect_met(self, meta: Meta, children: list[Token]) -> sc.ExpectDeadline:
        return sc.ExpectDeadline(str(children[0]), True, meta_span(meta), token_span(children[0]))

    def expect_missed(self, meta: Meta, children: list[Token]) -> sc.ExpectDeadline:
        return sc.ExpectDeadline(str(children[0]), False, meta_span(meta), token_span(children[0]))

    def expect_notified(self, meta: Meta, children: list[sc.Party]) -> sc.ExpectNotified:
        return sc.ExpectNotified(children[0], True, meta_span(meta))

    def expect_not_notified(self, meta: Meta, children: list[sc.Party]) -> sc.ExpectNotified:
        return sc.ExpectNotified(children[0], False, meta_span(meta))

    def expect_duration(self, meta: Meta, children: list[Any]) -> sc.ExpectDuration:
        return sc.ExpectDuration(str(children[0]), children[1], meta_span(meta))

    def role_party(self, meta: Meta, children: list[Token]) -> sc.Party:
        return sc.Party("role", str(children[0]), meta_span(meta))

    def person_party(self, meta: Meta, children: list[Token]) -> sc.Party:
        return sc.Party("person", str(children[0]), meta_span(meta))

    # ---- values --------------------------------------------------------------------

    def number(self, meta: Meta, children: list[Token]) -> ast.NumberLit:
        return ast.NumberLit(Decimal(str(children[0])), meta_span(meta))

    def negative(self, meta: Meta, children: list[Token]) -> ast.NumberLit:
        return ast.NumberLit(-Decimal(str(children[0])), meta_span(meta))

    def money(self, meta: Meta, children: list[Token]) -> ast.MoneyLit:
        return ast.MoneyLit(Decimal(str(children[0])), str(children[1]), meta_span(meta))

    def percent(self, meta: Meta, children: list[Token]) -> ast.PercentLit:
        return ast.PercentLit(Decimal(str(children[0])), meta_span(meta))

    def duration_value(self, meta: Meta, children: list[ast.Duration]) -> ast.DurationLit:
        return ast.DurationLit(children[0], meta_span(meta))

    def date(self, meta: Meta, children: list[Token]) -> ast.DateLit:
        return ast.DateLit(self._date(children[0]), meta_span(meta))

    def datetime(self, meta: Meta, children: list[Token]) -> ast.DateTimeLit:
        day = self._date(children[0])
        try:
            clock = dt.time.fromisoformat(str(children[1]))
        except ValueError:
            self._bad_moment(children[1], "a time of day", "HH:MM, e.g. 09:30")
            clock = dt.time()
        return ast.DateTimeLit(dt.datetime.combine(day, clock), meta_span(meta))

    def _date(self, token: Token) -> dt.date:
        try:
            return dt.date.fromisoformat(str(token))
        except ValueError:
            self._bad_moment(token, "a date in the calendar", "YYYY-MM-DD, e.g. 2026-12-01")
            return dt.date.min

    def _bad_moment(self, token: Token, what: str, how: str) -> None:
        self.diagnostics.append(
            Diagnostic("X007", f"{token} is not {what}", token_span(token), hint=f"write {how}")
        )

    def text(self, meta: Meta, children: list[Token]) -> ast.TextLit:
        return ast.TextLit((_text(children[0]),), meta_span(meta))

    def true(self, meta: Meta, children: list[Any]) -> ast.BoolLit:
        return ast.BoolLit(True, meta_span(meta))

    def false(self, meta: Meta, children: list[Any]) -> ast.BoolLit:
        return ast.BoolLit(False, meta_span(meta))

    def list_value(self, meta: Meta, children: list[Any]) -> ast.ListLit:
        return ast.ListLit(tuple(c for c in children if c is not None), meta_span(meta))

    def record_value(self, meta: Meta, children: list[Any]) -> ast.RecordLit:
        return ast.RecordLit(tuple(c for c in children if c is not None), meta_span(meta))

    def record_field(self, meta: Meta, children: list[Any]) -> tuple[str, ast.Expr]:
        name, value = children
        return (_text(name) if name.type == "STRING" else str(name), value)

    def plain_duration(self, meta: Meta, children: list[Token]) -> ast.Duration:
        amount, unit = children
        name = _UNITS[str(unit).rstrip("s")]
        return ast.Duration(Decimal(str(amount)), name, f"{amount} {unit}", meta_span(meta))

    def business_duration(self, meta: Meta, children: list[Token]) -> ast.Duration:
        amount, unit = children
        name: ast.DurationUnit = (
            "business_days" if str(unit).startswith("day") else "business_hours"
        )
        return ast.Duration(
            Decimal(str(amount)), name, f"{amount} business {unit}", meta_span(meta)
        )

    def short_duration(self, meta: Meta, children: list[Token]) -> ast.Duration:
        text = str(children[0])
        return ast.Duration(Decimal(text[:-1]), _SHORT_UNITS[text[-1]], text, meta_span(meta))
