"""Syntax errors in words that point at the fix.

Each explanation is worked out from what the parser could take where it
stopped (its state, on the tables of :mod:`dsl._lalr`), never from one
example: a word close to a keyword the state takes is a typo of it; a
``'='`` where a comparison could go is a ``'=='``; a value where ``'->'``
could go lacks the arrow; a line that the step above would take if it were
indented is an option not indented under its step; a token that starts a
new line inside brackets after a complete item lacks the comma before it.
What these rules do not cover is matched against the table of labelled
examples (:mod:`dsl._syntax_examples`) by parser state, and what that does
not cover is described by what the state takes, in the designer's words.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from lark import Token

from dsl._diagnostics import Diagnostic
from dsl._lalr import LAYOUT, Grammar, LineStart, read_line
from dsl._source import Span
from dsl._syntax_examples import Explanation
from dsl._syntax_words import (
    CLOSING,
    describe_expected,
    describe_token,
    match_brackets,
    token_span,
)

_WORD = re.compile(r"[a-z_][a-z0-9_]*\Z", re.IGNORECASE)

ALIASES = {
    "elif": "else if",
    "elsif": "else if",
    "elseif": "else if",
    "foreach": "for each",
    "goto": "go back to",
    "endif": None,
}
"""Words other languages use, and what this one writes instead (None: nothing)."""

_UNITS = {
    "TIME_UNIT": ("seconds", "minutes", "hours", "days", "weeks"),
    "BUSINESS_UNIT": ("days", "hours"),
}


@dataclass(frozen=True)
class Failure:
    """A token the parser could not take, and what it knew then."""

    token: Token
    stack: tuple[int, ...]
    previous: Token | None
    """The last token taken before it (not a layout token)."""
    statement: LineStart | None
    """Where the statement the token is in starts."""
    statement_stack: tuple[int, ...]
    """The parser's stack before the newline that leads to that statement."""
    grammar: Grammar
    text: str
    start: str
    lines: list[str]
    accepts: frozenset[str] = field(default=frozenset())
    labelled: tuple[tuple[Explanation, int, frozenset[str], str], ...] = ()

    @property
    def state(self) -> int:
        return self.stack[-1]


def explain(failure: Failure) -> Diagnostic:
    """A diagnostic for a token the parser could not take."""
    token = failure.token
    if token.type == "$END":
        return _unclosed(failure) or Diagnostic(
            "S002",
            "the file ends in the middle of a step",
            Span.point(_last_line(failure.lines), 1),
            hint=describe_expected(failure.accepts, failure.grammar),
        )
    for rule in (
        _unclosed,
        _over_indented,
        _not_indented,
        _misspelt,
        _labelled,
        _equals,
        _missing_comma,
        _missing_separator,
    ):
        found = rule(failure)
        if found is not None:
            return found
    return Diagnostic(
        "S002",
        f"unexpected {describe_token(token)}",
        token_span(token, failure.lines),
        hint=describe_expected(failure.accepts, failure.grammar),
    )


# ---- the rules, most specific first ------------------------------------------------------


def _unclosed(failure: Failure) -> Diagnostic | None:
    """A bracket of the statement still open when the next statement (or the file) ends."""
    token, statement = failure.token, failure.statement
    if statement is None:
        return None
    at_end = not failure.text[token.start_pos or 0 :].strip()
    if token.type == "$END" or (token.type in LAYOUT and at_end):
        until = len(failure.lines)
    elif token.type in LAYOUT or not _starts_line(failure):
        return None
    else:
        until = token.line or 1
        if _indent(failure.lines[until - 1]) > statement.indent:
            return None  # a line inside the brackets: something else is wrong with it
    stack: list[tuple[int, int, str]] = []
    last = until + (until == len(failure.lines))
    for number in range(statement.first_line, last):
        match_brackets(number, failure.lines[number - 1], stack)
    if not stack or stack[0][0] >= last:
        return None
    line, col, bracket = stack[0]
    return Diagnostic(
        "S002",
        f"the '{bracket}' opened at line {line}, column {col} is never closed",
        Span.point(line, col),
        hint=f"close it with '{CLOSING[bracket]}' before the end of line {line}",
    )


def _missing_comma(failure: Failure) -> Diagnostic | None:
    """A ',' before the token would let the list, arguments or fields go on."""
    if not _takes_after(failure, ","):
        return None
    token, previous = failure.token, failure.previous
    assert previous is not None
    hint = "put a comma after each argument, list item or field that another follows"
    if _starts_line(failure):
        # Inside brackets the mistake is at the end of the line before.
        line = previous.end_line or 1
        return Diagnostic(
            "S002",
            "a ',' is missing at the end of this line",
            Span.point(line, previous.end_column or 1),
            hint=hint,
        )
    return Diagnostic(
        "S002",
        f"a ',' is missing before {describe_token(token)}",
        token_span(token, failure.lines),
        hint=hint,
    )


def _equals(failure: Failure) -> Diagnostic | None:
    token = failure.token
    if token.type != "EQUAL" or "COMPARATOR" not in failure.accepts:
        return None
    line = failure.lines[(token.line or 1) - 1]
    col = (token.column or 1) - 1
    turned = line[col + 1 : col + 2]
    if turned in ("<", ">"):
        return Diagnostic(
            "S002",
            f"'={turned}' is written '{turned}='",
            Span.point(token.line or 1, col + 1, 2),
            hint="write: " + (line[:col] + turned + "=" + line[col + 2 :]).strip(),
        )
    return Diagnostic(
        "S002",
        "compare with '==', not '='",
        token_span(token, failure.lines),
        hint="write: " + (line[:col] + "==" + line[col + 1 :]).strip(),
    )


