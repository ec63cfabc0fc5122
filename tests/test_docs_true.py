"""The docs do not say a shipped feature is missing, and the library is laid out as
``mops fmt`` lays it out (issue 18, item 7).

A paragraph that says something is "not yet" there (or "does not run yet", "will use
... once", "no command sends one yet", "makes mops run refuse") and names a feature the
product ships is a bug in the docs: it sent designers looking for workarounds.
"""

from __future__ import annotations

import re
import subprocess
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MOPS = Path(sysconfig.get_path("scripts")) / "mops"
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

# How the docs said a feature was missing.
NOT_THERE = re.compile(
    r"not yet(?! \w+ed\b)|(?:do|does) not run yet|once those steps exist|"
    r"no command \w+ (?:one|it|them) yet|makes `mops run` refuse|"
    r"\bnot (?:\w+ )?in this version|in a (?:later|future) version|coming soon",
    re.IGNORECASE,
)
# What ships, and the words that name it.
SHIPPED = {
    "deadlines, reminders and escalations": r"\bdeadlines?\b|\breminders?\b|\bescalat",
    "work items and approvals": r"\bwork items?\b|\bapprovals?\b",
    "undo with": r"`undo with`",
    "notifications": r"\bnotif(?:y|ications?)\b|\bnotices?\b",
    "the team signal (mops team push)": (
        r"\bsignals?\b.*\bteam\b|\bteam\b.*\bsignals?\b|mops team push"
    ),
    "the MopsState search attribute": r"MopsState",
    "delegates and escalation targets in mops tasks": r"`mops tasks`",
    "exit when event": r"exit when",
    "a calendar per step": r"calendar (?:from|per step)|step's own calendar",
    "run-time assignment": r"role from|person from",
    "subjects and instructions": r"\bsubject\b|\binstructions\b",
    "insights in the people's app": (
        r"\binsights\b.*\b(?:app|mops serve)\b|\b(?:app|mops serve)\b.*\binsights\b"
    ),
}


def _paragraphs(text: str) -> list[tuple[int, str]]:
    """Paragraphs, list items and table rows, each with its first line."""
    found: list[tuple[int, str]] = []
    start, lines = 1, list[str]()
    for number, line in enumerate(text.splitlines(), start=1):
        if lines and re.match(r"\s*(?:[-*] |\d+\. |\|)", line):
            found.append((start, " ".join(lines)))
            lines = []
        if line.strip():
            if not lines:
                start = number
            lines.append(line)
        elif lines:
            found.append((start, " ".join(lines)))
            lines = []
    if lines:
        found.append((start, " ".join(lines)))
    return found


def said_missing(text: str) -> list[tuple[int, str]]:
    """(line, feature) for each paragraph that says a shipped feature is not there."""
    found = []
    for line, paragraph in _paragraphs(text):
        if NOT_THERE.search(paragraph) is None:
            continue
        for feature, words in SHIPPED.items():
            if re.search(words, paragraph, re.IGNORECASE):
                found.append((line, feature))
    return found


def test_the_check_finds_what_the_docs_used_to_say() -> None:
    old = (
        "**Runs today:** yes. Deadlines, reminders and escalations of\n"
        "work items are written in the same business time, but those steps do not run yet.\n"
        "\n"
        "Notifications from approvals will use this\n"
        "action once those steps exist; they are not yet in this version.\n"
        "\n"
        "| Signals → `team` | a newer team directory (no command sends one yet) |\n"
        "\n"
        "A paragraph about tasks that are not yet started says nothing missing.\n"
        "\n"
        "Insights are not yet shown in the people's app: run `mops insights`.\n"
    )

    assert said_missing(old) == [
        (1, "deadlines, reminders and escalations"),
        (1, "work items and approvals"),
        (4, "work items and approvals"),
        (4, "notifications"),
        (7, "the team signal (mops team push)"),
        (11, "insights in the people's app"),
    ]


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.name)
def test_no_page_says_a_shipped_feature_is_not_yet_there(path: Path) -> None:
    wrong = said_missing(path.read_text(encoding="utf-8"))

    assert not wrong, "\n".join(
        f"{path.relative_to(ROOT)}:{line}: says {feature} is not there, but it ships"
        for line, feature in wrong
    )


def test_the_library_is_laid_out_as_mops_fmt_lays_it_out() -> None:
    files = sorted(str(p) for p in (ROOT / "processes").glob("*.mops"))
    done = subprocess.run(
        [str(MOPS), "fmt", "--check", *files],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert files
    assert done.returncode == 0, done.stdout + done.stderr
