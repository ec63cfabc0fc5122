"""People act on a running campaign through the installed ``mops`` command, as users do."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest
from mops_cli import Mops
from waiting import wait_until

pytestmark = pytest.mark.e2e

TEAM = """\
[roles]
writer = "Writes drafts"
editor = "Reviews drafts"
lead = "Leads content"

[people.cleo]
name = "Cleo"
email = "cleo@acme.example"
roles = ["writer"]

[people.ana]
name = "Ana"
email = "ana@acme.example"
roles = ["editor"]

[people.dan]
name = "Dan"
email = "dan@acme.example"
roles = ["lead"]
"""

PROCESS = """\
process article "An article, written and approved"
  work draft "Write the draft"
    assign role writer
    deadline 2 business days
    escalate to role lead
    returns doc_url: url, words: number
  approval review "Review the draft"
    by role editor
    not by draft.assignee
    deadline 1 business day
    escalate to role lead
  output url = draft.doc_url
  output approved_by = review.approvers
"""


def test_an_article_is_written_and_approved_from_the_command_line(
    mops: Mops, tmp_path: Path
) -> None:
    mops.use_team(tmp_path, TEAM)
    (tmp_path / "article.mops").write_text(PROCESS)
    started = mops("run", str(tmp_path / "article.mops"), "--detach")
    assert started.returncode == 0, started.stderr
    campaign = started.stdout.strip()
    worker = mops.worker()
    try:
        wait_until(lambda: mops.json("tasks", "--as", "cleo"))
        [task] = mops.json("tasks", "--as", "cleo")
        assert (task["campaign"], task["step"], task["via"]) == (campaign, "draft", "role writer")
        assert mops.json("tasks", "--as", "ana") == []

        bad = mops("complete", campaign, "draft", "--as", "cleo", "-o", "doc_url=not a url")
        assert bad.returncode == 1
        assert "output 'doc_url': 'not a url' is not a web address" in bad.stderr
        done = mops(
            "complete",
            campaign,
            "draft",
            "--as",
            "cleo",
            "-o",
            "doc_url=https://cms.acme.example/a",
            "-o",
            "words=900",
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == "'Write the draft' is completed"

        wait_until(lambda: mops.json("tasks", "--as", "ana"))
        refused = mops("approve", campaign, "review", "--as", "cleo")
        assert refused.returncode == 1
        assert refused.stderr.strip() == (
            "mops: refused: cleo may not act on 'Review the draft': separation of duties "
            "(not by draft.assignee)"
        )
        approved = mops("approve", campaign, "review", "--as", "ana", "--comment", "Lovely")
        assert approved.returncode == 0, approved.stderr
        status = mops.wait_for_state(campaign, {"completed", "failed"})
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.communicate(timeout=60)
    assert status["state"] == "completed"
    assert status["outputs"] == {"url": "https://cms.acme.example/a", "approved_by": ["ana"]}
    # The refused attempt is on record, read back from the history (no worker runs now).
    recorded = json.loads(mops("status", campaign, "--json").stdout)["refused"]
    # Both: the mistyped output (refused by the client) and the barred approval.
    assert [(r["actor"], r["action"], r["step"]) for r in recorded] == [
        ("cleo", "complete", "draft"),
        ("cleo", "approve", "review"),
    ]
    shown = mops("status", campaign).stdout
    assert "refused   cleo tried to approve 'review'" in shown
