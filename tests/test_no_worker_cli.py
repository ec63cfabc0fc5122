"""The CLI tells the truth when no worker runs (issue 15): `mops tasks` answers from
visibility, shows why a round was sent back, and decisions are confirmed or reported
as pending — never as failed and recorded later."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from mops_cli import Mops
from teams import ARTICLE, WRITER_AND_EDITOR
from waiting import wait_until

pytestmark = pytest.mark.e2e

TEAM = WRITER_AND_EDITOR


COMMENT = "Remove the 'best in class' claim"


def stop(worker: object) -> None:
    worker.terminate()  # type: ignore[attr-defined]
    worker.wait(timeout=60)  # type: ignore[attr-defined]


def rounds(mops: Mops, person: str) -> list[tuple[str, int]]:
    return [(t["step"], t["round"]) for t in mops.json("tasks", "--as", person)]


def test_with_no_worker_the_inbox_answers_and_a_decision_is_pending_never_failed(
    mops: Mops, tmp_path: Path
) -> None:
    mops.use_team(tmp_path, TEAM)
    (tmp_path / "article.mops").write_text(ARTICLE)
    started = mops("run", str(tmp_path / "article.mops"), "--detach")
    assert started.returncode == 0, started.stderr
    campaign = started.stdout.strip()
    # No worker has run it yet: the inbox says so rather than waiting on each campaign.
    empty = mops("tasks", "--as", "cleo")
    assert empty.returncode == 0, empty.stderr
    assert empty.stdout.strip() == "nothing waits for cleo"
    assert "no worker is running" in empty.stderr

    worker = mops.worker()
    try:
        wait_until(lambda: rounds(mops, "cleo") == [("draft", 1)])
        done = mops("complete", campaign, "draft", "--as", "cleo", "-o", "doc_url=https://x.ex/a")
        assert done.returncode == 0, done.stderr
        wait_until(lambda: rounds(mops, "ana") == [("review", 1)])
        rejected = mops("reject", campaign, "review", "--as", "ana", "--comment", COMMENT)
        assert rejected.returncode == 0, rejected.stderr
        wait_until(lambda: rounds(mops, "cleo") == [("draft", 2)])
    finally:
        stop(worker)

    # No worker now: the inbox and the status come from the server alone, and the
    # author reads why the draft came back.
    [task] = mops.json("tasks", "--as", "cleo")
    assert task["returned"]["outcome"] == "rejected"
    assert task["returned"]["remarks"] == [{"by": "ana", "action": "reject", "comment": COMMENT}]
    text = mops("tasks", "--as", "cleo").stdout
    assert "round 2: 'Review the draft' rejected round 1" in text
    assert f'ana: "{COMMENT}"' in text
    status = mops("status", campaign)
    assert f'ana: "{COMMENT}"' in status.stdout

    # A decision sent now is pending: the server holds it, nothing failed.
    # (A worker stopped a moment ago still counts as running for 90 s; --wait keeps
    # the test from waiting the 30 s a command gives a running worker.)
    pending = mops(
        "complete", campaign, "draft", "--as", "cleo", "-o", "doc_url=https://x.ex/b",
        "--wait", "3",
    )  # fmt: skip
    assert pending.returncode == 4, pending.stderr
    assert "pending: the server holds the decision on 'draft'" in pending.stderr
    found = re.search(r"--update-id ([0-9a-f]{32})", pending.stderr)
    assert found is not None, pending.stderr
    update_id = found.group(1)
    # Sent again with its id, it is the same decision, still pending.
    again = mops(
        "complete", campaign, "draft", "--as", "cleo", "-o", "doc_url=https://x.ex/b",
        "--update-id", update_id, "--json", "--wait", "0",
    )  # fmt: skip
    assert again.returncode == 4, again.stderr
    assert f'"update_id": "{update_id}"' in again.stdout

    worker = mops.worker()
    try:
        # The campaign takes it once a worker runs: the review opens for its second round.
        wait_until(lambda: rounds(mops, "ana") == [("review", 2)])
        confirmed = mops(
            "complete", campaign, "draft", "--as", "cleo", "-o", "doc_url=https://x.ex/b",
            "--update-id", update_id,
        )  # fmt: skip
        history = mops.json("history", campaign)["entries"]
    finally:
        stop(worker)
    # Sent three times, taken once: the answer is the one the campaign gave.
    assert confirmed.returncode == 0, confirmed.stderr
    assert confirmed.stdout.strip() == "'Write the draft' is completed"
    completions = [e for e in history if e["what"] == "completed" and e["step"] == "draft"]
    assert len(completions) == 2  # round 1 and round 2


def test_a_wait_that_is_not_a_number_of_seconds_gets_the_usage(mops: Mops) -> None:
    for wrong, said in (("soon", "'soon' is not a number of seconds"), ("-1", "between 0")):
        refused = mops("approve", "some-campaign", "review", "--as", "ana", "--wait", wrong)
        assert refused.returncode == 2
        assert said in refused.stderr
        assert "Traceback" not in refused.stderr
