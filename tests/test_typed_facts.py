"""What a campaign writes for its readers is typed data, and the readers read it as data.

A new campaign's history says, as data, what every timer is for (its summary
names the step), what every notice is (its activity input), how every decision
left its step (the update's result) and when each work item or approval opened
(a memo fact). The audit reader reads those, and reads a history recorded by the
previous engine - which wrote them as English - through its compatibility
module only; tests/test_timeline_golden.py pins those old readings.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from support import (
    compile_text,
    new_task_queue,
    recorded_notify,
    registry_replacing,
    start,
    team,
    worker_for,
)
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from waiting import wait_open

from engine.audit import read_timeline
from engine.workflow.facts import OPENED_MEMO, TimerFact, TimerPurpose

ROOT = Path(__file__).resolve().parent.parent
REGISTRY = registry_replacing(recorded_notify)
CONVERTER = pydantic_data_converter.payload_converter

TWO_WAITS = """\
process two_waits "Two waits of one kind"
  task brief "Brief" = log.info(message: "go")
  wait 1 day
  task remind "Remind" = log.info(message: "again")
  wait 2 days
  task report "Report" = log.info(message: "done")
"""


async def test_each_of_two_waits_is_attributed_to_its_own_step(
    time_env: WorkflowEnvironment,
) -> None:
    process = compile_text(TWO_WAITS, REGISTRY)
    queue = new_task_queue()
    async with worker_for(time_env.client, REGISTRY, queue):
        handle = await start(time_env.client, process, {}, queue)
        await handle.result()
        history = await handle.fetch_history()
    timeline = read_timeline([history])
    waits = [(e.step, e.what, e.text) for e in timeline.entries if e.what in ("waiting", "waited")]
    first, second = [s.id for s in process.body if s.id.startswith("wait")]
    assert waits == [
        (first, "waiting", "wait 1 day"),
        (first, "waited", "wait over"),
        (second, "waiting", "wait 2 days"),
        (second, "waited", "wait over"),
    ]
    bars = [
        (b.step, round((b.end - b.start) / dt.timedelta(hours=1)))
        for b in timeline.bars
        if b.kind == "wait" and b.end is not None
    ]
    assert bars == [(first, 24), (second, 48)]


def test_a_timer_summary_is_a_purpose_and_a_step() -> None:
    fact = TimerFact(purpose=TimerPurpose.PEOPLE, step="review")
    assert fact.summary == "people:review"
    assert TimerFact.from_summary(fact.summary) == fact
    # What the previous engine wrote is not a fact: the compatibility reader takes it.
    for old in ("wait 2 days", "wait until 2026-12-07T12:23:38+00:00", "deadline of Review"):
        assert TimerFact.from_summary(old) is None


def test_no_reader_matches_english_written_by_the_workflow() -> None:
    """Only the compatibility module may read the sentences old histories hold."""
    english = re.compile(r"startswith\(\"(Escalated|Reminder|wait|deadline)|rsplit\(\" is \"")
    readers = [*(ROOT / "engine").rglob("*.py"), *(ROOT / "mops").rglob("*.py")]
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in readers
        if path.name != "_compat.py"
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if english.search(line)
    ]
    assert found == []


async def test_a_campaign_recorded_now_reads_as_the_one_recorded_by_the_english_engine() -> None:
    """The same campaign (tests/record_facts.py), recorded on today's engine with typed
    facts, reads as the copy the previous engine recorded: the same people, in the
    same capacities, doing the same things to the same steps, in the same order."""
    import json

    from record_facts import dev_server, run
    from temporalio.client import WorkflowHistory

    async with dev_server() as env:
        recorded_now = WorkflowHistory.from_json("now", await run(env, fail=False))
    old = json.loads((ROOT / "tests/golden/timelines/facts/completed_with_people.json").read_text())

    def shape(entries: list[dict[str, object]]) -> list[tuple[object, ...]]:
        # An event now names who signed it (the operator), not the client's identity.
        return [
            ("-" if e["what"] == "event" else e["actor_kind"], e["via"], e["step"], e["what"])
            for e in entries
        ]

    # Written as data this time: openings as memo facts, notices with their kind.
    opened = [
        e
        for e in recorded_now.events
        if OPENED_MEMO in e.workflow_properties_modified_event_attributes.upserted_memo.fields
    ]
    assert len(opened) == 4  # draft and review, two rounds each
    requests = [
        CONVERTER.from_payloads(e.activity_task_scheduled_event_attributes.input.payloads, [dict])[
            0
        ]
        for e in recorded_now.events
        if e.HasField("activity_task_scheduled_event_attributes")
    ]
    kinds = [r["notice"]["kind"] for r in requests if r["purpose"] == "notice"]
    # Each opening tells its people (draft and review, two rounds each), the reminder
    # and escalation as before, and the delegate is told of the delegation.
    assert kinds == [
        "opened",
        "reminder",
        "escalation",
        "reminder",
        "opened",
        "opened",
        "opened",
        "delegated",
    ]
    now = read_timeline([recorded_now])
    # The notices of openings and delegations are new (mops-step-notices): on the
    # timeline as 'notified'; everything else reads as before.
    told = [(e.step, e.text) for e in now.entries if e.what == "notified"]
    assert told == [
        ("draft", "told role writer: it opened"),
        ("review", "told role editor: it opened"),
        (
            "draft",
            "told role writer, person cleo: round 2 opened ('Review the draft' rejected round 1)",
        ),
        ("review", "told role editor: it opened"),
        ("review", "told person eve: delegated by ana"),
    ]
    assert shape([e.model_dump(mode="json") for e in now.entries if e.what != "notified"]) == shape(
        old["timeline"]["entries"]
    )
    [event] = [e for e in now.entries if e.what == "event"]
    assert (event.actor, event.actor_kind, event.auth is not None) == ("olga", "operator", True)
    assert [(b.step, b.kind, b.outcome) for b in now.bars] == [
        (b["step"], b["kind"], b["outcome"]) for b in old["timeline"]["bars"]
    ]


def test_every_named_patch_is_listed_with_its_date_and_reason_in_operations_md() -> None:
    from engine.workflow import patches

    text = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    table = text.split("<!-- patches -->")[1].split("<!-- /patches -->")[0]
    rows = [
        tuple(cell.strip().strip("`") for cell in line.strip("|").split("|"))
        for line in table.strip().splitlines()[2:]
    ]
    assert rows == [(p.id, p.since.isoformat(), p.reason) for p in patches.ALL]
    used = {
        match
        for path in (ROOT / "engine" / "workflow").glob("*.py")
        for match in re.findall(r"patches\.([A-Z_]+)\.applies\(\)", path.read_text())
    }
    assert used == {
        name for name in vars(patches) if isinstance(getattr(patches, name), patches.Patch)
    }


ONE_ITEM = """\
process one_item "One work item"
  work draft "Write the draft"
    assign role writer
