"""Indentation: turns leading whitespace into block-open and block-close tokens."""

from __future__ import annotations

from collections.abc import Iterator

from lark import Token
from lark.indenter import Indenter

from dsl._token import LayoutError

__all__ = ["LayoutError", "MopsIndenter"]


class MopsIndenter(Indenter):
    """Lark's indenter, with positions and plain words in its errors.

    Unlike Lark's, it keeps the open blocks and brackets of a stream in the
    stream itself, so a text can be parsed while another one is: the parser
    reads the expressions inside a text's ``{...}`` in the middle of the file.
    """

    NL_type = "_NL"
    OPEN_PAREN_types = ["LPAR", "LSQB", "LBRACE"]  # noqa: RUF012 - the base class declares lists
    CLOSE_PAREN_types = ["RPAR", "RSQB", "RBRACE"]  # noqa: RUF012
    INDENT_type = "_INDENT"
    DEDENT_type = "_DEDENT"
    tab_len = 8

    def process(self, stream: Iterator[Token]) -> Iterator[Token]:
        return self._layout(stream)

    def _layout(self, stream: Iterator[Token]) -> Iterator[Token]:
        opening = frozenset(self.OPEN_PAREN_types)
        closing = frozenset(self.CLOSE_PAREN_types)
        paren_level = 0
        levels = [0]
        token: Token | None = None
        for token in stream:
            kind = token.type
            if kind == "_NL":
                if paren_level == 0:
                    yield token
                    indent_str = token[token.rfind("\n") + 1 :]
                    indent = len(indent_str)
                    if indent > levels[-1]:
                        levels.append(indent)
                        yield Token.new_borrow_pos(self.INDENT_type, indent_str, token)
                    elif indent < levels[-1]:
                        yield from self._dedent(token, indent_str, levels)
            else:
                yield token
                if kind in opening:
                    paren_level += 1
                elif kind in closing:
                    paren_level -= 1
                    if paren_level < 0:
                        raise LayoutError(
                            "S002",
                            f"'{token}' closes a bracket that was never opened",
                            token.line or 1,
                            token.column or 1,
                            None,
                        )
        while len(levels) > 1:
            levels.pop()
            if token is not None:
                yield Token.new_borrow_pos(self.DEDENT_type, "", token)
            else:
                yield Token(self.DEDENT_type, "")

    def _dedent(self, token: Token, indent_str: str, levels: list[int]) -> Iterator[Token]:
        """The block-close tokens of a line indented less than the one before."""
        indent = len(indent_str)
        open_levels = list(levels)
        while indent < levels[-1]:
            levels.pop()
            yield Token.new_borrow_pos(self.DEDENT_type, indent_str, token)
        if indent != levels[-1]:
            choices = " or ".join(str(level) for level in reversed(open_levels))
            raise LayoutError(
                "S005",
                f"this line is indented by {indent} spaces, which matches no open block",
                token.end_line or 1,
                indent + 1,
                f"the open blocks are indented by {choices} spaces; line it up with one of them",
            )
