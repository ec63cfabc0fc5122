"""Campaigns that start by themselves (issue 18, item 4): ``every month on the first
business day at 09:00 in "Europe/Berlin"`` checked, laid out and compiled; ``mops
schedule create|list|pause|resume|trigger|remove`` against the real embedded server;
the start a schedule makes is signed once by the operator who created it, and a forged
or altered schedule action fails its campaign at once, before any step."""

from __future__ import annotations

import datetime as dt
import subprocess
import sysconfig
from pathlib import Path
from typing import Any

import pytest
from mops_cli import Mops
from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleSpec,
    ScheduleState,
)
from temporalio.contrib.pydantic import pydantic_data_converter
from waiting import wait_until

from dsl import Catalogue, SourceFile, check_source
from dsl._format import format_source
from engine.compiler import compile_process
from engine.ir import ProcessIR
from engine.workflow import attributes as sa
from engine.workflow._scheduled import first_business_day
from engine.workflow.campaign import CampaignStart
from workers import builtin_registry

CATALOGUE = Catalogue(builtin_registry().signatures())
MOPS = Path(sysconfig.get_path("scripts")) / "mops"

MONTHLY = """\
process monthly_report "Monthly report"
  calendar "DE"
  every month on the first business day at 09:00 in "Europe/Berlin"

  input month: text = "this month"

  task send "Send the report" = log.info(message: "Report for {month}")
"""


def _compiled(text: str) -> ProcessIR:
    checked = check_source(SourceFile.from_text(text, "monthly.mops"), CATALOGUE)
    return compile_process(checked, CATALOGUE, today=dt.date(2026, 12, 1))


def _codes(text: str) -> list[tuple[str, str]]:
    checked = check_source(SourceFile.from_text(text, "monthly.mops"), CATALOGUE)
    return [(d.code, d.message) for d in checked.diagnostics]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            'every month on the first business day at 09:00 in "Europe/Berlin"',
            {"every": "month", "first_business_day": True, "time_zone": "Europe/Berlin"},
        ),
        ("every month on the 15th at 08:30", {"every": "month", "day": 15, "at": "08:30"}),
        ("every week on mon at 07:00", {"every": "week", "weekday": 0, "at": "07:00"}),
        ('every day at 18:00 in "UTC"', {"every": "day", "time_zone": "UTC"}),
    ],
)
def test_each_kind_of_schedule_compiles(line: str, expected: dict[str, Any]) -> None:
    text = MONTHLY.replace(MONTHLY.splitlines()[2], f"  {line}")
    schedule = _compiled(text).schedule

    assert _codes(text) == []
    assert format_source(text) == text
    assert schedule is not None
    assert {k: getattr(schedule, k) for k in expected} == expected
    if "time_zone" not in expected:
        assert schedule.time_zone == "Europe/Berlin"  # the process calendar's


def test_a_schedule_no_month_has_or_in_no_zone_is_an_error() -> None:
    late = MONTHLY.replace("on the first business day", "on the 31st")
    nowhere = MONTHLY.replace('"Europe/Berlin"', '"Europe/Berln"')

    assert _codes(late) == [("C001", "not every month has a 31st day")]
    assert _codes(nowhere) == [("C003", "'Europe/Berln' is not a time zone")]


def test_check_plan_says_when_campaigns_start(tmp_path: Path) -> None:
    (tmp_path / "monthly.mops").write_text(MONTHLY)
    done = subprocess.run(
        [str(MOPS), "check", "--plan", str(tmp_path / "monthly.mops")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert (
        'Starts by itself: every month on the first business day at 09:00 in "Europe/Berlin" '
        "(mops schedule create)"
    ) in done.stdout.splitlines()


def test_a_process_that_says_nothing_of_when_it_starts_gets_no_schedule(tmp_path: Path) -> None:
    (tmp_path / "once.mops").write_text(MONTHLY.replace(MONTHLY.splitlines()[2] + "\n", ""))
    done = subprocess.run(
        [str(MOPS), "schedule", "create", str(tmp_path / "once.mops")],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "MOPS_HOME": str(tmp_path / "s")},
        check=False,
    )

    assert done.returncode == 1
    assert "has no 'every ...' line: nothing says when its campaigns start" in done.stderr
    assert not (tmp_path / "s").exists()  # no server was started for it


def test_a_process_without_a_schedule_compiles_as_before() -> None:
    text = MONTHLY.replace(MONTHLY.splitlines()[2] + "\n", "")

    assert "schedule" not in _compiled(text).model_dump(mode="json")


def test_the_first_business_day_skips_weekends_and_holidays() -> None:
    process = _compiled(MONTHLY)
    assert process.schedule is not None
    berlin = dt.timezone(dt.timedelta(hours=1))

    # 1 January 2027 is a Friday and a holiday: the first business day is Monday the 4th.
    january = first_business_day(
        dt.datetime(2027, 1, 1, 8, 0, tzinfo=dt.UTC), process.schedule, process.calendar
    )
    # 1 December 2026 is a Tuesday: that very day.
    december = first_business_day(
        dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.UTC), process.schedule, process.calendar
    )

    assert january == dt.datetime(2027, 1, 4, 9, 0, tzinfo=berlin)
    assert december == dt.datetime(2026, 12, 1, 9, 0, tzinfo=berlin)


DAILY = """\
process daily_digest "Daily digest"
  every day at 06:00 in "UTC"

  input audience: text = "everyone"

  task send "Send the digest" = log.info(message: "Digest for {audience}")
"""


