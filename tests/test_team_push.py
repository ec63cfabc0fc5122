"""``mops team push`` and ``mops list --waiting-on`` through the installed command, on the
embedded server (visibility queries need a real server)."""

from __future__ import annotations

import hashlib
import signal
import time
from pathlib import Path
from typing import Any

import pytest
from mops_cli import Mops

pytestmark = pytest.mark.e2e

TEAM = """\
[roles]
editor = "Reviews drafts"
lead = "Leads content"

[people.ana]
name = "Ana"
email = "ana@acme.example"
roles = ["editor"]

[people.dan]
name = "Dan"
email = "dan@acme.example"
roles = ["lead"]
"""
BEA = """
[people.bea]
name = "Bea"
email = "bea@acme.example"
roles = ["editor"]
"""

PROCESS = """\
process article "An article, approved"
  approval review "Review the article"
    by role editor
    deadline 5 business days
    escalate to role lead
  output approved_by = review.approvers
"""


def eventually(check: Any, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.3)
    raise AssertionError("timed out")


def test_a_team_push_reaches_running_campaigns_after_a_preview(mops: Mops, tmp_path: Path) -> None:
    team_file = mops.use_team(tmp_path, TEAM)
    (tmp_path / "article.mops").write_text(PROCESS)
    started = [mops("run", str(tmp_path / "article.mops"), "--detach") for _ in range(2)]
    assert all(s.returncode == 0 for s in started), [s.stderr for s in started]
    campaigns = sorted(s.stdout.strip() for s in started)
    worker = mops.worker()
    try:
        # Both wait on the editors: a visibility query finds them, no worker asked.
        waiting = eventually(
            lambda: (
                len(mops.json("list", "--waiting-on", "role:editor")) == 2
                and mops.json("list", "--waiting-on", "role:editor")
            )
        )
        assert sorted(c["id"] for c in waiting) == campaigns
        both = mops.json("list", "--waiting-on", "role:editor", "--process", "article")
        assert len(both) == 2
        assert mops.json("list", "--waiting-on", "role:editor", "--state", "completed") == []
        assert mops.json("list", "--waiting-on", "role:lead") == []
        assert mops.json("list", "--waiting-on", "person:ana") == []
        wrong = mops("list", "--waiting-on", "editor")
        assert wrong.returncode == 1
        assert "say whom, as role:NAME or person:NAME" in wrong.stderr

        # Bea joins the editors in team.toml: the campaigns do not know her yet.
        team_file.write_text(TEAM + BEA)
        version = hashlib.sha256(team_file.read_bytes()).hexdigest()
        early = mops("approve", campaigns[0], "review", "--as", "bea")
        assert early.returncode == 1
        assert "'bea' is not in the team directory" in early.stderr

        preview = mops.json("team", "push", "--process", "article")
        assert preview["would"] == "push"
        assert preview["team_version"] == version
        assert sorted(preview["campaigns"]) == campaigns
        shown = mops("team", "push", "--process", "article")
        assert shown.stdout.splitlines()[0] == (
            f"would push team version {version[:12]} to 2 campaign(s) of article:"
        )
        pushed = mops("team", "push", "--process", "article", "--yes")
        assert pushed.returncode == 0, pushed.stderr
        assert sorted(line.rsplit(": ", 1)[1] for line in pushed.stdout.splitlines()) == campaigns

        eventually(lambda: mops.json("status", campaigns[0])["team_version"] == version)
        approved = mops("approve", campaigns[0], "review", "--as", "bea")
        assert approved.returncode == 0, approved.stderr
        done = mops.wait_for_state(campaigns[0], {"completed", "failed"})
        other = mops.json("status", campaigns[1])
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.communicate(timeout=60)
    assert done["outputs"] == {"approved_by": ["bea"]}
    assert other["team_version"] == version
    assert other["ignored_signals"] == []
