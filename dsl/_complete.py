"""What the language expects at a point of a file: the words an editor offers there.

The text before the cursor is read with the parser's own tables
(:mod:`dsl._lalr`), so the keywords offered are exactly those the grammar
takes at that point (``deadline`` under an approval, ``when`` under a
``decide``), and the tokens just before say what kind of name is wanted
(a role after ``role``, a step after ``->``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dsl._lalr import LAYOUT, Lexer, LexProblem, grammar
from dsl._parser import _lark

_WORD_BEFORE = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*\Z")


@dataclass(frozen=True)
class Expected:
    """What may come at a point of a file.

    ``parsed`` is False when the text before the point has a mistake the
    parser cannot read past; then ``keywords`` and ``terminals`` are empty and
    an editor falls back on what the line's indentation suggests.
    """

    parsed: bool
    keywords: tuple[str, ...]
    """Keywords the grammar takes here, sorted."""
    terminals: frozenset[str]
    """Every terminal the grammar takes here (``NAME``, ``STRING``, ``APPROVAL``, ...)."""
    before: tuple[str, ...]
    """The words of the tokens before the point on its statement, last one last."""
    word: str
    """The part of a word already typed at the point (replaced by a completion)."""


def expected_at(text: str, offset: int) -> Expected:
    """What the grammar takes at ``offset`` of ``text`` (the word being typed left out)."""
    head = text[:offset]
    typed = _WORD_BEFORE.search(head)
    word = typed.group() if typed else ""
    if "." in word:
        word = word.rsplit(".", 1)[1]
    head = head[: len(head) - len(word)]
    table = grammar(_lark())
    stack = [table.start_states["start"]]
    lexer = Lexer(table, head, stack)
    before: list[str] = []
    end = len(head)
    try:
        while True:
            token = lexer.next()
            if token.type == "$END" or (token.type == "_DEDENT" and (token.start_pos or 0) >= end):
                break
            if not table.feed(stack, token.type):
                return Expected(False, (), frozenset(), tuple(before[-6:]), word)
            if token.type == "_NL" and not lexer.parens:
                before.clear()
            elif token.type not in LAYOUT:
                before.append(str(token))
    except LexProblem:
        return Expected(False, (), frozenset(), tuple(before[-6:]), word)
    terminals = table.accepts(stack)
    keywords = sorted({w for w in (table.word(t) for t in terminals) if w is not None})
    return Expected(True, tuple(keywords), terminals, tuple(before[-6:]), word)
