"""A faster lexer for the parse that builds the AST, with Lark's own tables.

Lark's contextual lexer tries, in each parser state, only the terminals that
state accepts (which is what makes our keywords contextual), then the
indenter turns line starts into block tokens. Per token that is a handful of
Python calls, layers of generators and a line counter: about as much time as
the LALR loop itself. This lexer reads the same thing in one loop:

* for each parser state, the very regular expressions Lark compiled for it
  (same terminals, same order, so the same first match) and its keyword
  table (a ``NAME`` that spells a keyword the state accepts becomes that
  keyword, as Lark's ``UnlessCallback`` does);
* the same tokens: type, text, start, line, column, end (the test suite
  compares both lexers' tokens on every process in the repository);
* the indenter of :class:`dsl._layout.MopsIndenter` folded in.

It is only for text that parses: at the first character it cannot read, or
any layout problem, it raises, and the parser reads the file again the
standard way to explain what is wrong (:mod:`dsl._parser`), so every syntax
message is unchanged. Its tables come as data (:mod:`dsl._tables`), so
reading a file that parses does not import Lark.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from dsl._tables import Lexer, tables
from dsl._token import CLOSING, OPENING, LayoutError, NotParsed, Token

if TYPE_CHECKING:
    from lark import Lark

_Match = Callable[[str, int, int], Any]
_Table = tuple[_Match, frozenset[str], frozenset[str], frozenset[str], dict[str, dict[str, str]]]
"""A state's lexer: its compiled pattern; its plain types (a token on one line, with no
keyword spelt like it, no bracket or line break: nothing more to do), ignored and
multi-line types; keywords."""

_new = str.__new__
_OPENING = OPENING
_CLOSING = CLOSING


class FastLexer:
    """Lark's contextual lexer and our indenter for one grammar, in one loop."""

    def __init__(self, tables: dict[int, _Table]) -> None:
        self.tables = tables
        """Each parser state's lexer, by state number."""

    @classmethod
    def from_lark(cls, lark: Lark) -> FastLexer:
        """The fast lexer over ``lark``'s own state numbers (for comparing with Lark's)."""
        from dsl._tables import _lexer_data

        contextual = lark.parser.lexer.lexer
        return cls(_Tables({s: _lexer_data(b) for s, b in contextual.lexers.items()}))

    def lex(self, lexer_state: Any, parser_state: Any) -> Iterator[Token]:
        """The tokens of the text, read in the parser's current state as it goes."""
        tables = self.tables
        source = lexer_state.text
        text, pos, end = source.text, source.start, source.end
        assert pos == 0, "a slice of a text is read by Lark's own lexer"
        line, line_start = 1, 0
        levels = [0]
        parens = 0
        token: Token | None = None
        stack = parser_state.state_stack  # the parser's, changed in place as it goes
        while pos < end:
            match, plain, ignore, multiline, keywords = tables[stack[-1]]
            found = match(text, pos, end)
            if found is None:
                if not text[pos:end].strip(" \t"):
                    break  # spaces at the end
                raise NotParsed(f"line {line}: no token at column {pos - line_start + 1}")
            kind: str = found.lastgroup
            start, pos = found.span(kind)
            value = text[start:pos]
            if kind in plain:  # about half the tokens
                token = _new(Token, value)
                token.type = kind
                token.start_pos = start
                token.value = value
                token.line = token.end_line = line
                token.column = start - line_start + 1
                token.end_column = pos - line_start + 1
                token.end_pos = pos
                yield token
                continue
            start_line, column = line, start - line_start + 1
            if kind in multiline:
                newlines = value.count("\n")
                if newlines:
                    line += newlines
                    line_start = start + value.rindex("\n") + 1
            if kind in ignore or (parens and kind == "_NL"):
                continue  # a line break inside brackets is a space
            spelled = keywords.get(kind)
            if spelled is not None:
                kind = spelled.get(value, kind)
            token = _new(Token, value)
            token.type = kind
            token.start_pos = start
            token.value = value
            token.line = start_line
            token.column = column
            token.end_line = line
            token.end_column = pos - line_start + 1
            token.end_pos = pos
            yield token
            if kind == "_NL":
                indent_str = value[value.rfind("\n") + 1 :]
                indent = len(indent_str)
                if indent > levels[-1]:
                    levels.append(indent)
                    yield Token.new_borrow_pos("_INDENT", indent_str, token)
                elif indent < levels[-1]:
                    while indent < levels[-1]:
                        levels.pop()
                        yield Token.new_borrow_pos("_DEDENT", indent_str, token)
                    if indent != levels[-1]:
                        raise LayoutError("S005", "no open block", line, indent + 1, None)
            elif kind in _OPENING:
                parens += 1
            elif kind in _CLOSING:
                parens -= 1
                if parens < 0:
                    raise LayoutError("S002", "unopened bracket", start_line, column, None)
        # Lark's parser reads the last token only for the end's position, after the
        # tokens are all read: set here once rather than with every token.
        lexer_state.last_token = token
        while len(levels) > 1:
            levels.pop()
            yield Token.new_borrow_pos("_DEDENT", "", token) if token else Token("_DEDENT", "")


class _Tables(dict[int, _Table]):
    """Each parser state's lexer, made the first time a text is read in that state.

    The grammar has some 200 different ones (a regular expression each); a
    file meets a fraction of them, and a check is over in less time than
    compiling them all would take.
    """

    def __init__(self, lexers: dict[int, Any], of: Callable[[int], int] | None = None) -> None:
        super().__init__()
        self._lexers = lexers
        self._of = of or (lambda state: state)
        self._built: dict[int, _Table] = {}  # by lexer: states share them

    def __missing__(self, state: int) -> _Table:
        which = self._of(state)
        table = self._built.get(which)
        if table is None:
            table = self._built[which] = _table(self._lexers[which])
        self[state] = table
        return table


def _table(lexer: Lexer | list[Any]) -> _Table:
    if isinstance(lexer, list):  # as _tables._lexer_data gives it
        lexer = Lexer(lexer[0], lexer[1], frozenset(lexer[2]), frozenset(lexer[3]), lexer[4])
    # Spaces between tokens (the ignored [ \t]+, which no token starts with) are
    # skipped by the same match as the token after them.
    pattern = re.compile(f"[ \t]*(?:{lexer.pattern})", lexer.flags)
    special = lexer.ignore | lexer.multiline | set(lexer.keywords) | _OPENING | _CLOSING
    plain = frozenset(pattern.groupindex) - special - {"_NL"}
    return (pattern.match, plain, lexer.ignore, lexer.multiline, lexer.keywords)


@functools.cache
def fast_lexer() -> FastLexer:
    """The fast lexer for the grammar's kept tables (:func:`dsl._tables.tables`)."""
    grammar = tables()
    lexers = dict(enumerate(grammar.lexers))
    return FastLexer(_Tables(lexers, grammar.lexer_of.__getitem__))
