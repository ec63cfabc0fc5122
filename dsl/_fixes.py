"""The edit a "did you mean ...?" hint stands for, so an editor can make it in one go.

Every did-you-mean hint names the word meant; the diagnostic's span covers
the word written (alone, or with what surrounds it: an argument with its
value, a zone in its quotes). The word replaced is the one in the span the
suggestion is closest to, so the fix touches nothing else.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from dsl._diagnostics import Diagnostic
from dsl._source import SourceFile, Span

_MEANT = re.compile(r"""did you mean (['"])(.+?)\1""")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_./+-]*|[=!<>]+")


@dataclass(frozen=True)
class Fix:
    """Replace the text at ``span`` by ``text``."""

    title: str
    span: Span
    text: str


def suggested_fix(diagnostic: Diagnostic, source: SourceFile) -> Fix | None:
    """The edit a diagnostic's "did you mean" hint suggests, or None if it has none."""
    found = _MEANT.search(diagnostic.hint or "")
    span = diagnostic.span
    if found is None:
        return None
    meant = found.group(2)
    line = source.line(span.line)
    end = span.end_col if span.end_line == span.line else len(line) + 1
    written = line[span.col - 1 : end - 1]
    words = [m for m in _WORD.finditer(written) if m.group() != meant]
    if not words:
        return None
    best = max(
        words,
        key=lambda m: difflib.SequenceMatcher(None, m.group().lower(), meant.lower()).ratio(),
    )
    start = span.col + best.start()
    return Fix(
        f"Change '{best.group()}' to '{meant}'",
        Span(span.line, start, span.line, start + len(best.group())),
        meant,
    )
