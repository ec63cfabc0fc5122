"""What the lexer hands the parser, without Lark: tokens, brackets and layout errors.

A file that parses is read without importing Lark (0.05 s of CPU, a third of
``mops check``): the tables come as data (:mod:`dsl._tables`) and the tokens
are this :class:`Token`, which behaves as Lark's does (a ``str`` with its type
and position). Lark is imported only to explain a file that does not parse.
"""

from __future__ import annotations

from typing import Any

OPENING = frozenset({"LPAR", "LSQB", "LBRACE"})
"""Terminals that open a bracket: inside one, a line break is a space."""
CLOSING = frozenset({"RPAR", "RSQB", "RBRACE"})


class Token(str):
    """A piece of the text: its terminal's name, its text and where it is."""

    __slots__ = (
        "column",
        "end_column",
        "end_line",
        "end_pos",
        "line",
        "start_pos",
        "type",
        "value",
    )

    __match_args__ = ("type", "value")

    type: str
    value: Any
    start_pos: int | None
    line: int | None
    column: int | None
    end_line: int | None
    end_column: int | None
    end_pos: int | None

    def __new__(
        cls,
        type: str,
        value: Any,
        start_pos: int | None = None,
        line: int | None = None,
        column: int | None = None,
        end_line: int | None = None,
        end_column: int | None = None,
        end_pos: int | None = None,
    ) -> Token:
        token = super().__new__(cls, value)
        token.type = type
        token.value = value
        token.start_pos = start_pos
        token.line = line
        token.column = column
        token.end_line = end_line
        token.end_column = end_column
        token.end_pos = end_pos
        return token

    @classmethod
    def new_borrow_pos(cls, type: str, value: Any, borrow: Token) -> Token:
        """A token of ``type`` at ``borrow``'s place (Lark's name for it)."""
        return cls(
            type,
            value,
            borrow.start_pos,
            borrow.line,
            borrow.column,
            borrow.end_line,
            borrow.end_column,
            borrow.end_pos,
        )

    def __repr__(self) -> str:
        return f"Token({self.type!r}, {self.value!r})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Token) and self.type != other.type:
            return False
        return str.__eq__(self, other)

    __hash__ = str.__hash__


class NotParsed(Exception):
    """The text cannot be read by the fast parse: read it again to say why."""


class LayoutError(Exception):
    """Indentation or bracket structure that cannot be read, with its position."""

    def __init__(self, code: str, message: str, line: int, col: int, hint: str | None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.line = line
        self.col = col
        self.hint = hint
