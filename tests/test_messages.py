"""Messages people understand (issue 18, item 5), the language side: a ``notify`` with
a subject and a body, a step's notices with the designer's subject and text, and the
instructions a person reads. Checked, laid out, compiled, and sent by a campaign."""

from __future__ import annotations

import datetime as dt

import pytest
from support import (
    NOTICES,
    act,
    compile_text,
    new_task_queue,
    recorded_notify,
    registry_replacing,
    start,
    worker_for,
)
from temporalio.testing import WorkflowEnvironment
from waiting import wait_open

from dsl import Catalogue, SourceFile, check_source
from dsl._format import format_source
from engine.compiler import compile_process
from engine.ir import HumanStep, NotifyStep
from engine.workflow.campaign import STATUS_QUERY, CampaignStatus
from engine.workflow.team import Member, TeamSnapshot
from engine.workflow.work_items import Act
from mops.cli._read import _print_status
from workers import builtin_registry

CATALOGUE = Catalogue(builtin_registry().signatures())
REGISTRY = registry_replacing(recorded_notify)
TEAM = TeamSnapshot(
    version="v1-test",
    people={"sam": Member(roles=("sdr", "sales")), "max": Member(roles=("sales_manager",))},
)

PROCESS = """\
process qualify_lead "Qualify a lead"
  input lead: email
  input region: text = "emea"

  work qualify "Qualify the lead"
    assign role sdr
    instructions "Call the lead within a day; note what they need."
    notice subject "New lead in {region}: {lead}"
    notice body "Qualify {lead} before Friday."
    deadline 1 business day
    remind every 4 business hours
    escalate to role sales_manager

  notify role sales
    subject "Qualified: {lead}"
    body "{qualify.completed_by} qualified {lead}."

  notify role sales "Thanks, {qualify.completed_by}"
"""


def _codes(text: str) -> list[tuple[str, int, str]]:
    checked = check_source(SourceFile.from_text(text, "m.mops"), CATALOGUE)
    return [(d.code, d.span.line, d.message) for d in checked.diagnostics]


def test_a_notice_has_one_text_and_instructions_are_plain() -> None:
    twice = PROCESS.replace("  notify role sales\n", '  notify role sales "hello"\n')
    empty = PROCESS.replace(
        '    subject "Qualified: {lead}"\n    body "{qualify.completed_by} qualified {lead}."\n',
        '    subject "Qualified: {lead}"\n',
    )
    templated = PROCESS.replace("within a day", "within a day, {lead}")
    wrong = PROCESS.replace('notice subject "New lead in {region}: {lead}"', "notice subject 3")

    assert _codes(PROCESS) == []
    assert _codes(twice) == [
        ("N002", 16, "the notification's text is given twice: on its line and as 'body'")
    ]
    assert _codes(empty) == [("T006", 14, "the notification says nothing")]
    assert _codes(templated) == [
        ("T002", 7, "instructions are shown as written, without {interpolation}")
    ]
    assert [c for c, *_ in _codes(wrong)] == ["T002"]


def test_the_layout_keeps_subjects_bodies_and_instructions() -> None:
    inline = PROCESS.replace(
        "  notify role sales\n    subject",
        "  notify role sales\n      subject",
    ).replace('    body "{qualify', '      body "{qualify')

    assert format_source(PROCESS) == PROCESS
    assert format_source(inline) == PROCESS


def test_the_ir_carries_the_texts() -> None:
    checked = check_source(SourceFile.from_text(PROCESS, "m.mops"), CATALOGUE)
    process = compile_process(checked, CATALOGUE)
    work = process.body[0]
    first, second = process.body[1:]

    assert isinstance(work, HumanStep) and isinstance(first, NotifyStep)
    assert work.instructions == "Call the lead within a day; note what they need."
    assert work.notice_subject is not None and work.notice_body is not None
    assert first.subject is not None
    assert isinstance(second, NotifyStep) and second.subject is None
    assert "subject" not in second.model_dump(mode="json")


async def test_the_campaign_sends_the_designers_words(
    time_env: WorkflowEnvironment, capsys: pytest.CaptureFixture[str]
) -> None:
    NOTICES.clear()
    client = time_env.client
    process = compile_text(PROCESS, REGISTRY)
    queue = new_task_queue()
    async with worker_for(client, REGISTRY, queue):
        handle = await start(client, process, {"lead": "jo@acme.example"}, queue, team=TEAM)
        opened = await wait_open(handle, "qualify")
        _print_status(handle.id, await handle.query(STATUS_QUERY, result_type=CampaignStatus))
        shown = capsys.readouterr().out
        # Past the 1 business day deadline from any moment of the week (a weekend between).
        await time_env.sleep(dt.timedelta(days=5))
        await act(client, handle.id, Act(step="qualify", actor="sam", action="complete"))
        await handle.result()

    assert opened.instructions == "Call the lead within a day; note what they need."
    assert "waiting   Qualify the lead (work, round 1, due " in shown
    assert "\n          Call the lead within a day; note what they need.\n" in shown
    reminders = [n for n in NOTICES if n["to"] == ["role:sdr"]]
    escalated = [n for n in NOTICES if n["to"] == ["role:sales_manager"]]
    told = [n for n in NOTICES if n["to"] == ["role:sales"]]
    assert reminders and escalated
    assert {(n["subject"], n["message"]) for n in reminders + escalated} == {
        ("New lead in emea: jo@acme.example", "Qualify jo@acme.example before Friday.")
    }
    assert [(n["subject"], n["message"]) for n in told] == [
        ("Qualified: jo@acme.example", "sam qualified jo@acme.example."),
        (None, "Thanks, sam"),
    ]
