"""The auditors' timeline: read from the Temporal history alone, for finished, running and
continued-as-new campaigns, and reused by ``mops status`` of a finished campaign."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict
from support import (
    compile_text,
    new_task_queue,
    recorded_notify,
    registry_replacing,
    registry_with,
    start,
    worker_for,
)
from temporalio.client import WorkflowFailureError, WorkflowHistory
from temporalio.testing import WorkflowEnvironment
from waiting import eventually

from engine.audit import (
    Timeline,
    campaign_timeline,
    read_timeline,
    render_timeline,
    status_from_history,
    time_zone,
)
from workers import ActionContext, ActionFailed, action

HISTORIES = Path(__file__).parent / "histories"
REGISTRY = registry_replacing(recorded_notify)


def recorded() -> WorkflowHistory:
    """An article campaign recorded before the approvers search attribute existed:
    a refused attempt, reminders, an escalation, a rejection with a comment, a pause,
    two approvals (one by a delegate), a rule decision and a wait."""
    path = HISTORIES / "article_review.json"
    return WorkflowHistory.from_json("article-1", path.read_text())


def facts(entries: Any) -> list[tuple[str, str, str, str]]:
    return [(e.actor, e.via, e.step, e.what) for e in entries]


def test_a_recorded_history_reads_as_who_did_what_when_and_why() -> None:
    timeline = read_timeline([recorded()])
    assert (timeline.process, timeline.version, timeline.state) == (
        "article",
        "b5621a887265",
        "completed",
    )
    assert timeline.source_hash.startswith(timeline.version) and len(timeline.source_hash) == 64
    assert timeline.inputs == {"budget": {"amount": "5000", "currency": "EUR"}}
    assert timeline.outputs == {"url": "https://x.example/b", "tier": "boosted"}
    people = [f for f in facts(timeline.entries) if f[0] not in ("system", "olga")]
    assert people == [
        ("cleo", "", "draft", "refused"),
        ("cleo", "role writer", "draft", "completed"),
        ("ana", "role editor", "review", "rejected"),
        ("cleo", "role writer", "draft", "completed"),
        ("ana", "role editor", "review", "approved"),
        ("eve", "delegate of ben", "review", "approved"),
    ]
    rejected = next(e for e in timeline.entries if e.what == "rejected")
    assert (rejected.comment, rejected.title, rejected.source) == (
        "too long",
        "Review the draft",
        "article.mops:9:3",
    )
    [escalated] = [e for e in timeline.entries if e.what == "escalated"]
    assert escalated.text == "escalated to role lead"
    assert [e.what for e in timeline.entries if e.actor == "olga"] == [
        "started",
        "paused",
        "resumed",
    ]
    [rule] = [e for e in timeline.entries if e.what == "decided"]
    assert rule.details == {
        "rows": [18],
        "inputs": {"budget": {"amount": "5000", "currency": "EUR"}},
        "result": "boosted",
    }
    assert rule.text == (
        'decided "boosted" by the row at article.mops:18 with budget = 5,000.00 EUR'
    )
    # Rework shows as two rounds of each human step, the rejected one marked.
    assert [(b.step, b.outcome) for b in timeline.bars if b.kind == "human"] == [
        ("draft", "completed"),
        ("review", "rejected"),
        ("draft", "completed"),
        ("review", "approved"),
    ]


def test_the_text_timeline_is_in_the_readers_time_zone() -> None:
    text = render_timeline(read_timeline([recorded()]), time_zone("Asia/Tokyo"))
    assert "started   2026-11-22 23:13:45 JST by olga" in text
    assert "eve (delegate of ben)" in text
    assert 'ana (role editor)      Review the draft (article.mops:9:3)  rejected: "too long"' in (
        text
    )
    utc = render_timeline(read_timeline([recorded()]), time_zone("UTC"))
    assert "started   2026-11-22 14:13:45 UTC by olga" in utc


def test_status_of_a_finished_campaign_shows_the_people_and_their_comments() -> None:
    status = status_from_history(recorded(), state="completed")
    titles = [s.title for s in status.steps]
    assert titles[:5] == [
        "Work: Write the draft",
        "cleo (role writer) completed with doc_url = https://x.example/a",
        "Approval: Review the draft",
        'ana (role editor) rejected: "too long"',
        "Work: Write the draft",
    ]
    assert "eve (delegate of ben) approved" in titles
    assert [(r.actor, r.action) for r in status.refused] == [("cleo", "approve")]


SHORT = """\
process drip "A drip of notices"
  task one = notify.send(to: ["role:x"], message: "1")
  task two = notify.send(to: ["role:x"], message: "2")
  task three = notify.send(to: ["role:x"], message: "3")
  task four = notify.send(to: ["role:x"], message: "4")
  approval ok "Sign off"
    by person ana
    deadline 2 days
    escalate to person dan
  output done = true
