"""Lark's LALR tables and contextual lexer, driven by hand for syntax errors.

The parse that builds the AST (:mod:`dsl._callbacks`) stops at the first
token it cannot take. Explaining that token, and reading on to find the
file's other mistakes, needs more than Lark's parser offers cheaply: parsing
from any point of the text with a given stack, asking whether a token would
be taken without taking it, and trying a line as if it were indented
differently. This module gives exactly that, on the very tables Lark built:

* :class:`Grammar`: the parse table (shift/reduce on a stack of states
  only, no tree), which terminals a state takes, and the words keywords are
  spelt with;
* :class:`Lexer`: Lark's contextual lexer and our indenter
  (:class:`dsl._layout.MopsIndenter`) in one loop that can start anywhere,
  with Lark's fallback to the full lexer for a word the state does not take.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass

from lark import Lark, Token
from lark.lexer import PatternStr

from dsl._layout import MopsIndenter
from dsl._lexer import _table as lexer_table
from dsl._lexer import fast_lexer
from dsl._tables import _lexer_data, tables

LAYOUT = frozenset({"_NL", "_INDENT", "_DEDENT"})
_OPENING = frozenset(MopsIndenter.OPEN_PAREN_types)
_CLOSING = frozenset(MopsIndenter.CLOSE_PAREN_types)
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_new = str.__new__


class Grammar:
    """The parse table of one Lark grammar, run on a stack of states alone."""

    def __init__(self, lark: Lark) -> None:
        # The states are the kept tables' (numbered as the fast parse numbers them);
        # only the full lexer and the spellings are read from Lark.
        table = tables()
        self.states = table.states
        self.start_states = table.start_states
        self.end_states = table.end_states
        self.lexers = fast_lexer().tables
        self.root_lexer = lexer_table(_lexer_data(lark.parser.lexer.lexer.root_lexer))
        self.spelling: dict[str, str] = {
            t.name: t.pattern.value for t in lark.terminals if isinstance(t.pattern, PatternStr)
        }
        """How each fixed terminal is written: ``{"APPROVAL": "approval", "__ANON_1": "->"}``."""

    def feed(self, stack: list[int], kind: str) -> bool:
        """Take a token of type ``kind``: True if it was shifted, False if it cannot be.

        After False the stack may have been reduced (as Lark's parser reduces
        before it finds out); the state on top is the one that refused it.
        """
        states = self.states
        while True:
            action = states[stack[-1]].get(kind)
            if action is None:
                return False
            size, goto, _rule = action
            if size < 0:
                stack.append(goto)
                return True
            if size:
                del stack[-size:]
            stack.append(states[stack[-1]][goto][1])

    def finish(self, stack: list[int], start: str) -> bool:
        """Reduce at the end of the text: True if the text is complete."""
        states, end = self.states, self.end_states[start]
        while stack[-1] != end:
            action = states[stack[-1]].get("$END")
            if action is None or action[0] < 0:
                return False
            size, goto, _rule = action
            if size:
                del stack[-size:]
            stack.append(states[stack[-1]][goto][1])
        return True

    def expected(self, state: int) -> frozenset[str]:
        """The terminals the table has an action for in ``state``."""
        return frozenset(k for k in self.states[state] if k.isupper() or k == "$END")

    def accepts(self, stack: Iterable[int], start: str = "start") -> frozenset[str]:
        """The terminals that would really be shifted now (after any reductions)."""
        stack = list(stack)
        found = set()
        for kind in self.states[stack[-1]]:
            if not (kind.isupper() or kind == "$END"):
                continue  # a rule's goto, not a terminal
            trial = list(stack)
            if self.finish(trial, start) if kind == "$END" else self.feed(trial, kind):
                found.add(kind)
        return frozenset(found)

    def word(self, kind: str) -> str | None:
        """The keyword a terminal is spelt with, if it is a word (``approval``, not ``->``)."""
        spelt = self.spelling.get(kind)
        return spelt if spelt is not None and _WORD.match(spelt) else None


@functools.cache
def grammar(lark: Lark) -> Grammar:
    """The :class:`Grammar` of ``lark`` (built once)."""
    return Grammar(lark)


@dataclass(frozen=True)
class LineStart:
    """Where a line starts, seen from the newline before it: enough to read on from there."""

    pos: int
    """The offset of the newline token (comments before it included) that ends the line above."""
    line: int
    line_start: int
    levels: tuple[int, ...]
    first_line: int
    """The line the newline leads to (after blank and comment lines)."""
    indent: int


class LexProblem(Exception):
    """A character no terminal starts with, or indentation that matches no block."""

    def __init__(self, kind: str, line: int, col: int, at: LineStart | None = None) -> None:
        super().__init__(kind)
        self.kind = kind
        """``character``, ``dedent`` (S005) or ``unopened`` (a closing bracket too many)."""
        self.line = line
        self.col = col
        self.at = at
        self.open_levels: tuple[int, ...] = ()


class Lexer:
    """The tokens of a text from any point, read in the state on top of ``stack``.

    ``stack`` is the parser's own list, changed in place as the parser goes,
    so each token is read with the terminals the parser can take then.
    """

    def __init__(
        self,
        grammar: Grammar,
        text: str,
        stack: list[int],
        *,
        pos: int = 0,
        line: int = 1,
        line_start: int = 0,
        levels: tuple[int, ...] = (0,),
    ) -> None:
        self.grammar = grammar
        self.text = text
        self.stack = stack
        self.pos = pos
        self.line = line
        self.line_start = line_start
        self.levels = list(levels)
        self.parens = 0
        self.pending: list[Token] = []
        self.newline: LineStart | None = None
        """Set with each newline token outside brackets: where the next line starts."""

    def next(self) -> Token:
        """The next token; ``$END`` at the end of the text.

        Raises:
            LexProblem: a character that starts no token, or a dedent to no open block.
        """
        if self.pending:
            return self.pending.pop(0)
        text, end = self.text, len(self.text)
        while True:
            pos = self.pos
            match, _plain, ignore, multiline, keywords = self.grammar.lexers[self.stack[-1]]
            found = match(text, pos, end) if pos < end else None
            if found is None and (pos >= end or not text[pos:end].strip(" \t")):
                self.pos = end
                if len(self.levels) > 1:
                    self.levels.pop()
                    return self._token("_DEDENT", "", end, end)
                return self._token("$END", "", end, end)
            if found is None:
                # As Lark does: read the word with every terminal, for a better message.
                match, _plain, ignore, multiline, keywords = self.grammar.root_lexer
                found = match(text, pos, end)
                if found is None:
                    skipped = len(text[pos:end]) - len(text[pos:end].lstrip(" \t"))
                    col = pos + skipped - self.line_start + 1
                    raise LexProblem("character", self.line, col)
            kind: str = found.lastgroup or ""
            start, stop = found.span(kind)
            value = text[start:stop]
            start_line, column, start_of_line = self.line, start - self.line_start + 1, self.line
            if kind in multiline and "\n" in value:
                self.line += value.count("\n")
                self.line_start = start + value.rindex("\n") + 1
            self.pos = stop
            if kind in ignore or (self.parens and kind == "_NL"):
                continue
            spelled = keywords.get(kind)
            if spelled is not None:
                kind = spelled.get(value, kind)
            token = _new(Token, value)  # as the fast lexer makes them: no keyword arguments
            token.type = kind
            token.value = value
            token.start_pos = start
            token.line = start_line
            token.column = column
            token.end_line = self.line
            token.end_column = stop - self.line_start + 1
            token.end_pos = stop
            if kind == "_NL":
                self._layout(token, start, start_of_line, start - column + 1)
            elif kind in _OPENING:
                self.parens += 1
            elif kind in _CLOSING:
                self.parens -= 1
                if self.parens < 0:
                    self.parens = 0
                    raise LexProblem("unopened", start_line, column)
            return token

    def _layout(self, token: Token, start: int, line: int, line_start: int) -> None:
        indent = len(token) - token.rfind("\n") - 1 if "\n" in token else self.levels[-1]
        self.newline = LineStart(
            start, line, line_start, tuple(self.levels), token.end_line or line, indent
        )
        levels = self.levels
        if indent > levels[-1]:
            levels.append(indent)
            self.pending.append(Token.new_borrow_pos("_INDENT", token[-indent:], token))
        elif indent < levels[-1]:
            open_levels = tuple(levels)
            while indent < levels[-1]:
                levels.pop()
                self.pending.append(Token.new_borrow_pos("_DEDENT", "", token))
            if indent != levels[-1]:
                problem = LexProblem("dedent", token.end_line or line, indent + 1, self.newline)
                problem.open_levels = open_levels
                raise problem

    def _token(self, kind: str, value: str, start: int, stop: int) -> Token:
        column = start - self.line_start + 1
        return Token(kind, value, start, self.line, column, self.line, column, stop)


def read_line(grammar: Grammar, text: str, stack: list[int], pos: int) -> bool:
    """Whether the tokens from ``pos`` to the end of its line are taken from ``stack``.

    The stack is changed; pass a copy. Brackets left open at the end of the
    line count as taken (the statement may go on over the next lines).
    """
    lexer = Lexer(grammar, text, stack, pos=pos, line=0)
    try:
        while True:
            token = lexer.next()
            if token.type == "$END" or token.line:
                return True  # the line ended inside brackets
            if token.type in LAYOUT:
                return grammar.feed(stack, token.type) if token.type == "_NL" else True
            if not grammar.feed(stack, token.type):
                return False
    except LexProblem:
        return False
