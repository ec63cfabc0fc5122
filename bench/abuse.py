"""Abuse live campaigns with random payloads and inputs, and count what went wrong.

    python -m bench abuse [--cases N] [--seed S]

On a fresh embedded server, with a worker of the built-in actions and a secret
bound nowhere, it starts campaigns of one process with random inputs (as a
script would, through the client's checks), then sends them random decisions
(raw ``act`` updates, as a script could) and random events (raw signals). Every
answer must be a refusal with a reason or an acceptance; at the end no campaign
may hold a failed workflow task, and no history may hold a run of 6 characters of
the secret. The suite runs a few dozen cases (tests/test_abuse.py); this runs more
and writes the counts to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import secrets
import string
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from temporalio.api.enums.v1 import EventType, WorkflowTaskFailedCause
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import RPCError

from bench._harness import BENCH, BENCH_TRUST
from engine.client import resolve_inputs, start_campaign
from engine.compiler import compile_process
from engine.errors import UserError
from engine.workflow.campaign import ACT_UPDATE, EVENT_SIGNAL
from engine.workflow.provenance import Seal, SignedKind
from engine.workflow.team import Member, TeamSnapshot

PROCESS = """\
process abuse "Abuse"
  input title: text = "launch"
  input budget: money = 10 EUR
  input contact: email = "ana@example.com"
  input hook: url = "https://hooks.example.com/in"
  input tags: list of text = ["a"]
  work draft "Draft"
    assign role writer
    deadline 30 days
    escalate to role lead
    returns doc_url: url, words: number
  task push = http.post(url: hook, json: {w: draft.words}, headers: {x: secret("tok")})
  output words = draft.words
