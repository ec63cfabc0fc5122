"""Source files and spans: where in a ``.mops`` file something is."""

from __future__ import annotations

import contextlib
import gc
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a file is parsed and checked.

    The front end allocates many small objects and frees none of them until it
    is done; the collector's passes over them made compile time grow faster
    than the file. Reference counting still frees everything as usual.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            if not gc.get_freeze_count():
                # What was made meanwhile (the AST, the graph, the IR) would all be
                # young: the first allocation after gc.enable() would start a
                # collection that walks every object of it (a quarter of a second
                # for 10,000 steps). Freezing and unfreezing (two list splices)
                # moves it to the oldest generation, where it is walked only by
                # the occasional full collection, as any long-lived data is.
                gc.freeze()
                gc.unfreeze()
            gc.enable()


class Span(NamedTuple):
    """A region of a source file, 1-based lines and columns, end exclusive.

    A named tuple: the parser makes one for nearly every token, and a tuple is
    made several times faster than a frozen dataclass. Spans order by where
    they start.
    """

    line: int
    col: int
    end_line: int
    end_col: int

    @classmethod
    def point(cls, line: int, col: int, width: int = 1) -> Span:
        """A span of ``width`` characters starting at ``line``:``col``."""
        return cls(line, col, line, col + max(width, 1))

    def join(self, other: Span) -> Span:
        """The smallest span covering both."""
        start = min((self.line, self.col), (other.line, other.col))
        end = max((self.end_line, self.end_col), (other.end_line, other.end_col))
        return Span(start[0], start[1], end[0], end[1])


@dataclass(frozen=True)
class SourceFile:
    """The text of a process file, normalised, with its name for messages.

    A byte-order mark is dropped and Windows line endings become ``\\n``; neither
    changes any line or column a designer sees in an editor.
    """

    name: str
    text: str
    lines: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "lines", tuple(self.text.split("\n")))

    @classmethod
    def from_text(cls, text: str, name: str = "<text>") -> SourceFile:
        """A source from text, normalising BOM and line endings."""
        text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
        return cls(name=name, text=text)

    @classmethod
    def read(cls, path: Path, *, display_name: str | None = None) -> SourceFile:
        """Read a process file as UTF-8.

        Raises:
            OSError: the file cannot be read.
            UnicodeDecodeError: the file is not UTF-8 text.
        """
        data = path.read_bytes()
        return cls.from_text(data.decode("utf-8"), display_name or str(path))

    @property
    def sha256(self) -> str:
        """Hex SHA-256 of the normalised text: the identity of a process version."""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    def line(self, number: int) -> str:
        """Line ``number`` (1-based) without its newline, or '' past the end."""
        if 1 <= number <= len(self.lines):
            return self.lines[number - 1]
        return ""

    def location(self, span: Span) -> str:
        """``file:line:col`` of a span."""
        return f"{self.name}:{span.line}:{span.col}"
