"""What every part of the history reader shares: decoding events, naming steps,
showing values, and adding a fact to the timeline.

The reader (:mod:`engine.audit._timeline`) is put together from mixins, one per
kind of fact: the campaign's own start and end (there), what the system did
(:mod:`engine.audit._system`), what people decided (:mod:`engine.audit._decisions`)
and what arrived from outside (:mod:`engine.audit._signals`). Their common
state and :meth:`EventReader._add` live here.
"""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

from temporalio.api.failure.v1 import Failure
from temporalio.api.history.v1 import HistoryEvent
from temporalio.contrib.pydantic import pydantic_data_converter

from engine import ir
from engine.audit._model import ActorKind, Auth, Bar, Entry, Proof, What
from engine.audit._people import PeopleTracker
from engine.workflow.campaign import CampaignStart
from engine.workflow.provenance import Seal

CONVERTER = pydantic_data_converter.payload_converter


def event_time(event: HistoryEvent) -> dt.datetime:
    moment: dt.datetime = event.event_time.ToDatetime(tzinfo=dt.UTC)
    return moment


def failure_message(failure: Failure) -> str:
    """The innermost application failure's message (the one that names the step)."""
    while failure.HasField("cause") and not failure.HasField("application_failure_info"):
        failure = failure.cause
    return failure.message


def decode(payloads: Any, kind: type[Any]) -> Any:
    """The first argument of a start, update or signal (the last may be its seal)."""
    return CONVERTER.from_payload(payloads.payloads[0], kind)


def seal_of(payloads: Any) -> Seal | None:
    """The seal a start, decision or signal carried as its second argument, if any."""
    if len(payloads.payloads) != 2:
        return None
    try:
        seal: Seal = CONVERTER.from_payload(payloads.payloads[1], Seal)
    except Exception:  # not a seal: as good as none
        return None
    return seal


def proof_of(
    what: str, payloads: Any, seal: Seal | None, *, bound: str | None = None
) -> Proof | None:
    """The seal of a fact and the exact payload it covers, for checking it offline."""
    if seal is None:
        return None
    payload = base64.b64encode(payloads.payloads[0].data).decode()
    return Proof(what=what, seal=seal.model_dump(mode="json"), payload=payload, bound=bound)


def auth_of(seal: Seal | None) -> Auth | None:
    """How the principal of a fact authenticated, as its seal says."""
    if seal is None:
        return None
    return Auth(method=seal.method, key_id=seal.key_id, asserted_by=seal.asserted_by)


def step_title(step: ir.AnyStep) -> str:
    """What a step is called on the timeline: its title, or what it does."""
    title = getattr(step, "title", None)
    if isinstance(title, str) and title:
        return title
    match step:
        case ir.WaitStep():
            return "wait"
        case ir.EventStep():
            return f"wait for {step.event}"
        case ir.ExitStep():
            return f"exit when {step.event}"
        case ir.NotifyStep():
            return "notify " + ", ".join(f"{p.kind} {p.name}" for p in step.parties)
        case _:
            return step.id


class EventReader:
    """The state the handlers of every kind of fact share; the reader sets it up."""

    campaign: str
    start: CampaignStart | None
    entries: list[Entry]
    bars: list[Bar]
    steps: dict[str, ir.AnyStep]
    people: PeopleTracker | None
    state: str
    run: int
    cancel_noted: bool
    sealed: bool
    """Whether the campaign was started with a seal (then only signed signals count)."""
    typed_openings: bool
    """Whether this history has said when its steps open (typed facts); until it
    does, openings are inferred from its search attributes or open-steps memo."""
    decision_entries: dict[str, int]
    """Accepted decisions waiting for their result: update id -> their entry."""

    def _add(
        self,
        event: HistoryEvent,
        what: What,
        text: str,
        *,
        actor: str = "system",
        kind: ActorKind | None = None,
        step: str = "",
        title: str = "",
        source: str = "",
        **extra: Any,
    ) -> None:
        if kind is None:
            kind = "system" if actor == "system" else "operator"
        info = self.steps.get(step.split(".")[0]) if step else None
        if info is not None and self.start is not None:
            source = source or self.start.process.location(info.span)
            title = title or step_title(info)
        self.entries.append(
            Entry(
                at=event_time(event),
                actor=actor or "unknown",
                actor_kind=kind,
                step=step,
                title=title,
                source=source,
                what=what,
                text=text,
                run=self.run,
                event_id=event.event_id,
                **extra,
            )
        )
