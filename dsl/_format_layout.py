"""Putting a file's comments and blank lines back around the lines ``mops fmt`` writes.

The syntax tree has no comments, so they are put back by line number: a
comment line goes just above the first written line that comes from a later
source line, at its indentation; an end-of-line comment stays at the end of its
line; comments after the last line stay at the end. Runs of blank lines become
one.
"""

from __future__ import annotations

import bisect
import dataclasses

from dsl._source import SourceFile


@dataclasses.dataclass
class Line:
    """A line to write: its depth, text, source line and blank line before it."""

    depth: int
    text: str
    anchor: int | None  # the source line it comes from; comments before it go with it
    blank: str  # "never" | "keep" (the designer's) | "force" (one blank line before)


def layout(lines: list[Line], split: list[tuple[str, str | None]], source: SourceFile) -> str:
    """The lines, each with the comments and blank lines that belong to it.

    Args:
        lines: What is written, in order.
        split: Each source line as its code and its comment (None: no comment).
        source: The file, for the indentation of trailing comments.
    """
    anchored = {line.anchor for line in lines if line.anchor is not None}
    anchors = sorted(anchored)
    before: dict[int | None, list[str | None]] = {}  # comments (None: a blank line)
    after: dict[int | None, str] = {}  # end-of-line comments
    tail: list[tuple[int, str | None]] = []
    for number, (code, comment) in enumerate(split, start=1):
        if code.strip() and (comment is None or number in anchored):
            if comment is not None:
                after[number] = comment
            continue
        at = bisect.bisect_right(anchors, number)
        if at < len(anchors):
            before.setdefault(anchors[at], []).append(comment)
        else:
            raw = source.line(number)
            tail.append((len(raw) - len(raw.lstrip()), comment))
    out: list[str] = []
    for line in lines:
        pad = "  " * line.depth
        out += _trivia(before.pop(line.anchor, []), pad, line.blank if out else "keep")
        eol = after.pop(line.anchor, None)
        out.append(pad + line.text + ("" if eol is None else "  " + eol))
    last = lines[-1].depth * 2 if lines else 0
    out += ["" if c is None else " " * min(indent, last) + c for indent, c in tail]
    return "\n".join(_collapse(out)).strip("\n") + "\n"


def _trivia(items: list[str | None], pad: str, blank: str) -> list[str]:
    """The comments above a line, with the blank lines it may have."""
    if blank == "never":
        items = [i for i in items if i is not None]
    elif blank == "force" and (not items or items[0] is not None):
        items = [None, *items]
    return ["" if i is None else pad + i for i in items]


def _collapse(lines: list[str]) -> list[str]:
    """Runs of blank lines become one."""
    return [line for i, line in enumerate(lines) if line or (i and lines[i - 1])]
