"""A campaign's status rebuilt from its Temporal history (no worker needed).

The history is the system of record: what was started, with which process
version and inputs, which tasks ran with which arguments and how they ended,
who decided each human step and how. The facts come from the auditors'
timeline reader (:mod:`engine.audit`), so ``mops status`` and ``mops history``
never disagree.
"""

from __future__ import annotations

from collections.abc import Sequence

from temporalio.client import WorkflowHistory

from engine.audit._model import Entry, Timeline
from engine.audit._timeline import read_timeline
from engine.workflow.campaign import CampaignState, CampaignStatus, RefusedAttempt, StepRecord

_DECISIONS = frozenset({"approved", "rejected", "changes_requested", "completed", "delegated"})


def status_from_history(
    history: WorkflowHistory | Sequence[WorkflowHistory], *, state: CampaignState
) -> CampaignStatus:
    """The status a campaign's query would give, read from its history (every run of it,
    oldest first, when it continued as new)."""
    histories = [history] if isinstance(history, WorkflowHistory) else list(history)
    return status_from_timeline(read_timeline(histories), state=state)


def status_from_timeline(timeline: Timeline, *, state: CampaignState) -> CampaignStatus:
    """The status of a campaign whose timeline has been read."""
    steps: list[StepRecord] = []
    for bar in timeline.bars:
        steps.append(
            StepRecord(
                id=bar.step,
                title=bar.title,
                action=bar.action,
                source=bar.source,
                state="running"
                if bar.end is None
                else "failed"
                if bar.outcome == "failed"
                else "done",
                started_at=bar.start,
                ended_at=bar.end,
                error=bar.error,
            )
        )
    # A decision goes before a step that opens at the same moment (the one it led to).
    decisions = [_decision(entry) for entry in timeline.entries if entry.what in _DECISIONS]
    ordered = sorted(
        [(s.started_at, 1, i, s) for i, s in enumerate(steps)]
        + [(s.started_at, 0, i, s) for i, s in enumerate(decisions)],
        key=lambda item: item[:3],
    )
    steps = [step for *_, step in ordered]
    running = [s for s in steps if s.state == "running"]
    refused = tuple(
        RefusedAttempt(
            step=e.step,
            actor=e.actor,
            action=str(e.details.get("action", "")),
            reason=str(e.details.get("reason", "")),
            at=e.at,
        )
        for e in timeline.entries
        if e.what == "refused"
    )
    return CampaignStatus(
        process=timeline.process,
        title=timeline.title,
        version=timeline.version,
        state=state,
        started_at=timeline.started_at,
        current_step=running[-1].id if running and state == "running" else None,
        steps=tuple(steps),
        inputs=timeline.inputs,
        outputs=timeline.outputs,
        error=timeline.error,
        refused=refused,
        generation=max(len(timeline.runs) - 1, 0),
    )


def _decision(entry: Entry) -> StepRecord:
    """A person's decision as a line of the status: who, in which capacity, and the comment."""
    via = f" ({entry.via})" if entry.via else ""
    return StepRecord(
        id=entry.step,
        title=f"{entry.actor}{via} {entry.text}",
        action=None,
        source=entry.source,
        state="done",
        started_at=entry.at,
        ended_at=entry.at,
    )