"""


async def test_a_campaign_that_continued_as_new_reads_as_one_story(
    time_env: WorkflowEnvironment,
) -> None:
    client = time_env.client
    process = compile_text(SHORT, REGISTRY)
    queue = new_task_queue()
    async with worker_for(client, REGISTRY, queue):
        handle = await start(client, process, {}, queue, started_by="olga", history_limit=12)
        try:

            async def opened() -> Timeline:
                found = await campaign_timeline(client, handle.id)
                assert any(e.what == "opened" for e in found.entries), "not open yet"
                return found

            running = await eventually(opened)
        finally:
            # A campaign left waiting would hold up the shared time-skipping server.
            await handle.terminate("the test is over")
    assert len(running.runs) > 1
    assert running.state == "running"
    assert [e.step for e in running.entries if e.what == "task_completed"] == [
        "one",
        "two",
        "three",
        "four",
    ]
    assert [e.what for e in running.entries].count("continued") == len(running.runs) - 1
    assert running.entries[0].what == "started" and running.started_by == "olga"
    # The approval waits: its bar has no end yet.
    [waiting] = [b for b in running.bars if b.kind == "human"]
    assert (waiting.step, waiting.end) == ("ok", None)
    # The test server's clock, not the wall clock: earlier tests may have skipped time.
    now = await time_env.get_current_time()
    assert running.started_at < waiting.start <= now


def test_the_timeline_in_the_auditing_guide_is_what_mops_history_prints() -> None:
    guide = (Path(__file__).parent.parent / "docs" / "auditing.md").read_text()
    shown = guide.split("$ mops history article-1 --tz UTC\n", 1)[1].split("```", 1)[0]
    printed = render_timeline(read_timeline([recorded()]), time_zone("UTC")).splitlines()
    # The guide leaves out two reminders; every line it shows is printed, in order.
    lines = shown.splitlines()
    at = 0
    for line in lines:
        at = printed.index(line, at) + 1
    assert len(lines) > 20


class _Slot(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str


class _Booking(BaseModel):
    booking: str


ATTEMPTS: list[str] = []


@action("ads.book", description="Stand-in: book an ad slot, failing the first two tries")
async def _flaky_book(params: _Slot, ctx: ActionContext) -> _Booking:
    ATTEMPTS.append(params.name)
    if params.name == "flaky" and ATTEMPTS.count("flaky") < 3:
        raise ActionFailed("the ad server is busy", retryable=True)
    return _Booking(booking=f"b-{params.name}")


@action("ads.cancel", description="Stand-in: cancel an ad booking")
async def _cancel(params: _Slot, ctx: ActionContext) -> _Booking:
    return _Booking(booking=params.name)


ADS = """\
process ads "Book the ads"
  task flaky "Sync the slots" = ads.book(name: "flaky")
    retry 3 times backoff 1s to 1s
  task linkedin "Book LinkedIn" = ads.book(name: "linkedin")
    undo with ads.cancel(name: linkedin.booking)
  fail "The budget was withdrawn"
"""


async def test_retries_failures_and_compensation_are_on_the_timeline(
    time_env: WorkflowEnvironment,
) -> None:
    ATTEMPTS.clear()
    registry = registry_with(_flaky_book, _cancel)
    client = time_env.client
    process = compile_text(ADS, registry)
    queue = new_task_queue()
    async with worker_for(client, registry, queue):
        handle = await start(client, process, {}, queue, started_by="olga")
        with pytest.raises(WorkflowFailureError):
            await handle.result()
    timeline = await campaign_timeline(client, handle.id)
    # One entry when the task finally ran: how many attempts it took.
    [retried] = [e for e in timeline.entries if e.what == "retried"]
    assert (retried.step, retried.details["attempt"]) == ("flaky", 3)
    assert retried.text.startswith("attempt 3 (2 failed before)")
    [undone] = [e for e in timeline.entries if e.what == "compensated"]
    assert (undone.step, undone.title, undone.text) == (
        "linkedin.undo",
        "Undo: Book LinkedIn",
        "undone with ads.cancel",
    )
    assert timeline.state == "failed"
    assert timeline.error is not None and "The budget was withdrawn" in timeline.error
    assert timeline.entries[-1].what == "failed"
