"""Notices that cannot be delivered (issue 18, item 5): said at worker start and at
``mops check --plan``, a readable line in ``mops status``, never a traceback in the
worker's log; ``MOPS_NOTIFY=log`` writes them to the log and says so. The real
``notify.send`` runs here, on a real (time-skipping) Temporal server."""

from __future__ import annotations

import datetime as dt
import logging
import subprocess
import sysconfig
from pathlib import Path

import pytest
from support import TRUST, act, compile_text, new_task_queue, start
from temporalio.testing import WorkflowEnvironment
from waiting import wait_open

from engine.workflow.campaign import STATUS_QUERY, CampaignStatus
from engine.workflow.team import Member, TeamSnapshot
from engine.workflow.work_items import Act
from mops.cli._read import _print_status
from workers import (
    WORKFLOWS,
    WorkerConfig,
    build_worker,
    builtin_registry,
    notice_problems,
    workflow_runner,
)

MOPS = Path(sysconfig.get_path("scripts")) / "mops"
ROOT = Path(__file__).resolve().parent.parent
TEAM_TOML = ROOT / "processes" / "team.toml"

REVIEW = """\
process review_post "Review a post"
  work review "Review the post"
    assign role editor
    deadline 2 hours
    remind every 1 hour
"""
TEAM = TeamSnapshot(version="v1", people={"ana": Member(roles=("editor",))})


def test_the_settings_say_why_notices_would_reach_nobody() -> None:
    nothing = notice_problems(WorkerConfig.from_env({}))
    no_mail = notice_problems(WorkerConfig.from_env({"MOPS_DIRECTORY": str(TEAM_TOML)}))
    mailed = {"MOPS_DIRECTORY": str(TEAM_TOML), "MOPS_SMTP_HOST": "mail.acme.example"}
    logged = notice_problems(WorkerConfig.from_env({"MOPS_NOTIFY": "log"}))

    assert nothing == [
        "set MOPS_DIRECTORY to the team directory (team.toml), or MOPS_NOTIFY=log to only log them"
    ]
    assert len(no_mail) == 1 and "want e-mail and no mail server is set" in no_mail[0]
    assert "set MOPS_SMTP_HOST" in no_mail[0]
    assert notice_problems(WorkerConfig.from_env(mailed)) == []
    assert logged == ["MOPS_NOTIFY=log writes them to the worker's log only"]


def test_check_plan_warns_who_would_get_no_notices(tmp_path: Path) -> None:
    (tmp_path / "review.mops").write_text(REVIEW)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    done = subprocess.run(
        [str(MOPS), "check", "--plan", str(tmp_path / "review.mops")],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert (
        "warning: role editor will get no notices from a worker set up like this: "
        "set MOPS_DIRECTORY" in done.stderr
    )


@pytest.mark.parametrize("mode", ["log", "send"])
async def test_an_undelivered_notice_is_a_readable_line_and_no_traceback(
    time_env: WorkflowEnvironment,
    mode: str,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    client = time_env.client
    queue = new_task_queue()
    # No team directory on this worker: in 'send' mode no notice can be delivered.
    config = WorkerConfig.from_env({"MOPS_NOTIFY": mode})
    registry = builtin_registry()
    process = compile_text(REVIEW, registry)
    caplog.set_level(logging.DEBUG)
    worker = build_worker(
        client,
        task_queue=queue,
        registry=registry,
        workflows=WORKFLOWS,
        workflow_runner=workflow_runner(isolate_interpreter=True),
        max_cached_workflows=0,
        config=config,
        trust=TRUST,
    )
    async with worker:
        handle = await start(client, process, {}, queue, team=TEAM)
        await wait_open(handle, "review")
        await time_env.sleep(dt.timedelta(minutes=70))
        await act(client, handle.id, Act(step="review", actor="ana", action="complete"))
        await handle.result()
        status = await handle.query(STATUS_QUERY, result_type=CampaignStatus)
    _print_status(handle.id, status)
    shown = capsys.readouterr().out
    tracebacks = [r for r in caplog.records if r.exc_info and r.levelno >= logging.INFO]

    notices = [s for s in status.steps if s.id.endswith(".notice")]
    assert notices, "the reminder was due after an hour"
    assert tracebacks == []
    assert "review.notice" not in shown
    if mode == "log":
        assert {s.state for s in notices} == {"done"}
        assert any("notice to role:editor (logged, not sent)" in r.message for r in caplog.records)
    else:
        assert {s.state for s in notices} == {"failed"}
        assert "  unsent   Reminder" in shown
        assert "nobody was told: 'role:editor' cannot be told without the team directory" in shown
        warned = [r.getMessage() for r in caplog.records if r.name == "mops.worker"]
        assert any("notify.send failed:" in line for line in warned)
