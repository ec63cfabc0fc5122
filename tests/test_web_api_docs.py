"""The curl examples of docs/sign-in.md run as written, against ``mops serve
--with-worker`` on the embedded server, with the processes docs/inbox.md shows:
an operator starts a campaign through the API, Cleo completes her work item, Ana
signs in with ``mops login`` and approves, the operator's signed export verifies,
and a form tool's HMAC-signed event reaches a waiting campaign."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from mops_cli import MOPS, ROOT
from test_docs import blocks
from web_serve import PASSWORD, Served

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not all(shutil.which(t) for t in ("curl", "jq", "openssl")),
        reason="the examples need curl, jq and openssl",
    ),
]

SIGN_IN = ROOT / "docs" / "sign-in.md"
API_SECTION = "## The JSON API, with curl"


def _processes() -> dict[str, str]:
    """The ``mops`` blocks of docs/inbox.md's last section, by process name."""
    found = {}
    for block in blocks(ROOT / "docs" / "inbox.md"):
        if block.lang == "mops":
            name = re.match(r"process (\w+)", block.text)
            assert name
            found[name.group(1)] = block.text
    return found


def _examples() -> str:
    """The shell blocks of sign-in.md from its API section on, in order."""
    text = SIGN_IN.read_text()
    start = text.index(API_SECTION)
    first_line = text[:start].count("\n") + 1
    return "\n".join(b.text for b in blocks(SIGN_IN) if b.lang == "sh" and b.line > first_line)


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Served]:
    served = Served(tmp_path, _processes())
    try:
        yield served
    finally:
        served.stop()


def test_the_curl_examples_run_as_written(app: Served) -> None:
    script = _examples().replace("http://127.0.0.1:8080", app.url)
    assert script.count("curl ") >= 10  # the examples are there
    done = subprocess.run(
        ["bash", "-c", "set -euo pipefail\n" + script],
        env={
            **app.mops.env,
            "ANA_PASSWORD": PASSWORD,
            # `mops` as a user calls it: the installed command on the PATH.
            "PATH": f"{MOPS.parent}:{os.environ['PATH']}",
        },
        cwd=app.folder,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}"
    lines = done.stdout.splitlines()
    # Cleo's completion is confirmed; Ana's approval answers in words.
    assert "confirmed" in lines
    assert any(line == "'Review the landing page' is approved" for line in lines), lines
    # The export downloaded through the API verifies against the trust file.
    assert re.search(r"webinar\.jsonl: intact, \d+ records", done.stdout), done.stdout
    assert "all genuine" in done.stdout
    # The event reached the lead campaign, which then completes with the answer.
    delivered = json.loads(next(line for line in lines if line.startswith("{")))
    (lead,) = delivered["delivered_to"]
    status = app.mops.wait_for_state(lead, {"completed"})
    assert status["outputs"]["said"] == "yes, call me"
    # The webinar campaign completed with Cleo's page; its history says who, and how.
    campaign = next(line for line in lines if line.startswith("webinar-"))
    status = app.mops.wait_for_state(campaign, {"completed"})
    history = app.mops.json("history", campaign)
    approved = [e for e in history["entries"] if e["what"] == "approved"]
    assert approved[-1]["actor"] == "ana"
    assert approved[-1]["auth"]["method"] == "api_token"
    # The security log shows the sign-in of `mops login`.
    assert "personal token 'mops login' issued" in done.stdout
