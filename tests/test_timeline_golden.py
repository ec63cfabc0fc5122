"""Every recorded history reads as the same timeline, whatever engine wrote it.

The histories under tests/histories were written by earlier versions of the
engine; some of them carry the facts the workflow once wrote as English
sentences (notice titles, timer summaries, update replies). The audit reader
must read each of them exactly as it did when it was recorded: the timeline (its
entries and bars) and the status rebuilt from it are pinned here, one golden file
per history. Regenerate with ``MOPS_UPDATE_GOLDEN=1`` only for a change that is
meant to alter what an auditor reads, and review the diff.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory

from engine.audit import read_timeline, render_timeline, status_from_timeline, time_zone

HISTORIES = Path(__file__).parent / "histories"
GOLDEN = Path(__file__).parent / "golden" / "timelines"


def reading(path: Path) -> dict[str, object]:
    history = WorkflowHistory.from_json(path.stem, path.read_text())
    timeline = read_timeline([history])
    status = status_from_timeline(timeline, state="completed")
    dumped = timeline.model_dump(mode="json")
    for entry in dumped["entries"]:
        # Facts written before seals carry none: these fields came after the recordings.
        for field in ("auth", "proof"):
            if entry[field] is None:
                del entry[field]
    return {
        "timeline": dumped,
        "text": render_timeline(timeline, time_zone("UTC")).splitlines(),
        "status_steps": [step.model_dump(mode="json") for step in status.steps],
    }


@pytest.mark.parametrize(
    "path", sorted(HISTORIES.rglob("*.json")), ids=lambda p: str(p.relative_to(HISTORIES))
)
def test_a_recorded_history_reads_as_it_did_when_recorded(path: Path) -> None:
    golden = GOLDEN / path.relative_to(HISTORIES)
    found = reading(path)
    if os.environ.get("MOPS_UPDATE_GOLDEN"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(json.dumps(found, indent=1, ensure_ascii=False) + "\n")
    assert golden.is_file(), f"no golden timeline for {path}: MOPS_UPDATE_GOLDEN=1"
    assert found == json.loads(golden.read_text())
