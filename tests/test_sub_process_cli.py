"""Sub-process campaigns through the installed ``mops`` command: their work shows in
``mops tasks`` and ``mops status`` of the caller, and ``mops send-event`` reaches them."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
from mops_cli import Mops
from test_sub_process_people import write_processes
from waiting import wait_until

pytestmark = pytest.mark.e2e

TEAM = """\
[roles]
editor = "Reviews copy"

[people.ana]
name = "Ana"
email = "ana@acme.example"
roles = ["editor"]
"""


def test_an_approval_in_a_sub_process_is_listed_and_decided(mops: Mops, tmp_path: Path) -> None:
    write_processes(tmp_path)  # launch -> content_review -> copy_check (an approval)
    mops.use_team(tmp_path, TEAM)
    started = mops("run", str(tmp_path / "launch.mops"), "--detach")
    assert started.returncode == 0, started.stderr
    campaign = started.stdout.strip()
    child, grandchild = f"{campaign}.review.1", f"{campaign}.review.1.proof.1"
    worker = mops.worker()
    try:
        wait_until(lambda: mops.json("tasks", "--as", "ana"))
        [task] = mops.json("tasks", "--as", "ana")
        assert (task["campaign"], task["step"], task["part_of"]) == (grandchild, "check", child)
        listed = mops("tasks", "--as", "ana").stdout
        assert listed.startswith(f"{grandchild}  check ")
        assert f"(role editor; sub-process of {child})" in listed
        waiting = mops.json("list", "--waiting-on", "role:editor")
        assert [c["id"] for c in waiting] == [grandchild]

        shown = mops("status", campaign).stdout
        assert f"sub-process campaign {child}" in shown
        assert (
            f"waiting   Check the copy (approval, round 1, in sub-process campaign {grandchild})"
            " for role:editor"
        ) in shown
        inner = mops.json("status", campaign)["sub_process_items"]
        assert [(i["campaign"], i["step"]) for i in inner] == [(grandchild, "check")]

        wrong = mops("approve", campaign, "check", "--as", "ana")
        assert wrong.returncode == 1
        assert f"hint: 'Check the copy' is open in the sub-process campaign {grandchild}: " in (
            wrong.stderr
        )
        approved = mops("approve", grandchild, "check", "--as", "ana")
        assert approved.returncode == 0, approved.stderr
        assert approved.stdout.strip() == "'Check the copy' is approved"
        status = mops.wait_for_state(campaign, {"completed", "failed"})
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.communicate(timeout=60)
    assert status["state"] == "completed"
    assert status["outputs"] == {"reviewed_by": ["ana"]}
    assert mops.json("tasks", "--as", "ana") == []


def test_send_event_reaches_a_sub_process_that_exits_on_it(mops: Mops, tmp_path: Path) -> None:
    (tmp_path / "drip.mops").write_text(
        'process drip "Drip"\n'
        "  input lead: email\n"
        '  exit when event "lead.unsubscribed" key lead\n'
        '  wait for event "lead.engaged" key lead, deadline 30 days\n'
        "  output engaged = true\n"
    )
    (tmp_path / "routing.mops").write_text(
        'use "drip.mops"\n'
        'process routing "Routing"\n'
        "  input lead: email\n"
        '  call nurture "Nurture the lead" = drip(lead: lead)\n'
        '  task done "Routed" = log.info(message: "Routed {lead}")\n'
    )
    started = mops("run", str(tmp_path / "routing.mops"), "-i", "lead=jo@acme.example", "--detach")
    assert started.returncode == 0, started.stderr
    campaign = started.stdout.strip()
    child = f"{campaign}.nurture.1"
    worker = mops.worker()
    try:
        wait_until(lambda: any(c["id"] == child for c in mops.json("list")))
        other = mops.json("send-event", "lead.unsubscribed", "--key", "someone@else.example")
        assert other == {"delivered_to": [child]}  # it listens; the key does not match
        assert mops.json("status", campaign)["state"] == "running"
        sent = mops.json("send-event", "lead.unsubscribed", "--key", "jo@acme.example")
        assert sent == {"delivered_to": [child]}
        status = mops.wait_for_state(campaign, {"completed", "failed"})
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.communicate(timeout=60)
    assert status["state"] == "completed"
    assert mops.json("status", child)["state"] == "completed"
