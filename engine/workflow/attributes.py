"""The custom search attributes a campaign keeps up to date.

The workflow type of a campaign is already its process name, so
``WorkflowType = 'blog_post'`` selects a process; these add what Temporal
cannot know on its own. Registering them on a cluster is the client's
(:func:`engine.client.ensure_search_attributes`).
"""

from __future__ import annotations

from collections.abc import Sequence

from temporalio import workflow
from temporalio.common import SearchAttributeKey, SearchAttributeUpdate

from engine import ir

STATE = SearchAttributeKey.for_keyword("MopsState")
"""running | waiting | completed | failed | cancelled"""
STEP = SearchAttributeKey.for_keyword("MopsStep")
"""The id of the step the campaign is on."""
VERSION = SearchAttributeKey.for_keyword("MopsVersion")
"""The short source hash of the process version the campaign runs."""
OWNER = SearchAttributeKey.for_keyword("MopsOwner")
"""Who started the campaign."""
WAITING_ON = SearchAttributeKey.for_keyword_list("MopsWaitingOn")
"""Who the campaign waits for: ``role:editor``, ``person:ana`` (work items and approvals)."""
EVENTS = SearchAttributeKey.for_keyword_list("MopsEvents")
"""The external events the campaign's process can wait for or exit on (set at start)."""
APPROVERS = SearchAttributeKey.for_keyword_list("MopsApprovers")
"""Everyone whose approval the campaign accepted (``mops list --approved-by``)."""
CHANGED_AT = SearchAttributeKey.for_datetime("MopsChangedAt")
"""When the campaign last opened, closed, handed on or recorded a decision on a work item
or approval (the workflow's clock): the watermark the people's app keeps its inbox index
by, asking only for campaigns changed since its last look. Set at start by those that
start campaigns; a campaign started without it never writes it (the namespace may lack it)."""
SCHEDULED_BY = SearchAttributeKey.for_keyword("TemporalScheduledById")
"""Temporal's own: the id of the schedule that started a campaign (set by the server)."""

ALL: dict[str, str] = {
    STATE.name: "Keyword",
    STEP.name: "Keyword",
    VERSION.name: "Keyword",
    OWNER.name: "Keyword",
    WAITING_ON.name: "KeywordList",
    EVENTS.name: "KeywordList",
    APPROVERS.name: "KeywordList",
    CHANGED_AT.name: "Datetime",
}
"""Name -> Temporal search attribute type, as the server must register them."""


def events_of(process: ir.ProcessIR) -> list[str]:
    """The events a campaign of ``process`` listens for: those its ``wait for event``
    steps wait for and those its ``exit when event`` lines end a block on (not those
    of its sub-processes, which are campaigns of their own)."""
    return sorted(
        {
            step.event
            for step in ir.iter_steps(process.body)
            if isinstance(step, ir.EventStep | ir.ExitStep)
        }
    )


def watermarked() -> bool:
    """Inside a campaign: whether it was started with :data:`CHANGED_AT` (so the namespace
    has it, and its starter asked for it to be kept)."""
    return workflow.info().typed_search_attributes.get(CHANGED_AT) is not None


def add_approver(person: str) -> None:
    """Inside a campaign: record that ``person``'s approval was accepted.

    Only where the campaign was started with our search attributes: a namespace
    without them would refuse the upsert and stall the campaign.
    """
    update = approver_update(person)
    if update is not None:
        workflow.upsert_search_attributes([update])


def approver_update(person: str) -> SearchAttributeUpdate[Sequence[str]] | None:
    """The change that adds ``person`` to the campaign's approvers, if it is one."""
    current = workflow.info().typed_search_attributes
    if current.get(VERSION) is None:
        return None
    approvers = list(current.get(APPROVERS) or [])
    if person in approvers:
        return None
    return APPROVERS.value_set(sorted([*approvers, person]))
