"""The fast lexer reads exactly the tokens Lark's lexer and our indenter read.

The parse that builds the AST uses :mod:`dsl._lexer`; the parse that
explains syntax errors uses Lark's own. Every token (type, text, start,
line, column, end) must be the same, or positions in messages would drift.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

import pytest
from diagnostic_examples import EXAMPLES
from lark import Token
from lark.exceptions import UnexpectedInput
from support import ROOT
from test_docs import Block, _of

from bench.compile import generate
from dsl._layout import LayoutError
from dsl._lexer import FastLexer
from dsl._parser import _lark
from dsl._token import NotParsed

Seen = tuple[str, str, int | None, int | None, int | None, int | None, int | None, int | None]


class _Recording:
    """A lexer that passes on another's tokens and keeps them."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.tokens: list[Seen] = []

    def lex(self, lexer_state: Any, parser_state: Any) -> Iterator[Token]:
        for t in self.inner.lex(lexer_state, parser_state):
            where = (t.start_pos, t.line, t.column, t.end_line, t.end_column, t.end_pos)
            self.tokens.append((t.type, str(t), *where))
            yield t


def tokens(text: str, start: str, *, fast: bool) -> tuple[list[Seen], bool]:
    """The tokens the parser was given, and whether the text parsed."""
    interactive = _lark().parse_interactive(text, start=start)
    lexer = interactive.lexer_thread.lexer
    # Fed to Lark's own parser, the fast lexer reads Lark's state numbers.
    recording = _Recording(_fast() if fast else lexer)
    interactive.lexer_thread.lexer = recording  # type: ignore[assignment]
    try:
        interactive.resume_parse()  # type: ignore[no-untyped-call]
    except (UnexpectedInput, NotParsed, LayoutError):
        return recording.tokens, False
    return recording.tokens, True


@functools.cache
def _fast() -> FastLexer:
    return FastLexer.from_lark(_lark())


def _texts() -> list[Any]:
    return list(_each_text())


def _each_text() -> Iterator[Any]:
    for path in sorted(ROOT.glob("**/*.mops")):
        if ".venv" not in path.parts:
            yield pytest.param(path.read_text(encoding="utf-8"), id=str(path.relative_to(ROOT)))
    for param in _of("mops"):
        block: Block = param.values[0]  # type: ignore[assignment]
        yield pytest.param(block.text, id=block.where)
    yield pytest.param(generate(200), id="generated")


@pytest.mark.parametrize("text", _texts())
def test_every_process_in_the_repository_lexes_the_same(text: str) -> None:
    text = text.rstrip() + "\n"
    fast, parsed = tokens(text, "start", fast=True)
    assert parsed
    assert fast == tokens(text, "start", fast=False)[0]


@pytest.mark.parametrize(
    "text",
    [
        "a.b + 3 EUR * 2",
        'join(channels, ", ")',
        "[1, 2,\n 3]",
        "2026-03-02 09:30 + 3 business days",
        "not x in [days, week] or 5% > 3d",
    ],
)
def test_expressions_inside_texts_lex_the_same(text: str) -> None:
    fast, parsed = tokens(text, "expr", fast=True)
    assert parsed
    assert fast == tokens(text, "expr", fast=False)[0]


@pytest.mark.parametrize("code", sorted(code for code in EXAMPLES if code.startswith("S")))
def test_a_file_that_does_not_parse_stops_the_fast_lexer_where_lark_stops(code: str) -> None:
    text = EXAMPLES[code][0]
    fast, parsed = tokens(text, "start", fast=True)
    standard, standard_parsed = tokens(text, "start", fast=False)
    assert parsed == standard_parsed
    # Up to the token at fault, both read the same; the parser then reads the
    # file again with Lark's lexer to explain it.
    assert fast == standard[: len(fast)]


def test_there_are_processes_to_compare() -> None:
    assert len(_texts()) >= 15


def test_the_kept_tables_are_what_lark_makes_of_the_grammar() -> None:
    # If this fails after a change of grammar.lark or Lark: python -m dsl._tables --write
    # (until then the tables are made from Lark in every process, correct but slower).
    from dsl import _tables

    assert _tables.main([]) == 0
    assert _tables._kept() is not None
