"""Long actions: the worker heartbeats for them, keeping their own progress details."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict
from temporalio.testing import ActivityEnvironment

from engine.contracts import TaskRequest
from workers import ActionContext, Registry, SecretStore, WorkerConfig, action


class Params(BaseModel):
    model_config = ConfigDict(extra="forbid")
    seconds: float


class Done(BaseModel):
    done: bool


@action("test.slow", description="Take a while", heartbeat=timedelta(seconds=0.3))
async def slow(params: Params, ctx: ActionContext) -> Done:
    ctx.heartbeat("halfway")
    await asyncio.sleep(params.seconds)
    return Done(done=True)


@action("test.quick", description="No heartbeat declared")
async def quick(params: Params, ctx: ActionContext) -> Done:
    await asyncio.sleep(params.seconds)
    return Done(done=True)


async def run(name: str) -> list[tuple[Any, ...]]:
    registry = Registry([slow, quick])
    activities = dict(
        zip(
            registry.names,
            registry.activities(config=WorkerConfig(), secrets=SecretStore(env={})),
            strict=True,
        )
    )
    env = ActivityEnvironment()
    beats: list[tuple[Any, ...]] = []
    env.on_heartbeat = lambda *details: beats.append(details)
    request = TaskRequest(step="s", title="S", source="t.mops:1:1", arguments={"seconds": 1.0})
    assert await env.run(activities[name], request) == {"done": True}
    return beats


async def test_a_declared_heartbeat_keeps_beating_with_the_latest_details() -> None:
    beats = await run("test.slow")
    assert beats[0] == ("halfway",)
    assert len(beats) >= 4  # ~every 0.1 s over 1 s, the action's own beat first
    assert set(beats) == {("halfway",)}


async def test_without_a_declared_heartbeat_nothing_beats() -> None:
    assert await run("test.quick") == []


def test_the_heartbeat_reaches_the_signature_and_so_the_ir() -> None:
    assert slow.signature().heartbeat_seconds == 0.3
    assert quick.signature().heartbeat_seconds is None
