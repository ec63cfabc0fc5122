"""Events that arrive before a step asks for them: kept, within bounds.

A campaign keeps an event until a ``wait for event`` step takes it, so that an
event sent early is not lost. A flood of events for a key nobody waits for must
not grow the campaign without end: it keeps at most ``bounds.EARLY_EVENTS``
events and ``bounds.EARLY_EVENT_BYTES`` of their data, and no event larger than
``bounds.MAX_PAYLOAD``. One it does not keep is recorded on its status as a
typed :class:`~engine.workflow.campaign.DroppedEvent` (the newest 50); the signal
stays in the history. Runs inside the workflow sandbox.
"""

from __future__ import annotations

from collections.abc import Sequence

from temporalio import workflow
from temporalio.common import RawValue

from bounds import EARLY_EVENT_BYTES, EARLY_EVENTS, MAX_PAYLOAD
from engine.workflow._state import RunState
from engine.workflow.campaign import DroppedEvent, DropReason, ExternalEvent

KEEP_DROPPED = 50
"""Dropped events recorded on the status (the newest)."""


def too_large(args: Sequence[RawValue]) -> DroppedEvent | None:
    """A record of the event if its payload is larger than one event may be (not read)."""
    size = sum(len(arg.payload.data) for arg in args)
    if size <= MAX_PAYLOAD:
        return None
    return DroppedEvent(name=None, key=None, size=size, why="too_large", at=workflow.now())


def no_room(run: RunState, event: ExternalEvent) -> DroppedEvent | None:
    """A record of ``event`` if the campaign keeps as many events (or bytes) as it may."""
    size = _size(event)
    why: DropReason | None = None
    if len(run.events) >= EARLY_EVENTS:
        why = "too_many"
    elif sum(_size(e) for e in run.events) + size > EARLY_EVENT_BYTES:
        why = "too_many_bytes"
    if why is None:
        return None
    return DroppedEvent(name=event.name, key=event.key, size=size, why=why, at=workflow.now())


def drop(run: RunState, dropped: DroppedEvent) -> None:
    run.dropped = [*run.dropped, dropped][-KEEP_DROPPED:]
    workflow.logger.warning(
        "event %r for %r not kept: %s (%d bytes)",
        dropped.name,
        dropped.key,
        dropped.why,
        dropped.size,
    )


def _size(event: ExternalEvent) -> int:
    return len(event.model_dump_json())
