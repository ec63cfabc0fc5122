"""docs/diagnostics.md lists every diagnostic code with a bad example and its message.

The page is generated from the same table the diagnostics tests pin
(tests/diagnostic_examples.py), so it cannot drift from what ``mops check``
prints. After changing a message or adding a code, regenerate it with::

    MOPS_UPDATE_DOCS=1 python -m pytest tests/test_diagnostics_doc.py
"""

from __future__ import annotations

import os
from pathlib import Path

from diagnostic_examples import (
    DIRECTORIES,
    ENCODINGS,
    EXAMPLES,
    FILE_NAME,
    FURTHER_EXAMPLES,
    SCENARIO_EXAMPLES,
    SCENARIO_PROCESS,
    SCENARIO_TEAM,
)

from dsl import CODES

DOC = Path(__file__).resolve().parent.parent / "docs" / "diagnostics.md"

GROUPS = {
    "S": (
        "Syntax",
        "The file cannot be read as a process: a word, bracket, quote or indent is off.",
    ),
    "N": ("Names", "A name, action, argument or field that does not exist where it is used."),
    "T": ("Types", "A value of the wrong kind: a number where money is expected, and so on."),
    "G": ("Graph", "Problems with the shape of the process as a whole."),
    "R": ("Rules", "Problems in decision tables."),
    "C": ("Calendar and time", "Problems with deadlines, calendars and time zones."),
    "X": (
        "Scenario files",
        "Problems in a `.scenarios` file (see [scenarios.md](scenarios.md)), reported by "
        "`mops test`. Every example below is checked against this process, `example.mops`, "
        f"and its team directory:\n\n```mops\n{SCENARIO_PROCESS.rstrip()}\n```\n\n"
        f"```toml\n{SCENARIO_TEAM.rstrip()}\n```",
    ),
}

INTRO = f"""\
# Diagnostics

`mops check` reports every problem in a process file at once. Each diagnostic has
a stable code, the place (`file:line:col`), the line itself with the problem
underlined, and, where one helps, a hint:

```text
{EXAMPLES["N003"][1] if "N003" in EXAMPLES else ""}
```

Errors stop a process from running; the exit code of `mops check` is 1 when any
file has one. The examples below are real: each is checked by the test suite
against exactly what `mops check` prints for a file called `{FILE_NAME}`.
"""


def render() -> str:
    parts = [INTRO]
    for letter, (group, about) in GROUPS.items():
        codes = sorted(c for c in CODES if c.startswith(letter))
        if not codes:
            continue
        parts.append(f"## {group} ({letter})\n\n{about}\n")
        for code in codes:
            if code in SCENARIO_EXAMPLES:
                scenario, message = SCENARIO_EXAMPLES[code]
                parts.append(
                    f"### {code}: {CODES[code]}\n\n```text\n{scenario.rstrip()}\n```\n\n"
                    f"```text\n{message}\n```\n"
                )
                continue
            source, message = EXAMPLES[code]
            # Shown as UTF-8 here, such an example is no longer bad: fence it as text.
            fence, note = "mops-bad", ""
            if code in ENCODINGS:
                fence = "text"
                note = f"\n(This file is saved as {ENCODINGS[code]}, not UTF-8.)\n"
            if code in DIRECTORIES:
                # Bad only against its team directory: on its own it checks fine.
                fence = "text"
                note = (
                    f"\nWith this team directory (team.toml):\n\n```toml\n{DIRECTORIES[code]}```\n"
                )
            if "warning[" in message:
                fence = "mops"  # a warning: the process still checks and runs
            parts.append(
                f"### {code}: {CODES[code]}\n\n```{fence}\n{source.rstrip()}\n```\n{note}\n"
                f"```text\n{message}\n```\n"
            )
            for further, title, source, message in FURTHER_EXAMPLES:
                if further == code:
                    parts.append(
                        f"#### {title}\n\n```mops-bad\n{source.rstrip()}\n```\n\n"
                        f"```text\n{message}\n```\n"
                    )
    return "\n".join(parts)


def test_every_code_has_an_example() -> None:
    assert set(EXAMPLES) | set(SCENARIO_EXAMPLES) == set(CODES)


def test_the_page_is_current() -> None:
    expected = render()
    if os.environ.get("MOPS_UPDATE_DOCS"):
        DOC.write_text(expected)
    assert DOC.read_text() == expected, "regenerate: MOPS_UPDATE_DOCS=1 pytest " + __file__
