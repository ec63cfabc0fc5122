"""Every syntax error of a file, each reported once, in one pass over the text.

Run when the parse that builds the AST has stopped at a token it cannot take.
This pass reads the file again with Lark's tables and no tree
(:mod:`dsl._lalr`). At each newline outside brackets it remembers where the
next line starts: the parser's stack there and the open blocks (a *mark*).
After an error it explains the token (:mod:`dsl._syntax_explain`), goes back to
the mark of the statement at fault, and reads on after that statement and the
block under it, as if they were blank lines. Nothing is parsed twice, so a
file with a mistake costs about as much as one without.

What the skip leaves behind is made whole too, so that one mistake yields one
diagnostic: a block left empty takes its header with it (an ``if`` with no
step left, an approval with no option left), an ``if`` skipped takes its
``else`` lines, and a line indented too far takes the lines beside it.
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass

from lark import Lark, Token

from dsl._diagnostics import Diagnostic
from dsl._lalr import LAYOUT, Grammar, Lexer, LexProblem, LineStart, grammar
from dsl._syntax_examples import MATCH_TABLE, Explanation
from dsl._syntax_explain import Failure, explain
from dsl._syntax_words import explain_lex_problem

MAX_SYNTAX_ERRORS = 25


@dataclass
class _Mark:
    """The start of a line: the stack before the newline that leads to it."""

    at: LineStart
    stack: tuple[int, ...]
    previous: _Mark | None
    """The mark of the line before (kept for the two latest marks only)."""
    parent: _Mark | None
    """The mark of the nearest line above that is indented less: its header."""


class Recognizer:
    """Reads a text with a grammar and reports every syntax error in it."""

    def __init__(self, lark: Lark, text: str, start: str = "start") -> None:
        self.lark = lark
        self.grammar: Grammar = grammar(lark)
        self.text = text
        self.start = start
        self.stack: list[int] = [self.grammar.start_states[start]]
        self.lexer = Lexer(self.grammar, text, self.stack)
        first = text[: len(text) - len(text.lstrip(" "))]
        self.current: _Mark | None = _Mark(
            LineStart(0, 1, 0, (0,), 1, len(first)), tuple(self.stack), None, None
        )
        self.previous: Token | None = None
        self._lines: list[str] | None = None
        self._starts: list[int] = []
        self.problems: list[Diagnostic] = []
        self.resumed_at = -1

    @property
    def lines(self) -> list[str]:
        if self._lines is None:
            self._lines = self.text.split("\n")
            self._starts = [0, *itertools.accumulate(len(line) + 1 for line in self._lines)]
        return self._lines

    def run(self) -> list[Diagnostic]:
        """Every syntax error, in file order (empty if the text parses)."""
        grammar, stack, states = self.grammar, self.stack, self.grammar.states
        while len(self.problems) < MAX_SYNTAX_ERRORS:
            try:
                token = self.lexer.next()
            except LexProblem as problem:
                at = self._push(problem.at, tuple(stack)) if problem.at else None
                self._report(explain_lex_problem(problem, self.lines))
                if not self._recover(problem.line, at, problem.line, False):
                    break
                continue
            if token.type == "$END":
                if grammar.finish(stack, self.start):
                    break
                self._fail(token)
                break
            kind = token.type
            before = tuple(stack) if kind == "_NL" else ()
            # grammar.feed, inlined: this loop runs once per token of the file.
            while True:
                action = states[stack[-1]].get(kind)
                if action is None or action[0] < 0:
                    break
                size, goto, _rule = action
                if size:
                    del stack[-size:]
                stack.append(states[stack[-1]][goto][1])
            if action is not None:
                stack.append(action[1])
            else:
                line = self._fail(token)
                indented = token.type == "_INDENT"
                if line is None or not self._recover(line, None, token.line or line, indented):
                    break
                continue
            if token.type == "_NL" and self.lexer.newline is not None:
                self._push(self.lexer.newline, before)
            if token.type not in LAYOUT:
                self.previous = token
        return _fold(self.problems)

    def first_failure(self) -> Failure | None:
        """Where the text first fails to parse (for the table of labelled examples)."""
        grammar, stack = self.grammar, self.stack
        while True:
            try:
                token = self.lexer.next()
            except LexProblem:
                return None
            done = (
                grammar.finish(stack, self.start)
                if token.type == "$END"
                else grammar.feed(stack, token.type)
            )
            if not done:
                return self._failure(token, labelled=False)
            if token.type == "$END":
                return None
            if token.type not in LAYOUT:
                self.previous = token

    # ---- errors ----------------------------------------------------------------------

    def _failure(self, token: Token, *, labelled: bool = True) -> Failure:
        statement = self._mark_for(token.line or 1)
        return Failure(
            token=token,
            stack=tuple(self.stack),
            previous=self.previous,
            statement=statement.at if statement else None,
            statement_stack=statement.stack if statement else (),
            grammar=self.grammar,
            text=self.text,
            start=self.start,
            lines=self.lines,
            accepts=self.grammar.accepts(self.stack, self.start),
            labelled=_labelled(self.lark) if labelled else (),
        )

    def _fail(self, token: Token) -> int | None:
        """Report an unexpected token; the line at fault (None: nothing to read on from)."""
        # What the skip left behind (a block closed early, the end of a file read
        # no further) is not the designer's mistake.
        follow_on = self.problems and (
            token.type == "$END"
            or (token.type in {"_INDENT", "_DEDENT"} and token.start_pos == self.resumed_at)
        )
        diagnostic = explain(self._failure(token))
        if not follow_on:
            self._report(diagnostic)
        return None if token.type == "$END" else diagnostic.span.line

    def _report(self, diagnostic: Diagnostic) -> None:
        self.problems.append(diagnostic)

    # ---- marks -----------------------------------------------------------------------

    def _push(self, at: LineStart, stack: tuple[int, ...]) -> _Mark:
        parent = self.current
        while parent is not None and parent.at.indent >= at.indent:
            parent = parent.parent
        mark = _Mark(at, stack, self.current, parent)
        if self.current is not None and self.current.previous is not None:
            self.current.previous.previous = None  # only the two latest are needed
        self.current = mark
        return mark

    def _mark_for(self, line: int) -> _Mark | None:
        """The mark of the statement that ``line`` is in."""
        mark = self.current
        if mark is not None and mark.at.first_line > line and mark.previous is not None:
            mark = mark.previous
        while mark is not None and mark.at.first_line > line:
            mark = mark.parent
        return mark

    # ---- reading on ------------------------------------------------------------------

    def _recover(
        self, fault: int, mark: _Mark | None, token_line: int, over_indented: bool
    ) -> bool:
        """Go back to the statement at line ``fault``; read on after it and its block.

        A line indented too far takes the lines beside it (``over_indented``).
        Returns False if there is nothing left to read.
        """
        lines = self.lines
        mark = mark or self._mark_for(fault)
        if mark is None:
            return False
        first = mark.at.first_line
        if first > len(lines):
            return False
        last = self._statement_end(first, max(fault, token_line))
        last = self._block_end(first, last, same_level=over_indented)
        while True:
            following = self._next_indent(last)
            if following > mark.at.levels[-1] or mark.parent is None:
                break
            trial = list(mark.stack)
            if not (
                self.grammar.feed(trial, "_NL") and self.grammar.expected(trial[-1]) == {"_INDENT"}
            ):
                break
            mark = mark.parent  # the block is left empty: its header goes too
        resume = self._starts[last] - 1 if last < len(lines) else len(self.text)
        if resume <= self.resumed_at:
            return False
        self.resumed_at = resume
        self.stack[:] = mark.stack
        self.lexer = Lexer(
            self.grammar,
            self.text,
            self.stack,
            pos=resume,
            line=last,
            line_start=self._starts[last - 1],
            levels=mark.at.levels,
        )
        self.current = mark.previous or mark.parent
        self.previous = None
        return True

    def _statement_end(self, first: int, fault: int) -> int:
        """The last line of the statement starting at ``first`` (through its brackets)."""
        lines = self.lines
        indent = _indent(lines[first - 1])
        depth, number = 0, first
        while number < len(lines):
            depth = _depth_after(lines[number - 1], depth)
            continued = lines[number - 1].rstrip().endswith("\\")
            if number >= fault and depth <= 0 and not continued:
                break
            following = lines[number]
            if (
                number >= fault
                and following.strip()
                and _indent(following) <= indent
                and following.lstrip()[0] not in ")]}"
            ):
                break  # a bracket left open: the next statement starts all the same
            number += 1
        return number

    def _block_end(self, first: int, last: int, *, same_level: bool) -> int:
        """The last line of the block under the statement ``first``..``last``."""
        lines = self.lines
        indent = _indent(lines[first - 1])
        takes_else = lines[first - 1].lstrip().startswith("if ")
        end, number = last, last + 1
        while number <= len(lines):
            line = lines[number - 1]
            stripped = line.strip()
            if stripped and not stripped.startswith("#"):
                deeper = _indent(line) > indent or (same_level and _indent(line) == indent)
                is_else = takes_else and _indent(line) == indent and stripped.startswith("else")
                if not (deeper or is_else):
                    break
                end = number
            number += 1
        return end

    def _next_indent(self, last: int) -> int:
        lines = self.lines
        for number in range(last, len(lines)):
            stripped = lines[number].strip()
            if stripped and not stripped.startswith("#"):
                return _indent(lines[number])
        return 0


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _depth_after(line: str, depth: int) -> int:
    """The bracket depth after ``line``, starting at ``depth``; texts and comments skipped."""
    i, in_text = 0, False
    while i < len(line):
        ch = line[i]
        if in_text:
            if ch == "\\" or line.startswith("{{", i):
                i += 1
            elif ch == "{":
                close = line.find("}", i)
                i = len(line) if close < 0 else close
            elif ch == '"':
                in_text = False
        elif ch == '"':
            in_text = True
        elif ch == "#":
            break
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth = max(0, depth - 1)
        i += 1
    return depth


def _fold(problems: list[Diagnostic]) -> list[Diagnostic]:
    """One diagnostic for one mistake made on several lines (single quotes throughout)."""
    first: dict[tuple[str, str], int] = {}
    again: dict[int, list[int]] = {}
    kept: list[Diagnostic] = []
    for problem in problems:
        key = (problem.code, problem.message)
        if key in first:
            again[first[key]].append(problem.span.line)
            continue
        first[key] = len(kept)
        again[len(kept)] = []
        kept.append(problem)
    for index, lines in again.items():
        if lines:
            problem = kept[index]
            where = _lines(sorted(set(lines) - {problem.span.line}))
            if where:
                hint = f"{problem.hint}; the same " if problem.hint else "the same "
                kept[index] = Diagnostic(
                    problem.code, problem.message, problem.span, problem.severity, hint + where
                )
    return kept


def _lines(numbers: list[int]) -> str:
    if not numbers:
        return ""
    if len(numbers) == 1:
        return f"on line {numbers[0]}"
    return f"on lines {', '.join(map(str, numbers[:-1]))} and {numbers[-1]}"


@functools.cache
def _labelled(lark: Lark) -> tuple[tuple[Explanation, int, frozenset[str], str], ...]:
    """Where each labelled example fails: its state, what it takes there, its token."""
    found = []
    for label, examples in MATCH_TABLE.items():
        for example in examples:
            failure = Recognizer(lark, example).first_failure()
            if failure is not None:
                found.append((label, failure.state, failure.accepts, str(failure.token)))
    return tuple(found)


def recognize(lark: Lark, text: str, start: str = "start") -> list[Diagnostic]:
    """Every syntax error of ``text`` read from the rule ``start``."""
    return Recognizer(lark, text, start).run()
