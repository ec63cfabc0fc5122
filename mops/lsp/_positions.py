"""Positions: the language's spans (1-based, in characters) and the editor's (0-based, UTF-16).

Editors count columns in UTF-16 code units unless they agree on another
encoding; a letter outside the Basic Multilingual Plane (an emoji in a
title) is two of them, one character to us.
"""

from __future__ import annotations

from collections.abc import Sequence

from lsprotocol import types

from dsl import Span


def _units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def to_position(lines: Sequence[str], line: int, col: int) -> types.Position:
    """The editor's position of 1-based ``line``:``col``."""
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    return types.Position(line=max(line - 1, 0), character=_units(text[: max(col - 1, 0)]))


def to_range(lines: Sequence[str], span: Span) -> types.Range:
    """The editor's range of a span."""
    return types.Range(
        start=to_position(lines, span.line, span.col),
        end=to_position(lines, span.end_line, span.end_col),
    )


def from_position(lines: Sequence[str], position: types.Position) -> tuple[int, int]:
    """1-based line and column (in characters) of an editor's position."""
    text = lines[position.line] if position.line < len(lines) else ""
    units = 0
    for index, char in enumerate(text):
        if units >= position.character:
            return position.line + 1, index + 1
        units += 2 if ord(char) > 0xFFFF else 1
    return position.line + 1, len(text) + 1


def offset_of(text: str, lines: Sequence[str], line: int, col: int) -> int:
    """The offset in ``text`` of 1-based ``line``:``col``."""
    return sum(len(each) + 1 for each in lines[: line - 1]) + col - 1
