"""``mops report``: one self-contained HTML page, opened in headless Chromium (Debian's
package, installed by ``python3 dev.py test``; never downloaded by a test tool)."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from pathlib import Path

import pytest
from test_history import recorded

from engine.audit import process_of, read_timeline, report_html, time_zone

CHROMIUM = Path("/usr/bin/chromium")
needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="chromium is not installed (python3 dev.py test installs it)"
)


def chromium(page: Path, tmp_path: Path, *how: str) -> subprocess.CompletedProcess[str]:
    """Open ``page`` headless, offline, with a profile of its own."""
    return subprocess.run(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--window-size=1200,1600",
            *how,
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def report(tmp_path: Path) -> Path:
    history = recorded()
    page = tmp_path / "article.html"
    now = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    page.write_text(
        report_html(read_timeline([history]), process_of([history]), time_zone("UTC"), now)
    )
    return page


def test_the_report_needs_nothing_from_outside(tmp_path: Path) -> None:
    text = report(tmp_path).read_text()
    # No script, style, image or font is fetched: no src, no link, no remote url.
    assert not re.search(r"\ssrc=|<link|https?://(?!www\.w3\.org/2000/svg)(?!x\.example)", text)
    assert text.count("<svg") == 2
    assert "b5621a887265c9507cb4a8f54d544b512646ad49fc2e5d96f24f9700e66a4606" in text


@needs_chromium
def test_the_report_renders_in_a_browser_with_path_and_timeline(tmp_path: Path) -> None:
    page = report(tmp_path)
    shown = chromium(page, tmp_path, "--dump-dom")
    assert shown.returncode == 0, shown.stderr
    dom = shown.stdout
    # The inline check ran after both pictures were laid out with a size.
    assert 'data-rendered="ok"' in dom
    # Path taken: start, the two human steps, the rule, the wait, the task and the end.
    lit = re.findall(r'<g class="step highlight" data-node="([^"]+)"', dom)
    assert sorted(lit) == sorted(
        ["start", "draft", "review", "tier", "wait_line_20", "publish", "end"]
    )
    assert 'data-bars="6"' in dom
    bars = re.findall(
        r'<g class="bar" data-step="([^"]+)" data-kind="(\w+)" data-outcome="([^"]*)"', dom
    )
    assert bars[:4] == [
        ("draft", "human", "completed"),
        ("review", "human", "rejected"),
        ("draft", "human", "completed"),
        ("review", "human", "approved"),
    ]
    assert re.findall(r'<g class="mark" data-what="(\w+)"', dom) == [
        "refused",
        "escalated",
        "rejected",
    ]
    shot = tmp_path / "report.png"
    taken = chromium(page, tmp_path, f"--screenshot={shot}")
    assert taken.returncode == 0, taken.stderr
    assert shot.read_bytes().startswith(b"\x89PNG") and shot.stat().st_size > 10_000
