"""Indentation: turns leading whitespace into block-open and block-close tokens."""

from __future__ import annotations

from collections.abc import Iterator

from lark import Token
from lark.indenter import Indenter


class LayoutError(Exception):
    """Indentation or bracket structure that cannot be read, with its position."""

    def __init__(self, code: str, message: str, line: int, col: int, hint: str | None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.line = line
        self.col = col
        self.hint = hint


class MopsIndenter(Indenter):
    """Lark's indenter, with positions and plain words in its errors."""

    NL_type = "_NL"
    OPEN_PAREN_types = ["LPAR", "LSQB", "LBRACE"]  # noqa: RUF012 - the base class declares lists
    CLOSE_PAREN_types = ["RPAR", "RSQB", "RBRACE"]  # noqa: RUF012
    INDENT_type = "_INDENT"
    DEDENT_type = "_DEDENT"
    tab_len = 8

    def handle_NL(self, token: Token) -> Iterator[Token]:
        if self.paren_level > 0:
            return
        yield token
        indent_str = token.rsplit("\n", 1)[1]
        indent = len(indent_str)
        if indent > self.indent_level[-1]:
            self.indent_level.append(indent)
            yield Token.new_borrow_pos(self.INDENT_type, indent_str, token)
            return
        open_levels = list(self.indent_level)
        while indent < self.indent_level[-1]:
            self.indent_level.pop()
            yield Token.new_borrow_pos(self.DEDENT_type, indent_str, token)
        if indent != self.indent_level[-1]:
            choices = " or ".join(str(level) for level in reversed(open_levels))
            raise LayoutError(
                "S005",
                f"this line is indented by {indent} spaces, which matches no open block",
                token.end_line or 1,
                indent + 1,
                f"the open blocks are indented by {choices} spaces; line it up with one of them",
            )

    def _process(self, stream: Iterator[Token]) -> Iterator[Token]:
        token: Token | None = None
        for token in stream:
            if token.type == self.NL_type:
                yield from self.handle_NL(token)
            else:
                yield token
            if token.type in self.OPEN_PAREN_types:
                self.paren_level += 1
            elif token.type in self.CLOSE_PAREN_types:
                self.paren_level -= 1
                if self.paren_level < 0:
                    raise LayoutError(
                        "S002",
                        f"'{token}' closes a bracket that was never opened",
                        token.line or 1,
                        token.column or 1,
                        None,
                    )
        while len(self.indent_level) > 1:
            self.indent_level.pop()
            if token is not None:
                yield Token.new_borrow_pos(self.DEDENT_type, "", token)
            else:
                yield Token(self.DEDENT_type, "")
