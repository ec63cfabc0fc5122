"""Labelled examples of common syntax mistakes, and the words that explain them.

A failing parse is matched against these examples by parser state (the way
``UnexpectedInput.match_examples`` does it), so a designer gets a sentence about
*their* mistake instead of a list of token names. The same table is test
data: every example must produce its own label.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from lark import Token
from lark.exceptions import UnexpectedInput, UnexpectedToken

from dsl._diagnostics import Diagnostic
from dsl._layout import LayoutError
from dsl._source import Span


@dataclass(frozen=True)
class Explanation:
    message: str
    hint: str | None = None


def _p(*body: str) -> str:
    return "process p\n" + "".join(f"  {line}\n" for line in body)


EXAMPLES: dict[Explanation, list[str]] = {
    Explanation(
        "a task needs '=' between its name and the action it calls",
        "write: task draft = cms.create_draft(title: title)",
    ): [_p('task draft log.info(message: "x")'), _p('task draft "Draft" log.info(message: "x")')],
    Explanation(
        "an argument is written 'name: value'",
        'write: log.info(message: "hello")',
    ): [_p('task t = log.info(message = "x")'), _p("task t = log.info(message)")],
    Explanation(
        "an input needs a type after a colon",
        "write: input title: text",
    ): [_p("input title"), _p('input title = "x"'), _p("input title:")],
    Explanation(
        "the choices of a 'one of' are texts in double quotes",
        'write: one of "go", "hold"',
    ): [
        _p("input tier: one of gold, silver"),
        _p("work w", "  returns decision: one of go, hold"),
        _p("work w", '  returns decision: one of "go", hold'),
    ],
    Explanation(
        "a comma is missing between the choices of a 'one of'",
        'write: input tier: one of "gold", "silver"',
    ): [_p('input tier: one of "gold" "silver"')],
    Explanation(
        "a comma is missing: the choices of a 'one of' and the fields after it are"
        " separated by commas",
        'write: returns decision: one of "go", "hold", budget: money',
    ): [
        _p("work w", '  returns decision: one of "go" "hold"'),
        _p("work w", '  returns decision: one of "go", "hold" budget: money'),
        _p("work w", '  returns channels: list of one of "web" "mail"'),
    ],
    Explanation(
        "an action name has a dot in it, such as 'cms.publish'",
        "actions are named by their connector and what they do: email.send, http.post",
    ): [_p("task t = publish(x: 1)")],
    Explanation(
        "compare with '==', not '='",
        'write: if tier == "paid"',
    ): [_p("if x = 1", '  task t = log.info(message: "x")')],
    Explanation(
        "this line should start a step, an input or an output",
        "steps start with 'task' or 'if'; declarations with 'input' or 'output'",
    ): [
        _p("approve x"),
        _p("x = 1"),
        _p('"hello"'),
        _p("input x: text", "approve x"),
        _p("if x", '  task t = log.info(message: "x")', "approve x"),
        _p('task t = log.info(message: "x")', "approve x"),
        _p("output o = 1", "approve x"),
        _p(
            "if x",
            '  task t = log.info(message: "x")',
            "else",
            '  task u = log.info(message: "x")',
            "approve x",
        ),
    ],
    Explanation(
        "'else' must follow the block of an 'if' at the same indentation",
        None,
    ): [_p("else", '  task t = log.info(message: "x")')],
    Explanation(
        "a block is expected here: indent the lines that belong to it",
        "the line that opens a block ends its header; the block's steps go on the next "
        "lines, indented by two more spaces",
    ): [
        _p("if x", 'task t = log.info(message: "x")'),
        _p("if x"),
        "process p\ninput x: text\n",
    ],
    Explanation(
        "this line is indented more than the line above, but nothing opens a block there",
        "line it up with the step above it",
    ): [_p('task a = log.info(message: "x")', '  task b = log.info(message: "y")')],
    Explanation(
        "the process needs a name after 'process'",
        'write: process blog_post "Blog post: from brief to publication"',
    ): ['process "Blog post"\n  input x: text\n'],
}


def _with_titles(examples: list[str]) -> list[str]:
    # The parser state after a titled header differs from an untitled one, so
    # each example is also matched with a title on its process.
    titled = [e.replace("process p\n", 'process p "A title"\n', 1) for e in examples]
    return examples + [t for t in titled if t not in examples]


MATCH_TABLE: dict[Explanation, list[str]] = {
    label: _with_titles(examples) for label, examples in EXAMPLES.items()
}

_TOKEN_WORDS = {
    "NAME": "a name",
    "STRING": "a text in double quotes",
    "NUMBER": "a number",
    "CURRENCY": "a currency code",
    "_NL": "the end of the line",
    "_INDENT": "an indented block",
    "_DEDENT": "the end of the block",
    "LPAR": "'('",
    "RPAR": "')'",
    "LSQB": "'['",
    "RSQB": "']'",
    "LBRACE": "'{'",
    "RBRACE": "'}'",
    "MINUS": "'-'",
    "TIME_UNIT": "a unit of time",
    "COLON": "':'",
    "COMMA": "','",
    "EQUAL": "'='",
    "DOT": "'.'",
    "COMPARATOR": "a comparison",
    "ADD_OP": "'+' or '-'",
    "MUL_OP": "'*' or '/'",
    "$END": "the end of the file",
}


def word_for(terminal: str) -> str:
    """How a designer would name a terminal of the grammar."""
    if terminal in _TOKEN_WORDS:
        return _TOKEN_WORDS[terminal]
    return f"'{terminal.lower()}'"


def describe_expected(expected: Iterable[str]) -> str | None:
    """'expected a name or the end of the line', or None if nothing is known."""
    # Described things (a name, a number) before punctuation, which the list may cut off.
    words = sorted(
        {word_for(t) for t in expected if not t.startswith("__")},
        key=lambda word: (word.startswith("'"), word),
    )
    if not words:
        return None
    if len(words) > 6:
        words = [*words[:6], "..."]
    return "expected " + ", ".join(words)


def _describe_token(token: Token) -> str:
    if token.type in {"_NL", "_INDENT", "_DEDENT", "$END"}:
        # "unexpected end of the line", not "unexpected the end of the line"
        return word_for(token.type).removeprefix("the ").removeprefix("an ")
    return f"'{token}'"


def explain(
    error: UnexpectedToken, token: Token, parse: Callable[..., Any], text: str
) -> Diagnostic:
    """A diagnostic for an unexpected token, from the examples table when it matches."""
    span = _token_location(token, text)
    label = _match(error, parse)
    if label is not None:
        return Diagnostic("S002", label.message, span, hint=label.hint)
    return Diagnostic(
        "S002",
        f"unexpected {_describe_token(token)}",
        span,
        hint=describe_expected(error.accepts or error.expected),
    )


def _match(error: UnexpectedToken, parse: Callable[..., Any]) -> Explanation | None:
    """The label of the example that fails like ``error``: same parser state and
    expectations, the same token if possible.

    This is ``UnexpectedInput.match_examples(..., use_accepts=True)``, which in
    lark 1.3 raises TypeError from a debug message when two examples share a
    state but not what they accept.
    """
    candidate: Explanation | None = None
    for label, examples in MATCH_TABLE.items():
        for example in examples:
            try:
                parse(example, start="start")
            except (UnexpectedInput, LayoutError) as failure:
                if not isinstance(failure, UnexpectedInput) or failure.state != error.state:
                    continue
                if isinstance(failure, UnexpectedToken) and failure.accepts != error.accepts:
                    continue
                if getattr(failure, "token", None) == error.token:
                    return label
                candidate = candidate or label
    return candidate


def _token_location(token: Token, text: str) -> Span:
    if token.type in {"_INDENT", "_DEDENT"}:
        # Layout tokens borrow the position of the newline before them.
        line = token.end_line or 1
        lines = text.split("\n")
        content = lines[line - 1] if line - 1 < len(lines) else ""
        if not content.strip():
            # The file ended: point just after its last line rather than past the end.
            line = max((n for n, t in enumerate(lines[:line], start=1) if t.strip()), default=1)
            return Span.point(line, len(lines[line - 1]) + 1)
        col = len(content) - len(content.lstrip()) + 1
        return Span.point(line, col, max(1, len(content.strip())))
    if token.type == "_NL":
        line = token.line or 1
        return Span.point(line, token.column or 1)
    line = token.line or 1
    col = token.column or 1
    return Span(line, col, token.end_line or line, token.end_column or col + 1)
