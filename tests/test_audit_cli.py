"""Auditors use the installed ``mops`` command against the real embedded server:
``list`` filters, ``history``, ``audit export`` / ``verify`` and ``report``."""

from __future__ import annotations

import datetime as dt
import json
import re
import signal
from pathlib import Path

import pytest
from mops_cli import Mops
from waiting import wait_until

pytestmark = pytest.mark.e2e

TEAM = """\
[roles]
editor = "Reviews"

[people.ana]
name = "Ana"
email = "ana@acme.example"
roles = ["editor"]

[people.ben]
name = "Ben"
email = "ben@acme.example"
roles = ["editor"]
"""

PROCESS = """\
process promo "A promotion, approved"
  input budget: money = 0 EUR
  approval review "Review the promotion"
    by role editor
    deadline 2 days
    escalate to role editor
  decide tier "Tier"
    when budget >= 1000 EUR -> "paid"
    otherwise -> "organic"
  output tier = tier
"""


def ids(rows: list[dict[str, str]]) -> set[str]:
    return {row["id"] for row in rows}


def test_an_auditor_finds_reads_exports_and_reports_campaigns(mops: Mops, tmp_path: Path) -> None:
    mops.use_team(tmp_path, TEAM)
    (tmp_path / "promo.mops").write_text(PROCESS)
    first = mops("run", str(tmp_path / "promo.mops"), "--detach", "--input", "budget=2500 EUR")
    second = mops("run", str(tmp_path / "promo.mops"), "--detach")
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    by_ana, by_ben = first.stdout.strip(), second.stdout.strip()
    worker = mops.worker()
    try:
        wait_until(lambda: len(mops.json("tasks", "--as", "ana")) == 2)
        refused = mops("complete", by_ana, "review", "--as", "ana")
        assert refused.returncode == 1
        assert mops("approve", by_ana, "review", "--as", "ana", "--comment", "Go").returncode == 0
        assert mops("reject", by_ben, "review", "--as", "ben", "--comment", "No").returncode == 0
        mops.wait_for_state(by_ana, {"completed"})
        mops.wait_for_state(by_ben, {"completed"})
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.communicate(timeout=60)

    # mops list: who approved, version, owner, dates (visibility catches up shortly).
    wait_until(lambda: ids(mops.json("list", "--approved-by", "ana")) == {by_ana})
    assert mops.json("list", "--approved-by", "ben") == []  # ben rejected; he approved nothing
    version = mops.json("status", by_ana)["version"]
    assert ids(mops.json("list", "--version", version)) == {by_ana, by_ben}
    assert mops.json("list", "--version", "000000000000") == []
    owner = mops.json("list")[0]["owner"]
    assert ids(mops.json("list", "--owner", owner, "--process", "promo")) == {by_ana, by_ben}
    assert mops.json("list", "--owner", "nobody-at-all") == []
    tomorrow = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).date().isoformat()
    yesterday = (dt.datetime.now(dt.UTC) - dt.timedelta(days=1)).date().isoformat()
    assert mops.json("list", "--since", tomorrow) == []
    assert ids(mops.json("list", "--since", yesterday, "--until", tomorrow)) == {by_ana, by_ben}
    bad = mops("list", "--since", "last tuesday")
    assert bad.returncode == 2 and "is not a date" in bad.stderr

    # mops history: people, their role, comments, the rule row, the refused attempt.
    shown = mops("history", by_ana, "--tz", "UTC")
    assert shown.returncode == 0, shown.stderr
    [line] = [line for line in shown.stdout.splitlines() if "approved: " in line]
    # Who, in which capacity, and how it is proven: asserted by the local operator.
    assert re.search(
        r"ana \(role editor; asserted by operator \S+, key k-[0-9a-f]{8}\) +"
        r'Review the promotion \(\S*promo.mops:3:3\) +approved: "Go"$',
        line,
    ), line
    assert re.search(
        r'decided "paid" by the row at \S*promo.mops:8 with budget = 2,500.00 EUR', shown.stdout
    )
    assert "tried to complete: refused" in shown.stdout
    assert "outcome   completed" in shown.stdout
    timeline = mops.json("history", by_ben)
    assert [
        (e["actor"], e["what"], e["comment"]) for e in timeline["entries"] if e["actor"] == "ben"
    ] == [("ben", "rejected", "No")]
    unknown = mops("history", "no-such-campaign")
    assert unknown.returncode == 1 and "no campaign 'no-such-campaign'" in unknown.stderr
    assert "unknown time zone" in mops("history", by_ana, "--tz", "Mars/Base").stderr

    # mops audit export + verify, and the finished status shows the decisions.
    out = tmp_path / "promo.jsonl"
    exported = mops("audit", "export", "--process", "promo", "--format", "jsonl", "-o", str(out))
    assert exported.returncode == 0, exported.stderr
    chain_head = exported.stderr.strip().rsplit(" ", 1)[-1]
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert {r["campaign"] for r in records} == {by_ana, by_ben}
    assert records[-1]["hash"] == chain_head
    checked = mops("audit", "verify", str(out), "--head", chain_head)
    assert checked.returncode == 0 and "intact" in checked.stdout
    status = mops("status", by_ben).stdout
    assert 'ben (role editor) rejected: "No"' in status

    # mops report: a page, written whole.
    page = tmp_path / "report.html"
    made = mops("report", by_ana, "--html", str(page))
    assert made.returncode == 0, made.stderr
    assert 'class="step highlight" data-node="review"' in page.read_text()
    nowhere = mops("report", by_ana, "--html", str(tmp_path / "missing" / "r.html"))
    assert nowhere.returncode == 1 and "cannot be written" in nowhere.stderr
    assert not (tmp_path / "missing").exists()
