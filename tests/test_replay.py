"""Recorded histories must replay against the current interpreter.

Every ``tests/histories/**/*.json`` is a real campaign history recorded by an
earlier version of the engine (``tests/histories/<process>/*.json`` for the
processes of ``processes/``: record one with ``python -m tests.record_history``).
If a change to the interpreter makes one of them fail to replay, running
campaigns would break on upgrade: guard the change with a named
``workflow.patched("mops-<name>")`` instead (docs/operations.md, "Changing the
engine"). To record the histories named below again, run this file with
``MOPS_RECORD_HISTORIES=1``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from support import ROOT, new_task_queue, start, worker_for
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer

from dsl import Catalogue
from engine.compiler import compile_file
from workers import WORKFLOWS, builtin_registry, workflow_runner

HISTORIES = Path(__file__).parent / "histories"
RECORDINGS: dict[str, tuple[str, dict[str, Any]]] = {
    # history file -> (process file, inputs as JSON)
    "blog_post_dry_run.json": (
        "processes/blog_post.mops",
        {"title": "Spring launch", "budget": {"amount": "2500", "currency": "EUR"}},
    ),
    "blog_post_organic.json": ("processes/blog_post.mops", {"title": "Organic post"}),
    "flow_v2.json": ("tests/examples/flow.mops", {}),
}


def replayer() -> Replayer:
    return Replayer(
        workflows=list(WORKFLOWS),
        workflow_runner=workflow_runner(),
        data_converter=pydantic_data_converter,
    )


def test_every_recorded_history_is_present() -> None:
    missing = sorted(set(RECORDINGS) - {p.name for p in HISTORIES.glob("*.json")})
    assert not missing, f"record them with MOPS_RECORD_HISTORIES=1: {missing}"


@pytest.mark.parametrize(
    "path",
    sorted(HISTORIES.rglob("*.json")),
    ids=lambda p: str(p.relative_to(HISTORIES)),
)
async def test_recorded_history_replays(path: Path) -> None:
    history = WorkflowHistory.from_json(path.stem, path.read_text())  # noqa: ASYNC240
    result = await replayer().replay_workflow(history, raise_on_replay_failure=True)
    assert result.replay_failure is None


@pytest.mark.parametrize("name", sorted(RECORDINGS))
async def test_a_fresh_run_replays(time_env: WorkflowEnvironment, name: str) -> None:
    process_file, inputs = RECORDINGS[name]
    registry = builtin_registry()
    process, _ = compile_file(ROOT / process_file, Catalogue(registry.signatures()))
    process = process.model_copy(update={"source_file": process_file})
    queue = new_task_queue()
    async with worker_for(time_env.client, registry, queue):
        handle = await start(time_env.client, process, inputs, queue, campaign_id=Path(name).stem)
        await handle.result()
        history = await handle.fetch_history()
    result = await replayer().replay_workflow(history, raise_on_replay_failure=True)
    assert result.replay_failure is None
    if os.environ.get("MOPS_RECORD_HISTORIES"):
        (HISTORIES / name).write_text(history.to_json())
