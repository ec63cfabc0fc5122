"""Every named patch of the interpreter, with when and why it came.

A running campaign replays its history on the worker's current code. A change
that makes the interpreter issue different commands for a history already
written would break such campaigns on upgrade, so it is guarded by a named
patch: ``workflow.patched(X.id)`` is true for campaigns that reach that point
under the new code and false for histories recorded before it (which then keep
the old behaviour). A patch is never removed while campaigns recorded before
it may still run; docs/operations.md ("Changing the engine") says how.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from temporalio import workflow


@dataclass(frozen=True)
class Patch:
    """One named patch: its id in the history, when it came and why."""

    id: str
    since: dt.date
    reason: str

    def applies(self) -> bool:
        """Inside a campaign: whether this campaign runs the patched code."""
        return workflow.patched(self.id)


APPROVERS_ATTRIBUTE = Patch(
    "mops-approvers-attribute",
    dt.date(2026, 11, 22),
    "an accepted approval adds its approver to MopsApprovers (mops list --approved-by)",
)
ONE_UPSERT_PER_DECISION = Patch(
    "mops-one-upsert-per-decision",
    dt.date(2026, 11, 22),
    "a decision upserts search attributes at most once (whom it waits on, who approved)",
)
CHILD_EXIT_EVENTS = Patch(
    "mops-child-exit-events",
    dt.date(2026, 11, 22),
    "a sub-process listens for the events it exits on, not only those it waits for",
)
FOR_EACH_STOPS_THE_REST = Patch(
    "mops-for-each-stops-the-rest",
    dt.date(2026, 11, 22),
    "an item of a 'for each' that fails or jumps out stops the items still running",
)
UNDO_CANCELLED_BRANCHES = Patch(
    "mops-undo-cancelled-branches",
    dt.date(2026, 11, 22),
    "the losing branches of a 'parallel first' or 'N of' have their completed tasks undone",
)
UNDO_ON_CANCEL = Patch(
    "mops-undo-on-cancel",
    dt.date(2026, 11, 22),
    "an operator's cancel undoes the completed tasks, as a failure does",
)
RENEW_IN_PEOPLE_STEP = Patch(
    "mops-renew-in-people-step",
    dt.date(2026, 11, 22),
    "a campaign continues as new while a work item or approval is open",
)
RENEW_IN_BLOCKS = Patch(
    "mops-renew-in-blocks",
    dt.date(2026, 11, 22),
    "a campaign continues as new inside blocks, not only at the top level",
)
ROUNDS_PER_PASS = Patch(
    "mops-rounds-per-pass",
    dt.date(2026, 11, 22),
    "rounds and 'go back' times count per pass of the loops around them",
)
TYPED_FACTS = Patch(
    "mops-typed-facts",
    dt.date(2026, 12, 7),
    "a work item or approval opening is written as a typed memo fact for the audit reader",
)
SIGNED_STARTS = Patch(
    "mops-signed-starts",
    dt.date(2026, 12, 7),
    "an unsigned start runs nothing: the campaign fails at once",
)
SIGNED_SIGNALS = Patch(
    "mops-signed-signals",
    dt.date(2026, 12, 7),
    "an unsigned or badly signed signal changes nothing and is recorded as ignored",
)
SIGNED_CANCEL = Patch(
    "mops-signed-cancel",
    dt.date(2026, 12, 7),
    "a cancellation request counts only after a signed 'cancelling' signal",
)
SOD_WITHOUT_GAPS = Patch(
    "mops-sod-without-gaps",
    dt.date(2026, 12, 7),
    "a delegate carries the delegator's one vote; 'not by' bars every round's people",
)
BOUNDED_VALUES = Patch(
    "mops-bounded-values",
    dt.date(2026, 12, 7),
    "values past the limits (a text over 100,000 characters, a number over 31 digits, a sum "
    "that needs rounding, task arguments over 512 KB, too many or too large early events) "
    "fail the campaign at their line or are dropped with a record",
)
RENEW_ON_SIZE = Patch(
    "mops-renew-on-size",
    dt.date(2026, 12, 7),
    "a campaign also continues as new when its history passes 8 MB, not only by event count",
)
STEP_NOTICES = Patch(
    "mops-step-notices",
    dt.date(2026, 12, 7),
    "people are told when a work item or approval opens (each round, with the comments "
    "that sent it back) and when it is delegated to them; every notice of a step carries "
    "typed facts the worker words",
)
INBOX_MEMO = Patch(
    "mops-inbox-memo",
    dt.date(2026, 12, 7),
    "open work items and approvals are published in the memo beside MopsWaitingOn, which "
    "also names whom a step was escalated to; a continued run keeps the first start time",
)
EXIT_CANCELS_CLEANLY = Patch(
    "mops-exit-cancels-cleanly",
    dt.date(2026, 12, 7),
    "an 'exit when' whose event came before it was reached fires at once, before the steps "
    "after it start; a task it stops mid-run is cancelled, not failed (which failed the "
    "campaign)",
)
INBOX_WATERMARK = Patch(
    "mops-inbox-watermark",
    dt.date(2026, 12, 7),
    "a campaign started with MopsChangedAt moves it to now whenever a work item or approval "
    "opens, closes, is handed on or has a decision recorded (the people's app's inbox index)",
)

ALL: tuple[Patch, ...] = (
    APPROVERS_ATTRIBUTE,
    ONE_UPSERT_PER_DECISION,
    CHILD_EXIT_EVENTS,
    FOR_EACH_STOPS_THE_REST,
    UNDO_CANCELLED_BRANCHES,
    UNDO_ON_CANCEL,
    RENEW_IN_PEOPLE_STEP,
    RENEW_IN_BLOCKS,
    ROUNDS_PER_PASS,
    TYPED_FACTS,
    SIGNED_STARTS,
    SIGNED_SIGNALS,
    SIGNED_CANCEL,
    SOD_WITHOUT_GAPS,
    EXIT_CANCELS_CLEANLY,
    BOUNDED_VALUES,
    RENEW_ON_SIZE,
    STEP_NOTICES,
    INBOX_MEMO,
    INBOX_WATERMARK,
)
"""Every patch, oldest first: docs/operations.md lists them from here (a test checks)."""
