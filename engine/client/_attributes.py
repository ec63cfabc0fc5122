"""Registering the search attributes of MOps Flow on a cluster (an operator RPC).

The attributes themselves (names, types, what each holds) are the campaign's,
in :mod:`engine.workflow.attributes`.
"""

from __future__ import annotations

import re

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from engine.errors import ServerUnreachable, UserError
from engine.workflow.attributes import ALL


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


async def registered(client: Client, name: str) -> bool:
    """Whether the client's namespace has the search attribute ``name``; False when the
    cluster does not say (the client may not list them)."""
    try:
        listed = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace=client.namespace)
        )
    except RPCError:
        return False
    return name in listed.custom_attributes or name in listed.system_attributes