"""
SECRET_NAME = "tok"
TEAM = TeamSnapshot(
    version="abuse",
    people={"cleo": Member(roles=("writer",)), "lea": Member(roles=("lead",))},
)

ATOMS: list[Any] = [
    None, True, False, 0, -1, 1.5, 10**30, "", "x", "a@" + "." * 40_000,
    "=HYPERLINK(\"http://x\")", "1" * 5_001, "\u0000", "é" * 10, "{{}" * 30,
    "x" * 150_000, [0] * 20_000, {"amount": "5", "currency": "XYZ"},
    {"amount": "1" * 40, "currency": "EUR"}, "9999-12-31", "P99999999D",
]  # fmt: skip


def random_value(rng: random.Random, depth: int = 0) -> Any:
    """A JSON value: adversarial atoms, random texts and numbers, lists and records."""
    roll = rng.random()
    if roll < 0.35 or depth > 3:
        return rng.choice(ATOMS)
    if roll < 0.55:
        return "".join(rng.choice(string.printable) for _ in range(rng.randint(0, 40)))
    if roll < 0.65:
        return rng.choice([rng.randint(-(10**40), 10**40), rng.uniform(-1e300, 1e300)])
    if roll < 0.8:
        return [random_value(rng, depth + 1) for _ in range(rng.randint(0, 5))]
    keys = ["doc_url", "words", "step", "actor", "action", "comment", "outputs", "to", "x"]
    return {rng.choice(keys): random_value(rng, depth + 1) for _ in range(rng.randint(0, 5))}


GOOD_DECISION = {
    "step": "draft",
    "actor": "cleo",
    "action": "complete",
    "outputs": {"doc_url": "https://cms.example.com/a", "words": 900},
}
GOOD_INPUTS = {"title": "Spring", "budget": "5000 EUR", "contact": "ana@example.com"}


def random_decision(rng: random.Random) -> Any:
    roll = rng.random()
    if roll < 0.3:
        return dict(GOOD_DECISION, comment=rng.choice(["ok", "=SUM(A1)", "x" * 20_000]))
    if roll < 0.45:
        return random_value(rng)
    decision: dict[str, Any] = {
        "step": rng.choice(["draft", "push", "nope", random_value(rng)]),
        "actor": rng.choice(["cleo", "lea", "mallory", random_value(rng)]),
        "action": rng.choice(["complete", "approve", "reject", "delegate", "x"]),
    }
    if rng.random() < 0.8:
        decision["outputs"] = {
            "doc_url": rng.choice(["https://cms.example.com/a", random_value(rng)]),
            "words": rng.choice([900, random_value(rng)]),
        }
    if rng.random() < 0.5:
        decision["comment"] = rng.choice(["ok", "x" * 20_000, random_value(rng)])
    return decision


@dataclass
class Counts:
    inputs: int = 0
    inputs_refused: int = 0
    decisions: int = 0
    decisions_refused: int = 0
    events: int = 0
    closed: int = 0
    """Refused by the server: a campaign that had ended, a payload over 2 MB."""
    tracebacks: list[str] = field(default_factory=list)
    stuck: list[str] = field(default_factory=list)
    leaks: list[str] = field(default_factory=list)
    campaigns: int = 0


async def abuse(client: Client, task_queue: str, secret: str, *, cases: int, seed: int) -> Counts:
    """Run ``cases`` random inputs, decisions and events against live campaigns."""
    from dsl import Catalogue, SourceFile, check_source
    from workers import builtin_registry

    rng = random.Random(seed)
    counts = Counts()
    catalogue = Catalogue(builtin_registry().signatures())
    checked = check_source(SourceFile.from_text(PROCESS, "abuse.mops"), catalogue)
    process = compile_process(checked, catalogue)
    handles: list[WorkflowHandle[Any, Any]] = []
    for case in range(cases):
        kind = "input" if not handles or rng.random() < 0.25 else rng.choice(["act", "event"])
        try:
            if kind == "input":
                counts.inputs += 1
                given: dict[str, Any] = {
                    name: random_value(rng)
                    for name in rng.sample(["title", "budget", "contact", "hook", "tags"], 2)
                }
                if rng.random() < 0.4:
                    given = dict(GOOD_INPUTS)
                try:
                    inputs = resolve_inputs(process, json_values=given)
                except UserError:
                    counts.inputs_refused += 1
                    inputs = resolve_inputs(process)
                handles.append(
                    await start_campaign(
                        client,
                        process,
                        inputs,
                        task_queue=task_queue,
                        credentials=BENCH,
                        campaign_id=f"abuse-{seed}-{case}-{uuid.uuid4().hex[:6]}",
                        team=TEAM,
                    )
                )
            elif kind == "act":
                counts.decisions += 1
                try:
                    handle = rng.choice(handles)
                    decision, nonce = random_decision(rng), uuid.uuid4().hex
                    sealed = _sealed("act", handle.id, decision, nonce=nonce)
                    await asyncio.wait_for(
                        handle.execute_update(ACT_UPDATE, args=[decision, *sealed], id=nonce), 30
                    )
                except WorkflowUpdateFailedError:
                    counts.decisions_refused += 1

            else:
                counts.events += 1
                event = {"name": "e", "key": "k", "data": random_value(rng)}
                handle = rng.choice(handles)
                await handle.signal(EVENT_SIGNAL, args=[event, *_sealed("event", handle.id, event)])
        except (RPCError, TimeoutError) as error:
            # The server's own answers are clean too: a payload over its 2 MB, a
            # campaign that has ended (it failed on the secret it may not send).
            if isinstance(error, RPCError) and any(
                word in error.message.lower() for word in ("size", "already completed")
            ):
                counts.closed += 1
                continue
            counts.tracebacks.append(f"case {case} ({kind}): {type(error).__name__}: {error}")
        except Exception as error:  # the point: count whatever escapes
            counts.tracebacks.append(f"case {case} ({kind}): {type(error).__name__}: {error}")
    await _settled(handles)
    counts.campaigns = len(handles)
    runs = [secret[i : i + 6] for i in range(len(secret) - 5)]
    for handle in handles:
        history = await handle.fetch_history()
        failed = [
            e
            for e in history.events
            if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED
            # A signal that came while a task ran makes the server ask for that task
            # again with the signal in it: a retry Temporal drives, not a stuck task.
            and e.workflow_task_failed_event_attributes.cause != _NEW_EVENT_CAME
        ]
        if failed:
            reason = failed[0].workflow_task_failed_event_attributes.failure.message[:200]
            counts.stuck.append(f"{handle.id}: {reason}")
        text = history.to_json()
        counts.leaks += [f"{handle.id}: {run}" for run in runs if run in text]
    return counts


def _sealed(
    what: SignedKind, campaign: str, payload: Any, *, nonce: str | None = None
) -> list[Seal]:
    """The seal a script holding the benchmarks' operator key would add: a decision is
    asserted for the actor it names; one naming nobody goes unsigned (and is refused)."""
    credentials = BENCH
    if what == "act":
        actor = payload.get("actor") if isinstance(payload, dict) else None
        if not isinstance(actor, str) or not actor:
            return []
        credentials = BENCH.asserting(actor)
    sent = pydantic_data_converter.payload_converter.to_payload(payload).data
    return [credentials.signer.sign(what, campaign, sent, credentials, nonce=nonce)]


def new_secret() -> str:
    return "tok_" + secrets.token_urlsafe(18)


async def measure(cases: int, seed: int) -> tuple[Counts, float]:
    from bench._harness import embedded_server
    from workers import WORKFLOWS, WorkerConfig, build_worker, builtin_registry, workflow_runner

    secret = new_secret()
    os.environ[f"MOPS_SECRET_{SECRET_NAME.upper()}"] = secret
    started = time.monotonic()
    async with embedded_server() as server:
        queue = f"abuse-{uuid.uuid4().hex[:8]}"
        worker = build_worker(
            server.client,
            task_queue=queue,
            registry=builtin_registry(),
            workflows=WORKFLOWS,
            workflow_runner=workflow_runner(),
            config=WorkerConfig.from_env(),
            trust=BENCH_TRUST,
        )
        async with worker:
            counts = await abuse(server.client, queue, secret, cases=cases, seed=seed)
    return counts, time.monotonic() - started


def render(counts: Counts, command: str, seconds: float) -> str:
    from bench._report import machine

    return f"""Command: `{command}` ({machine()}; {seconds:.0f} s)

