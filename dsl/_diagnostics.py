"""Diagnostics: every problem found in a process file, with a stable code.

Codes are grouped by their first letter: S syntax, N names, T types, G graph,
R rules, C calendar and time,
X scenario files. Every code is listed in :data:`CODES` with a
one-line summary; ``docs/diagnostics.md`` has an entry for each, and a test
keeps the two in step.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from dsl._source import SourceFile, Span


class Severity(enum.Enum):
    """Errors stop a process from compiling; warnings do not."""

    ERROR = "error"
    WARNING = "warning"


CODES: dict[str, str] = {
    # syntax
    "S001": "the file could not be read as UTF-8 text",
    "S002": "unexpected text where the language expects something else",
    "S003": "tabs in indentation",
    "S004": "a string is not closed on its line",
    "S005": "a block is not indented consistently",
    "S006": "the file has no process",
    "S007": "a character that has no meaning in the language",
    "S008": "an interpolation in a text is not closed or is empty",
    "S009": "blocks or expressions nested too deeply to run",
    "S010": "more than one process in a file",
    "S011": "a name or title longer than a campaign can carry",
    # names
    "N001": "a name that is not defined",
    "N002": "a name defined twice",
    "N003": "an action that no worker provides",
    "N004": "an argument the action does not take",
    "N005": "a required argument is missing",
    "N006": "a field that a step's result does not have",
    "N007": "a name that may be undefined on some path",
    "N008": "an unknown function",
    "N009": "a calendar that is not defined",
    "N010": "a jump to a step that does not exist",
    "N011": "a sub-process that is not known",
    "N012": "a role or person the team directory does not have",
    # types
    "T001": "an unknown type name",
    "T002": "a value of the wrong type",
    "T003": "an operator applied to types it does not work on",
    "T004": "a condition that is not true/false",
    "T005": "an option that belongs to another kind of step",
    "T006": "a step that lacks an option it needs",
    # rules
    "R001": "a hit policy that does not exist, or priorities without it",
    "R002": "a decision row that can never be reached",
    "R003": "a decision table with inputs that no row matches",
    "R004": "two rows of a 'hit policy unique' table that can both match",
    "R005": "a row whose result names a role, person or calendar that does not exist",
    "R006": "two rows with the same priority that can both match",
    "R101": "a decision row that never matches: never true, or hidden by rows above (warning)",
    "R102": "a decision table that could not be checked for gaps or overlaps (warning)",
    # graph
    "G001": "a step that can never run",
    "G002": "a parallel block that can never finish: too few branches can",
    "G003": "a jump into a parallel branch or a 'for each' from outside it",
    "G004": "a loop with no bound on how often it goes round",
    "G005": "a rework jump that does not go back to an earlier step",
    "G006": "a jump into a branch of an 'if' (or the steps of an 'exit when') from outside it",
    "G007": "a jump out of a parallel branch",
    "G008": "a human step or a 'go back' inside a 'for each' running several items at once",
    "G101": "a human step without a deadline (warning)",
    "G102": "a human step whose missed deadline nobody hears of (warning)",
    "G103": "a wait for an event without a deadline (warning)",
    "G104": "a long loop inside a parallel branch (warning)",
    # calendar and time
    "C001": "a day of the week or of the month that does not exist",
    "C002": "a date or time that does not exist",
    "C003": "a calendar that cannot be used as written",
    "C004": "business time where elapsed time is needed",
    # scenarios (the test plans beside a process)
    "X001": "a scenario file that cannot be read as scenarios",
    "X002": "a step the process does not have",
    "X003": "a scripted answer that does not fit the step",
    "X004": "a value of the wrong type for its input, field or output",
    "X005": "an input, field or output the process or action does not have",
    "X006": "a person or role the team directory does not have",
    "X007": "a date, time or time zone that cannot be used",
    "X008": "a scenario that is incomplete or given twice",
    "X009": "an event the process never waits for",
}


@dataclass(frozen=True)
class Diagnostic:
    """One problem in a process file."""

    code: str
    message: str
    span: Span
    severity: Severity = Severity.ERROR
    hint: str | None = None

    def __post_init__(self) -> None:
        if self.code not in CODES:
            raise ValueError(f"diagnostic code {self.code} is not in the catalogue")

    def render(self, source: SourceFile) -> str:
        """The diagnostic as a designer reads it: location, message, source line, caret."""
        head = f"{source.location(self.span)}: {self.severity.value}[{self.code}]: {self.message}"
        text = "".join(
            c if c.isprintable() or c == "\t" else "?" for c in source.line(self.span.line)
        )
        gutter = f"{self.span.line:>5} | "
        width = (
            self.span.end_col - self.span.col
            if self.span.end_line == self.span.line
            else len(text) - self.span.col + 1
        )
        # A line of 100,000 characters is shown up to a little past the caret.
        shown = max(self.span.col + _SHOWN_PAST_CARET, _SHOWN_LINE)
        if len(text) > shown:
            text = text[:shown] + " ..."
            width = min(width, shown - self.span.col + 1)
        caret = " " * (len(gutter) - 2) + "| " + _indent_like(text, self.span.col - 1)
        caret += "^" * max(1, width)
        lines = [head, gutter + text, caret]
        if self.hint:
            lines.append(f"  hint: {self.hint}")
        return "\n".join(lines)


_SHOWN_LINE = 160
_SHOWN_PAST_CARET = 80


def _indent_like(text: str, count: int) -> str:
    # Keep tabs as tabs so the caret lines up under a tab-indented line too.
    return "".join("\t" if ch == "\t" else " " for ch in text[:count]) + " " * max(
        0, count - len(text)
    )


def sort_key(diagnostic: Diagnostic) -> tuple[int, int, str]:
    """File order, then code: the order a designer fixes things in."""
    return (diagnostic.span.line, diagnostic.span.col, diagnostic.code)


def render_all(diagnostics: Iterable[Diagnostic], source: SourceFile) -> str:
    """Every diagnostic in file order, separated by blank lines."""
    return "\n\n".join(d.render(source) for d in sorted(diagnostics, key=sort_key))


def has_errors(diagnostics: Sequence[Diagnostic]) -> bool:
    """Whether any diagnostic is an error (warnings alone still compile)."""
    return any(d.severity is Severity.ERROR for d in diagnostics)
