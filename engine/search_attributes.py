"""The custom search attributes a campaign keeps up to date.

The workflow type of a campaign is already its process name, so
``WorkflowType = 'blog_post'`` selects a process; these add what Temporal
cannot know on its own.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from temporalio import workflow
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)
from temporalio.client import Client
from temporalio.common import SearchAttributeKey, SearchAttributeUpdate
from temporalio.service import RPCError, RPCStatusCode

from engine import ir
from engine.errors import ServerUnreachable, UserError

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

ALL: dict[str, str] = {
    STATE.name: "Keyword",
    STEP.name: "Keyword",
    VERSION.name: "Keyword",
    OWNER.name: "Keyword",
    WAITING_ON.name: "KeywordList",
    EVENTS.name: "KeywordList",
    APPROVERS.name: "KeywordList",
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


def _value_type(kind: str) -> IndexedValueType.ValueType:
    # "KeywordList" -> INDEXED_VALUE_TYPE_KEYWORD_LIST
    snake = re.sub(r"(?<!^)(?=[A-Z])", "_", kind).upper()
    return IndexedValueType.Value(f"INDEXED_VALUE_TYPE_{snake}")


def by_hand(namespace: str, missing: dict[str, str]) -> str:
    """The commands an admin runs to register ``missing`` attributes (name -> type)."""
    # One command per attribute: the temporal CLI takes a single --name per call.
    commands = [
        f"temporal operator search-attribute create --namespace {namespace} "
        f"--name {name} --type {kind}"
        for name, kind in missing.items()
    ]
    return (
        "ask an admin of the cluster to run: "
        + " && ".join(commands)
        + " (on Temporal Cloud: tcld namespace search-attributes add)"
    )


async def ensure_search_attributes(client: Client, namespace: str) -> list[str]:
    """Register the search attributes of :data:`ALL` that are missing.

    Args:
        client: a client of the cluster.
        namespace: the namespace the campaigns run in.

    Returns:
        The names that were added (empty if all were there).

    Raises:
        UserError: the client may not add them, or one exists with another type.
        ServerUnreachable: the cluster did not answer.
    """
    wanted = ALL
    missing: dict[str, str] = {}
    try:
        listed = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace=namespace)
        )
        existing = {**listed.system_attributes, **listed.custom_attributes}
        for name, kind in wanted.items():
            if name in existing and existing[name] != _value_type(kind):
                actual = IndexedValueType.Name(existing[name]).removeprefix("INDEXED_VALUE_TYPE_")
                raise UserError(
                    f"search attribute {name} exists in namespace {namespace} as {actual}, "
                    f"but MOps Flow needs {kind}",
                    hint="rename or remove the existing attribute on the cluster",
                )
        missing = {name: kind for name, kind in wanted.items() if name not in existing}
        if missing:
            await client.operator_service.add_search_attributes(
                AddSearchAttributesRequest(
                    namespace=namespace,
                    search_attributes={name: _value_type(kind) for name, kind in missing.items()},
                )
            )
    except RPCError as error:
        if error.status == RPCStatusCode.ALREADY_EXISTS:
            return []  # another command added them at the same moment
        if error.status in (RPCStatusCode.PERMISSION_DENIED, RPCStatusCode.UNIMPLEMENTED):
            raise UserError(
                f"not allowed to register the search attributes of MOps Flow "
                f"in namespace {namespace}: {error.message}",
                hint=by_hand(namespace, missing or dict(wanted)),
            ) from None
        if error.status == RPCStatusCode.NOT_FOUND:
            raise UserError(
                f"namespace {namespace} does not exist: {error.message}",
                hint="check TEMPORAL_NAMESPACE or create the namespace",
            ) from None
        raise ServerUnreachable(
            f"cannot register search attributes in namespace {namespace}: {error.message}"
        ) from None
    return list(missing)