Random inputs, decisions and events sent to live campaigns of one process (a work
item, a task that sends a worker's secret) on the embedded server, as a script
could send them: adversarial atoms (an e-mail of 40,000 dots, a number of 5,001
digits, a text of 150,000 characters, a list of 20,000 items, formulas, made-up
currencies, dates at the end of time) mixed with random texts, numbers, lists and
records.

| | count |
|---|---|
| campaigns started | {counts.campaigns} |
| inputs tried (refused at the door) | {counts.inputs} ({counts.inputs_refused}) |
| decisions tried (refused with a reason) | {counts.decisions} ({counts.decisions_refused}) |
| events sent | {counts.events} |
| refused by the server (campaign ended, over 2 MB) | {counts.closed} |
| tracebacks (anything but a refusal or an acceptance) | {len(counts.tracebacks)} |
| stuck workflow tasks (WORKFLOW_TASK_FAILED in any history) | {len(counts.stuck)} |
| runs of 6 characters of the secret found in any history | {len(counts.leaks)} |
"""


def main(argv: list[str] | None = None) -> None:
    from bench._report import write_section

    parser = argparse.ArgumentParser(prog="python -m bench abuse")
    parser.add_argument("--cases", type=int, default=600)
    parser.add_argument("--seed", type=int, default=16)
    args = parser.parse_args(argv)
    counts, seconds = asyncio.run(measure(args.cases, args.seed))
    command = f"python -m bench abuse --cases {args.cases} --seed {args.seed}"
    body = render(counts, command, seconds)
    print(body)
    for problem in [*counts.tracebacks, *counts.stuck, *counts.leaks][:20]:
        print("  ", problem)
    write_section("Abuse: random payloads against live campaigns", body)


_NEW_EVENT_CAME = WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND


async def _settled(handles: list[WorkflowHandle[Any, Any]], within: float = 120) -> None:
    """Wait until no campaign has a workflow task waiting to run (the last signals and
    decisions judged), however loaded the machine is."""
    deadline = time.monotonic() + within
    for handle in handles:
        while time.monotonic() < deadline:
            described = await handle.describe()
            if not described.raw_description.HasField("pending_workflow_task"):
                break
            await asyncio.sleep(0.1)
