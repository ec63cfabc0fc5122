"""Writing benchmark results into docs/benchmarks.md, one section per benchmark."""

from __future__ import annotations

import datetime as dt
import os
import platform
import re
import statistics
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path

DOC = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
HEADER = """\
# Benchmarks

Every number here is measured by a script under `bench/`, with the command that
produced it. Ratios are taken side by side in one run (A and B alternating), on
the machine described in each section; these machines are shared, so read the
min-max range as much as the median. Nothing here is asserted by the test suite.
"""


def machine() -> str:
    """Cores, memory and versions of what the numbers were measured on."""
    memory = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    versions = ", ".join(
        f"{name} {metadata.version(name)}"
        for name in ("lark", "networkx", "pydantic", "temporalio")
    )
    return (
        f"{os.cpu_count()} cores, {memory}, Python {platform.python_version()} on "
        f"{platform.system()}; {versions}; measured {dt.date.today().isoformat()}"
    )


def spread(values: Sequence[float]) -> str:
    """``median (min-max)`` of a series, in the unit of the values."""
    return f"{statistics.median(values):.3f} ({min(values):.3f}-{max(values):.3f})"


READING = "**Reading.**"
"""Starts the paragraph a person writes under the figures; a new run keeps it."""


def write_section(name: str, body: str) -> None:
    """Replace (or add) the section ``## name`` of docs/benchmarks.md.

    The figures are replaced; the section's reading (from a paragraph starting
    with ``**Reading.**``) is kept, to be brought up to date by hand.
    """
    text = DOC.read_text() if DOC.exists() else HEADER
    pattern = re.compile(rf"^## {re.escape(name)}\n.*?(?=^## |\Z)", re.S | re.M)
    found = pattern.search(text)
    reading = ""
    if found is not None and f"\n{READING}" in found.group():
        reading = "\n" + found.group()[found.group().index(f"\n{READING}") :].strip() + "\n"
    section = f"## {name}\n\n{body.strip()}\n{reading}"
    if found is not None:
        text = text[: found.start()] + section + "\n" + text[found.end() :]
    else:
        text = text.rstrip() + "\n\n" + section
    DOC.write_text(text.rstrip() + "\n")
