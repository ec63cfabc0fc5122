"""The example of docs/scenarios.md runs and reports what the page shows."""

from __future__ import annotations

import re
import subprocess
import sysconfig
from pathlib import Path

DOC = Path(__file__).resolve().parent.parent / "docs" / "scenarios.md"
MOPS = Path(sysconfig.get_path("scripts")) / "mops"
TEAM = """\
[roles]

[people.ana]
name = "Ana"
email = "ana@example.com"

[people.ben]
name = "Ben"
email = "ben@example.com"

[people.cleo]
name = "Cleo"
email = "cleo@example.com"
"""


def _block(lang: str, holding: str = "") -> str:
    """The first block of a language, or the one holding a text."""
    text = DOC.read_text()
    fence = f"```{lang}\n"
    start = text.rindex(fence, 0, text.index(holding)) if holding else text.index(fence)
    start += len(fence)
    return text[start : text.index("```", start)]


def test_the_example_scenarios_pass_as_the_page_shows(tmp_path: Path) -> None:
    folder = tmp_path / "processes"
    folder.mkdir()
    (folder / "review.mops").write_text(_block("mops"))
    (folder / "team.toml").write_text(TEAM)
    (folder / "review.scenarios").write_text(_block("scenarios"))

    done = subprocess.run(
        [str(MOPS), "test", "processes/review.scenarios"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 0, done.stdout + done.stderr
    shown = _block("text", "$ mops test").splitlines()[1:-1]
    assert done.stdout.splitlines()[:-1] == shown
    assert re.fullmatch(r"3 passed, 0 failed in [\d.]+s", done.stdout.splitlines()[-1])


def test_the_expected_refusal_of_the_page_passes(tmp_path: Path) -> None:
    folder = tmp_path / "processes"
    folder.mkdir()
    (folder / "review.mops").write_text(_block("mops"))
    (folder / "team.toml").write_text(TEAM)
    (folder / "review.scenarios").write_text(_block("scenarios", "may not approve her own"))

    done = subprocess.run(
        [str(MOPS), "test", "processes/review.scenarios"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 0, done.stdout + done.stderr
    assert "PASS  The writer may not approve her own draft" in done.stdout
