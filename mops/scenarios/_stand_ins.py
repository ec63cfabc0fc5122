"""Scripted stand-ins for every action, for scenario runs and simulations.

Each stand-in is registered under the real action's name with the real
action's params and result models, so the worker checks arguments and
results exactly as it would for the real thing. What a stand-in returns (or
how it fails) comes from a :class:`ScriptBook`, looked up by the campaign and
the step it runs for; a step that is not scripted returns typed defaults.
``notify.send`` records every notice instead of sending it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import temporalio.activity
from pydantic import BaseModel

from dsl import ListOf, OneOf, Scalar, Type, TypeSyntaxError, parse_type
from engine.workflow.facts import NoticeKind
from workers import Action, ActionContext, ActionFailed, Registry, SecretStore


@dataclass(frozen=True)
class Outcome:
    """One scripted behaviour of a task: return ``fields``, or fail ``times`` times."""

    fields: Mapping[str, Any] = field(default_factory=dict)
    """Result fields as JSON; fields not given get typed defaults."""
    failure: str | None = None
    times: int | None = None
    """For a failure: how many attempts fail before the next outcome (None: all)."""


@dataclass(frozen=True)
class Notice:
    """A notice ``notify.send`` was asked to deliver."""

    campaign: str
    to: tuple[str, ...]
    message: str
    step: str | None
    at: dt.datetime
    kind: NoticeKind | None = None
    """For a notice about a work item or approval: which one (None: a ``notify`` step)."""


Chooser = Callable[[str, str, int], Outcome | None]
"""``(campaign, step, call number) -> outcome`` for simulations; None: the default."""

NoticeHook = Callable[[str, str, NoticeKind | None, dt.datetime], None]
"""``(campaign, step id, which notice, when)``: told of every notice as it is sent."""


class ScriptBook:
    """What every task returns, per campaign and step, and every notice sent."""

    def __init__(self) -> None:
        self._scripts: dict[tuple[str, str], list[Outcome]] = {}
        self._calls: dict[tuple[str, str], int] = {}
        self.choosers: dict[str, Chooser] = {}
        self.notices: list[Notice] = []
        self.failures: dict[tuple[str, str], int] = {}
        """How many attempts failed, per (campaign, step)."""
        self.results: dict[tuple[str, str], dict[str, Any]] = {}
        """What each task returned last, per (campaign, step), as JSON."""
        self.on_notice: NoticeHook | None = None

    def script(self, campaign: str, step: str, outcomes: list[Outcome]) -> None:
        self._scripts[(campaign, step)] = outcomes

    def next_outcome(self, campaign: str, step: str) -> Outcome:
        """The outcome of the next call of ``step`` in ``campaign``."""
        key = (campaign, step)
        call = self._calls.get(key, 0)
        self._calls[key] = call + 1
        chooser = self.choosers.get(campaign)
        if chooser is not None:
            return chooser(campaign, step, call) or Outcome()
        outcomes = self._scripts.get(key)
        if not outcomes:
            return Outcome()
        # Walk the outcomes: a failure covers 'times' calls, a return one; the last repeats.
        for outcome in outcomes:
            span = outcome.times if outcome.failure is not None else 1
            if span is None or call < span:
                return outcome
            call -= span
        return outcomes[-1]


def stand_in_registry(real: Registry, book: ScriptBook) -> Registry:
    """Every action of ``real``, replaced by a stand-in reading ``book``."""
    stand_ins: list[Action[Any, Any]] = []
    for name in real.names:
        action = real.get(name)
        assert action is not None
        stand_ins.append(_stand_in(action, book))
    return Registry(stand_ins)


class AnySecret(SecretStore):
    """Every secret resolves to a harmless placeholder: stand-ins send nothing anywhere."""

    def get(self, name: str) -> str:
        return f"scenario-secret-{name}"


def _stand_in(real: Action[Any, Any], book: ScriptBook) -> Action[Any, Any]:
    result_types = {f.name: f.type for f in real.signature().result}

    async def run(params: BaseModel, ctx: ActionContext) -> dict[str, Any]:
        now = temporalio.activity.info().current_attempt_scheduled_time
        if real.name == "notify.send":
            data = params.model_dump(mode="json")
            book.notices.append(
                Notice(
                    ctx.campaign_id,
                    tuple(data["to"]),
                    data["message"],
                    data.get("step"),
                    now,
                    None if ctx.notice is None else ctx.notice.kind,
                )
            )
            if book.on_notice is not None and ctx.notice is not None:
                book.on_notice(ctx.campaign_id, ctx.notice.step, ctx.notice.kind, now)
        outcome = book.next_outcome(ctx.campaign_id, ctx.step)
        if outcome.failure is not None:
            key = (ctx.campaign_id, ctx.step)
            book.failures[key] = book.failures.get(key, 0) + 1
            raise ActionFailed(outcome.failure, retryable=True)
        values = {name: typed_default(kind, now) for name, kind in result_types.items()}
        if real.name == "notify.send":
            values["delivered"] = params.model_dump(mode="json")["to"]
        values.update(outcome.fields)
        book.results[(ctx.campaign_id, ctx.step)] = values
        return values

    run.__module__ = __name__
    return Action(
        name=real.name,
        description=f"Scenario stand-in for {real.name}",
        params=real.params,
        result=real.result,
        run=run,
        timeout=real.timeout,
        heartbeat=None,
    )


def typed_default(type_name: str, now: dt.datetime) -> Any:
    """A plain value of a type, as JSON: what an unscripted step returns."""
    try:
        type_ = parse_type(type_name)
    except TypeSyntaxError:
        return None
    return _default(type_, now)


def _default(type_: Type, now: dt.datetime) -> Any:
    match type_:
        case ListOf():
            return []
        case OneOf(choices=choices):
            return choices[0]
        case Scalar(name=name):
            defaults: dict[str, Any] = {
                "text": "",
                "number": 0,
                "bool": False,
                "date": now.date().isoformat(),
                "datetime": now.isoformat(),
                "duration": 0,
                "money": {"amount": "0", "currency": "EUR"},
                "percent": "0",
                "email": "someone@example.com",
                "url": "https://example.com/",
                "record": {},
            }
            return defaults.get(name)
    return None