"""


async def test_a_step_that_opened_once_is_read_as_opened_once(
    time_env: WorkflowEnvironment,
) -> None:
    """A campaign started without MOps Flow's search attributes (a script, a simulation
    on the test server) writes the open steps' list beside the typed fact of the step
    that opened, in one memo. A memo is a map, its fields in no set order (which one
    comes first varies from one process to the next): read in either, the step opened
    once (``mops insights`` counted a second round else)."""
    process = compile_text(ONE_ITEM, REGISTRY)
    queue = new_task_queue()
    async with worker_for(time_env.client, REGISTRY, queue):
        handles = [
            await start(time_env.client, process, {}, queue, team=team("v1", wes="writer"))
            for _ in range(8)
        ]
        for handle in handles:
            await wait_open(handle, "draft")
        histories = [await handle.fetch_history() for handle in handles]
        for handle in handles:
            await handle.terminate("read")
    for history in histories:
        together = [
            e.workflow_properties_modified_event_attributes.upserted_memo.fields
            for e in history.events
            if OPENED_MEMO in e.workflow_properties_modified_event_attributes.upserted_memo.fields
        ]
        assert len(together) == 1 and "open_steps" in together[0]
        opened = [e.step for e in read_timeline([history]).entries if e.what == "opened"]
        assert opened == ["draft"]