def _missing_separator(failure: Failure) -> Diagnostic | None:
    """A '->', '=' or ':' before the token would make the line whole."""
    token = failure.token
    if _starts_line(failure):
        return None
    spelt = next((s for s in ("->", "=", ":") if _takes_after(failure, s)), None)
    if spelt is None:
        return None
    line = failure.lines[(token.line or 1) - 1]
    col = (token.column or 1) - 1
    before = line[:col].rstrip()
    return Diagnostic(
        "S002",
        f"a '{spelt}' is missing before {describe_token(token)}",
        token_span(token, failure.lines),
        hint="write: " + f"{before} {spelt} {line[col:]}".strip().replace(" : ", ": "),
    )


def _over_indented(failure: Failure) -> Diagnostic | None:
    if failure.token.type != "_INDENT":
        return None
    return Diagnostic(
        "S002",
        "this line is indented more than the line above, but nothing opens a block there",
        token_span(failure.token, failure.lines),
        hint="line it up with the step above it",
    )


def _takes_after(failure: Failure, spelt: str) -> bool:
    """Whether the parser would take the token after a ``spelt`` put in front of it."""
    token = failure.token
    if token.type in LAYOUT or failure.previous is None:
        return False
    grammar = failure.grammar
    kind = next((k for k in failure.accepts if grammar.spelling.get(k) == spelt), None)
    if kind is None:
        return False
    trial = list(failure.stack)
    return grammar.feed(trial, kind) and grammar.feed(trial, token.type)


def _not_indented(failure: Failure) -> Diagnostic | None:
    """A line the step above would take, were it indented under it."""
    token, statement = failure.token, failure.statement
    if token.type in LAYOUT or statement is None or not _starts_line(failure):
        return None
    if statement.first_line != token.line:
        return None
    grammar, levels, indent = failure.grammar, statement.levels, statement.indent
    layouts: list[tuple[list[str], int]] = []
    if indent < levels[-1]:
        layouts.append((["_NL"], levels[-1]))  # as deep as the lines above
    if indent <= levels[-1]:
        layouts.append((["_NL", "_INDENT"], levels[-1] + 2))  # under the line above
    for layout, target in layouts:
        trial = list(failure.statement_stack)
        if not all(grammar.feed(trial, kind) for kind in layout):
            continue
        if not read_line(grammar, failure.text, trial, token.start_pos or 0):
            continue
        header = _header_above(failure.lines, token.line or 1, target, len(layout) == 1)
        if header is None:
            continue
        number, text = header
        return Diagnostic(
            "S002",
            f"this line must be indented under the {text.split()[0]} on line {number}",
            token_span(token, failure.lines),
            hint=f"the lines that belong to a step go under it: indent this one by {target} spaces",
        )
    return None


def _misspelt(failure: Failure) -> Diagnostic | None:
    token = failure.token
    word = str(token)
    if token.type in LAYOUT or not _WORD.match(word) or len(word) < 3:
        return None
    grammar = failure.grammar
    words = {w for k in failure.accepts if (w := grammar.word(k)) is not None and len(w) > 2}
    for kind in failure.accepts & set(_UNITS):
        words.update(_UNITS[kind])
    meant: str | None = None
    alias = ALIASES.get(word.lower(), "")
    if alias and alias.split()[0] in words:
        meant = alias
    elif not alias:
        close = difflib.get_close_matches(word.lower(), sorted(words), n=1, cutoff=0.6)
        meant = close[0] if close else None
    if meant is None:
        return None
    known = word in grammar.spelling.values()
    return Diagnostic(
        "S002",
        f"'{word}' is not expected here" if known else f"unknown word '{word}'",
        token_span(token, failure.lines),
        hint=f"did you mean '{meant}'?",
    )


def _labelled(failure: Failure) -> Diagnostic | None:
    """The label of the example that fails in the same state, with the same token if can be.

    This is ``UnexpectedInput.match_examples(..., use_accepts=True)`` over
    states of our own reading.
    """
    candidate: Explanation | None = None
    for label, state, accepts, token in failure.labelled:
        if state != failure.state or accepts != failure.accepts:
            continue
        if token == str(failure.token):
            candidate = label
            break
        candidate = candidate or label
    if candidate is None:
        return None
    return Diagnostic(
        "S002", candidate.message, token_span(failure.token, failure.lines), hint=candidate.hint
    )


# ---- helpers ---------------------------------------------------------------------------


def _starts_line(failure: Failure) -> bool:
    previous = failure.previous
    return previous is None or (previous.end_line or 0) < (failure.token.line or 0)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _last_line(lines: list[str]) -> int:
    return max((n for n, t in enumerate(lines, start=1) if t.strip()), default=1)


def _header_above(
    lines: list[str], line: int, indent: int, past_block: bool
) -> tuple[int, str] | None:
    """The line above ``line`` that opens the block indented by ``indent``.

    With ``past_block`` the block already has lines (indented by ``indent``)
    above; the header is the line indented less above them.
    """
    for number in range(line - 1, 0, -1):
        text = lines[number - 1]
        if not text.strip() or text.lstrip().startswith("#"):
            continue
        if past_block and _indent(text) >= indent:
            past_block = False
        elif not past_block and _indent(text) < indent:
            return number, text.strip()
    return None
