"""Run any process of ``processes/`` to its end with generic stand-ins, for replay tests.

Every action but ``log.info`` is replaced by a stand-in that checks its arguments
against the real action's parameters and returns typed sample values for the
real action's result (``notify.send`` is the recording stand-in of support.py).
Every work item and approval is answered by an auto-responder acting as people
who may act on it (from ``processes/team.toml`` when there is one, otherwise a
made-up team with three people for each role the process names): approvals
are approved, work items completed with typed sample outputs. The campaign runs
on a worker with ``max_cached_workflows=0`` (every workflow task replays from
the start) and its history can then be replayed with temporalio's ``Replayer``.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import enum
import os
import re
import types
import typing
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import AnyUrl, BaseModel
from support import raw_act, recorded_notify, signed, worker_for
from temporalio.client import (
    WorkflowFailureError,
    WorkflowHandle,
    WorkflowHistory,
    WorkflowUpdateFailedError,
)
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer

from dsl import Catalogue, load_directory
from engine import ir
from engine.compiler import compile_file
from engine.workflow.campaign import STATUS_QUERY, CampaignStart, CampaignStatus
from engine.workflow.team import Member, TeamSnapshot, snapshot
from engine.workflow.work_items import Act, WorkItem
from workers import WORKFLOWS, Action, ActionContext, Registry, load_registry, workflow_runner

ROOT = Path(__file__).resolve().parent.parent
PROCESSES = ROOT / "processes"
KEPT = {"log.info"}
"""Actions that run for real: they touch nothing outside the worker."""


# ---- typed sample values -------------------------------------------------------------


def sample_for_annotation(annotation: Any) -> Any:
    """A JSON value a pydantic field of ``annotation`` accepts."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return sample_for_annotation(typing.get_args(annotation)[0])
    if origin in (types.UnionType, typing.Union):
        options = [a for a in typing.get_args(annotation) if a is not type(None)]
        return sample_for_annotation(options[0]) if options else None
    if origin is typing.Literal:
        return typing.get_args(annotation)[0]
    if origin in (list, tuple, set, frozenset):
        return []
    if origin is dict:
        return {}
    if isinstance(annotation, type):
        if issubclass(annotation, BaseModel):
            return sample_model(annotation)
        if issubclass(annotation, enum.Enum):
            return next(iter(annotation)).value
        if issubclass(annotation, bool):
            return True
        if issubclass(annotation, int | float | Decimal):
            return 1
        if issubclass(annotation, dt.datetime):
            return "2026-01-05T09:00:00+00:00"
        if issubclass(annotation, dt.date):
            return "2026-01-05"
        if issubclass(annotation, dt.timedelta):
            return 3600
        if issubclass(annotation, AnyUrl):
            return "https://example.com/sample"
    if "Email" in getattr(annotation, "__name__", ""):
        return "someone@example.com"
    if "Url" in getattr(annotation, "__name__", ""):
        return "https://example.com/sample"
    return "sample"


def sample_model(model: type[BaseModel]) -> dict[str, Any]:
    return {
        info.alias or name: sample_for_annotation(info.annotation)
        for name, info in model.model_fields.items()
    }


def sample_for_type(type_: ir.TypeRef) -> Any:
    """A JSON value the process language's ``type_`` accepts (inputs, work item outputs)."""
    match type_:
        case ir.ListType(item=item):
            return [sample_for_type(item)]
        case ir.OneOfType(choices=choices):
            return choices[0]
        case ir.ScalarType(name=name):
            return {
                "text": "sample",
                "number": 1,
                "bool": True,
                "date": "2026-01-05",
                "datetime": "2026-01-05T09:00:00+00:00",
                "duration": 3600,
                "money": {"amount": "100", "currency": "EUR"},
                "percent": 10,
                "email": "someone@example.com",
                "url": "https://example.com/sample",
                "secret": "sample_secret",
                "record": {},
                "any": "sample",
            }.get(name, "sample")
    raise AssertionError(f"unknown type {type_!r}")


# ---- stand-ins -------------------------------------------------------------------------


def stand_in(real: Action[Any, Any]) -> Action[Any, Any]:
    """An action of the same name and signature that only returns sample values."""

    async def run(params: BaseModel, ctx: ActionContext) -> BaseModel:
        result: BaseModel = real.result.model_validate(sample_model(real.result))
        return result

    return Action(
        name=real.name,
        description=f"Stand-in for {real.name}",
        params=real.params,
        result=real.result,
        run=run,
        timeout=real.timeout,
    )


def stand_in_registry(real: Registry | None = None) -> Registry:
    """Every action of ``real`` replaced, but :data:`KEPT`. By default ``real`` holds the
    built-ins and the actions of installed plugins (as ``mops worker`` loads them)."""
    real = real or load_registry()
    actions: list[Action[Any, Any]] = []
    for name in real.names:
        action = real.get(name)
        assert action is not None
        if name in KEPT:
            actions.append(action)
        elif name == "notify.send":
            actions.append(recorded_notify)
        else:
            actions.append(stand_in(action))
    return Registry(actions)


# ---- the team and the auto-responder -----------------------------------------------------


def team_for(process: ir.ProcessIR, team_file: Path | None) -> TeamSnapshot:
    """The team of ``team_file``, or one made up for the roles and people the process names."""
    if team_file is not None and team_file.exists():
        return snapshot(load_directory(team_file))
    people: dict[str, Member] = {}
    for step in ir.iter_steps(process.body):
        if not isinstance(step, ir.HumanStep):
            continue
        parties = list(step.parties) + [p for rung in step.escalations for p in rung.to]
        for party in parties:
            if party.kind == "role":
                for n in range(1, 4):
                    people[f"{party.name}_{n}"] = Member(roles=(party.name,))
            else:
                people.setdefault(party.name, Member())
    return TeamSnapshot(version="made-up-for-replay", people=people)


