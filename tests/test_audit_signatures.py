"""An export's seals check out offline, and editing who acted is found even when the
hash chain was recomputed to hide the edit."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from support import (
    TRUST,
    act,
    compile_text,
    new_task_queue,
    recorded_notify,
    registry_replacing,
    start,
    team,
    worker_for,
)
from temporalio.testing import WorkflowEnvironment
from waiting import wait_open

from engine.audit import check_proofs, digest, export_records, read_timeline, to_jsonl
from engine.client import write_trust
from engine.workflow.work_items import Act
from mops.cli import main

REGISTRY = registry_replacing(recorded_notify)
PROCESS = """\
process brief "A brief"
  allow G101
  approval review "Review the brief"
    by role editor
  output approvers = review.approvers
"""


@pytest.fixture
async def signed_export(time_env: WorkflowEnvironment) -> list[dict[str, object]]:
    client = time_env.client
    queue = new_task_queue()
    async with worker_for(client, REGISTRY, queue):
        handle = await start(
            client, compile_text(PROCESS, REGISTRY), {}, queue, team=team("v1", ana="editor")
        )
        await wait_open(handle, "review")
        await act(client, handle.id, Act(step="review", actor="ana", action="approve"))
        await handle.result()
        history = await handle.fetch_history()
    return export_records([read_timeline([history])])


async def verify(export: Path, trust: Path) -> int:
    """``mops audit verify EXPORT --trust TRUST``; its exit code."""
    return await asyncio.to_thread(main, ["audit", "verify", str(export), "--trust", str(trust)])


def rechained(records: list[dict[str, object]]) -> list[dict[str, object]]:
    """The records with every hash and link recomputed, as a careful forger would."""
    previous = "0" * 64
    for record in records:
        record["prev"] = previous
        record["hash"] = previous = digest(record)
    return records


async def test_every_seal_of_an_export_checks_out_offline(
    signed_export: list[dict[str, object]],
) -> None:
    signed, bad = check_proofs(signed_export, TRUST)
    kinds = [json.loads(str(r["proof"]))["what"] for r in signed_export if r["proof"]]
    assert (kinds, bad) == (["start", "act"], None)
    assert signed == 2


async def test_editing_who_approved_is_found_although_the_chain_was_recomputed(
    signed_export: list[dict[str, object]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    forged = [dict(r) for r in signed_export]
    approved = next(r for r in forged if r["what"] == "approved")
    approved["actor"] = "ben"
    forged = rechained(forged)
    export = tmp_path / "export.jsonl"
    export.write_text(to_jsonl(forged))
    trust = tmp_path / "trust.toml"
    write_trust(trust, TRUST)
    assert (
        await asyncio.to_thread(main, ["audit", "verify", str(export), "--trust", str(trust)]) == 1
    )
    out = capsys.readouterr().out
    assert f"forged: record {approved['seq']}: it names ben as the actor" in out
    assert "but the seal is ana's" in out


async def test_a_seal_made_with_a_key_the_trust_file_lacks_is_named(
    signed_export: list[dict[str, object]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export = tmp_path / "export.jsonl"
    export.write_text(to_jsonl(signed_export))
    empty = tmp_path / "trust.toml"
    write_trust(empty, TRUST.model_copy(update={"keys": {}}))
    assert (
        await asyncio.to_thread(main, ["audit", "verify", str(export), "--trust", str(empty)]) == 1
    )
    assert "forged: record 1: its seal does not check out: signed with a key" in (
        capsys.readouterr().out
    )
    good = tmp_path / "good.toml"
    write_trust(good, TRUST)
    assert (
        await asyncio.to_thread(main, ["audit", "verify", str(export), "--trust", str(good)]) == 0
    )
    assert "2 signed facts checked" in capsys.readouterr().out