def _campaigns(mops: Mops, prefix: str) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = mops.json("list")
    return [c for c in listed if c["id"].startswith(f"{prefix}-")]


def _ended(mops: Mops, prefix: str) -> dict[str, Any]:
    """The one campaign ``prefix`` started, once it ended."""
    wait_until(
        lambda: [c for c in _campaigns(mops, prefix) if c["state"] != "running"],
        what=f"a campaign of {prefix} to end",
    )
    (campaign,) = _campaigns(mops, prefix)
    status: dict[str, Any] = mops.json("status", campaign["id"])
    return status


async def _forge(
    client: Client, schedule_id: str, start: CampaignStart, seal: Any, queue: str
) -> None:
    """Make a schedule straight on the server, as someone who reaches its port could."""
    action = ScheduleActionStartWorkflow(
        start.process.name, args=[start, seal], id=schedule_id, task_queue=queue
    )
    await client.create_schedule(
        schedule_id, Schedule(action=action, spec=ScheduleSpec(), state=ScheduleState())
    )
    await client.get_schedule_handle(schedule_id).trigger()


@pytest.mark.e2e
async def test_schedules_start_signed_campaigns_and_forged_ones_run_nothing(
    mops: Mops, tmp_path: Path
) -> None:
    (tmp_path / "daily.mops").write_text(DAILY)
    made = mops("schedule", "create", str(tmp_path / "daily.mops"), "--id", "digest")
    assert made.returncode == 0, made.stderr
    assert made.stdout.strip() == "digest"
    again = mops("schedule", "create", str(tmp_path / "daily.mops"), "--id", "digest")
    (listed,) = mops.json("schedule", "list")
    paused = mops("schedule", "pause", "digest", "--reason", "year-end freeze")
    (held,) = mops.json("schedule", "list")
    assert mops("schedule", "resume", "digest").returncode == 0
    unknown = mops("schedule", "pause", "nope")

    assert again.returncode == 1
    assert "a schedule with the id 'digest' already exists" in again.stderr
    assert (listed["id"], listed["process"], listed["paused"]) == ("digest", "daily_digest", False)
    assert listed["next_start"] is not None and listed["next_start"].endswith("06:00:00Z")
    assert paused.returncode == 0 and paused.stdout.strip() == "paused digest"
    assert held["paused"] is True and held["note"] == "year-end freeze"
    assert unknown.returncode == 1 and "no schedule has the id 'nope'" in unknown.stderr

    # The genuine start, as the schedule carries it, for the forgeries below.
    client = await Client.connect(mops.address(), data_converter=pydantic_data_converter)
    described = await client.get_schedule_handle("digest").describe()
    action = described.schedule.action
    assert isinstance(action, ScheduleActionStartWorkflow)
    converter = pydantic_data_converter.payload_converter
    start = converter.from_payload(action.args[0], CampaignStart)
    seal = converter.from_payload(action.args[1])
    queue = mops.env["MOPS_TASK_QUEUE"]

    worker = mops.worker()
    try:
        assert mops("schedule", "trigger", "digest").returncode == 0
        genuine = _ended(mops, "digest")
        # It carries the watermark the people's app keeps its inbox index by, as a
        # campaign started by hand does (so its approvals reach inboxes as quickly).
        run = await client.get_workflow_handle(genuine["id"]).describe()
        assert run.typed_search_attributes.get(sa.CHANGED_AT) is not None
        # The auditor checks the scheduled start's seal offline, bound to the schedule.
        out = tmp_path / "digest.jsonl"
        exported = mops("audit", "export", "--process", "daily_digest", "-o", str(out))
        verified = mops("audit", "verify", str(out))
        # Altered: other inputs under the genuine seal.
        altered = start.model_copy(update={"inputs": {"audience": "the whole list"}})
        await _forge(
            client, "altered", altered.model_copy(update={"schedule": "altered"}), seal, queue
        )
        await _forge(client, "copied", start, seal, queue)  # the seal, on another schedule
        # Not started by a schedule at all, with a genuine scheduled start and seal.
        await client.start_workflow(
            start.process.name,
            args=[start, seal],
            id="digest-2026-12-01T06:00:00Z",
            task_queue=queue,
        )
        results = {name: _ended(mops, name) for name in ("altered", "copied")}
        direct = mops.wait_for_state("digest-2026-12-01T06:00:00Z", {"failed", "completed"})
    finally:
        worker.terminate()
        worker.wait(timeout=60)
    history = mops.json("history", genuine["id"])["entries"]
    removed = mops("schedule", "remove", "digest")
    after = mops.json("schedule", "list")

    assert genuine["state"] == "completed"
    assert exported.returncode == 0, exported.stderr
    assert verified.returncode == 0, verified.stdout
    assert "signed facts checked against 1 trusted key(s): all genuine" in verified.stdout
    assert '\\"bound\\":\\"digest\\"' in out.read_text()
    assert [s["title"] for s in genuine["steps"]] == ["Send the digest"]
    started = history[0]
    assert started["text"].endswith("by schedule digest")
    assert started["actor"] == start.started_by
    for forged in (*results.values(), direct):
        assert forged["state"] == "failed"
        assert forged["steps"] == []
        assert "the campaign's start is refused" in forged["error"]
    assert "the signature does not match what was sent" in results["altered"]["error"]
    assert "the schedule digest started it, but no such schedule did" in results["copied"]["error"]
    assert "the schedule digest started it, but no such schedule did" in direct["error"]
    assert removed.returncode == 0
    assert [s for s in after if s["id"] in ("digest",)] == []