def _candidates(item: WorkItem, team: TeamSnapshot) -> list[str]:
    named: list[str] = list(item.added)
    for party in item.parties:
        kind, _, name = party.partition(":")
        named.extend(team.with_role(name) if kind == "role" else [name])
    acted = {d.actor for d in item.decisions}
    return [p for p in dict.fromkeys(named) if p not in item.barred and p not in acted]


async def respond_once(
    handle: WorkflowHandle[Any, Any], status: CampaignStatus, team: TeamSnapshot
) -> int:
    """Act once on every open step someone may act on; returns how many acts were taken."""
    taken = 0
    for item in status.open_items:
        for person in _candidates(item, team)[:1]:
            work = item.form == "work"
            act = Act(
                step=item.step,
                actor=person,
                action="complete" if work else "approve",
                outputs={name: sample_for_type(t) for name, t in item.returns} if work else {},
            )
            with contextlib.suppress(WorkflowUpdateFailedError):  # the step moved on
                await raw_act(handle, act.model_dump(mode="json"), by="replay-suite")
                taken += 1
    return taken


# ---- a whole run -------------------------------------------------------------------------


def compile_process(path: Path, registry: Registry, root: Path = ROOT) -> ir.ProcessIR:
    team_file = path.parent / "team.toml"
    directory = load_directory(team_file) if team_file.exists() else None
    process, _ = compile_file(path, Catalogue(registry.signatures()), directory=directory)
    return process.model_copy(update={"source_file": str(path.relative_to(root))})


def sample_inputs(process: ir.ProcessIR) -> dict[str, Any]:
    """Sample values for the inputs that have no default."""
    return {i.name: sample_for_type(i.type) for i in process.inputs if i.default is None}


async def _drive(
    env: WorkflowEnvironment, handle: WorkflowHandle[Any, Any], team: TeamSnapshot
) -> dict[str, Any]:
    """Answer people steps at once; otherwise move the test server's clock on, an hour at
    first and twice as far each time nothing changed (so a year of waits takes few steps,
    and no deadline passes while a step waits for an answer the responder can give)."""
    step = dt.timedelta(hours=1)
    last: tuple[int, int] | None = None
    for _ in range(5000):
        try:
            status: CampaignStatus = await handle.query(
                STATUS_QUERY, result_type=CampaignStatus, rpc_timeout=dt.timedelta(seconds=5)
            )
        except RPCError:  # between two runs (continue-as-new): look again
            await asyncio.sleep(0.05)
            continue
        if status.state not in ("running", "paused"):
            result: dict[str, Any] = await handle.result()
            return result
        if await respond_once(handle, status, team):
            step, last = dt.timedelta(hours=1), None
            continue
        now = (len(status.steps), status.generation)
        step = min(step * 2, dt.timedelta(days=30)) if now == last else dt.timedelta(hours=1)
        last = now
        await env.sleep(step)
    raise AssertionError(f"{handle.id} did not end")


async def run_to_the_end(
    env: WorkflowEnvironment, path: Path, *, inputs: dict[str, Any] | None = None, root: Path = ROOT
) -> tuple[dict[str, Any], WorkflowHistory]:
    """Run the process of ``path`` with stand-ins and the auto-responder; its result (or
    ``{"failed": reason}``) and its history (of the last run, when it continued as new)."""
    registry = stand_in_registry()
    process = compile_process(path, registry, root)
    team = team_for(process, path.parent / "team.toml")
    queue = f"replay-{uuid.uuid4()}"
    campaign = f"{process.name}-{uuid.uuid4().hex[:8]}"
    with sample_secrets(path.parent):
        return await _run(env, registry, process, team, inputs, queue, campaign)


async def _run(
    env: WorkflowEnvironment,
    registry: Registry,
    process: ir.ProcessIR,
    team: TeamSnapshot,
    inputs: dict[str, Any] | None,
    queue: str,
    campaign: str,
) -> tuple[dict[str, Any], WorkflowHistory]:
    client = env.client
    async with worker_for(client, registry, queue):
        start = CampaignStart(
            process=process,
            inputs=sample_inputs(process) if inputs is None else inputs,
            started_by="replay-suite",
            team=team,
        )
        handle = await client.start_workflow(
            process.name,
            args=signed(start, campaign),
            id=campaign,
            task_queue=queue,
        )
        try:
            result = await _drive(env, handle, team)
        except WorkflowFailureError as failure:
            result = {"failed": str(getattr(failure.cause, "message", failure.cause))}
        history = await handle.fetch_history()
    return result, history


@contextlib.contextmanager
def sample_secrets(folder: Path) -> Iterator[None]:
    """Every secret the processes in ``folder`` name (a process's sub-processes
    among them), set to a sample value for the worker."""
    sources = "".join(p.read_text() for p in folder.glob("*.mops"))
    names = {f"MOPS_SECRET_{n.upper()}" for n in re.findall(r'secret\("([^"]+)"\)', sources)}
    saved = {name: os.environ.get(name) for name in names}
    os.environ.update({name: "sample-secret-value" for name in names})
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def replayer() -> Replayer:
    return Replayer(
        workflows=list(WORKFLOWS),
        workflow_runner=workflow_runner(),
        data_converter=pydantic_data_converter,
    )
