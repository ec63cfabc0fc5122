"""A cohort what-if: N campaigns of one process, people and events drawn from a model.

Every campaign runs the real interpreter on one shared time-skipping server
(:mod:`mops.scenarios._cohort`); people answer through the real ``act``
update after drawn delays, several of them where a step needs a quorum;
actions are stand-ins whose results and failures are scripted or drawn;
events arrive after drawn delays, with the key the campaign waits for.
"""

from __future__ import annotations

import csv
import datetime as dt
import sys
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from temporalio.client import Client

from engine import ir
from engine.client import resolve_inputs
from engine.errors import UserError
from engine.workflow import business_time
from engine.workflow.campaign import ExternalEvent
from engine.workflow.evaluate import EvaluationError, evaluate
from engine.workflow.facts import StepOpened
from engine.workflow.team import TeamSnapshot
from engine.workflow.values import ValueProblem, display, from_json, from_plain_json
from engine.workflow.work_items import Action, WorkItem
from mops.scenarios._cohort import Cohort, PlannedAnswer
from mops.scenarios._drive import CampaignPlan
from mops.scenarios._fast import FastCohort, processes_for, run_spread
from mops.scenarios._inproc import plays
from mops.scenarios._model import Model, business_hours, rng_for
from mops.scenarios._plan import DEFAULT_START
from mops.scenarios._run import quiet_sdk, start_test_server
from mops.scenarios._stand_ins import Outcome, ScriptBook, stand_in_registry, typed_default
from mops.scenarios._summary import Summary, summarise
from workers import Registry

HORIZON = dt.timedelta(days=365)
"""How long a simulated campaign may run before it is reported as still running."""
RESOLUTION = dt.timedelta(minutes=15)
"""Simulated people answer, and events arrive, on a grid of this step at most (a tenth
of the quickest median answer, if that is shorter): a finer grid costs more stops of
the server's clock (docs/scenarios.md, "How fast")."""


def resolution(model: Model) -> dt.timedelta:
    """The grid of a simulation: a tenth of the quickest median time, 0.1 s to 15 min."""
    medians = [b.answer.median_hours for b in (model.default, *model.roles.values())]
    medians += [b.answer.median_hours for b in model.steps.values()]
    medians += [e.after.median_hours for e in model.events.values()]
    tenth = dt.timedelta(hours=min(medians) / 10)
    return max(dt.timedelta(milliseconds=100), min(RESOLUTION, tenth))


def hours_per_day(calendar: ir.Calendar | None) -> float:
    office = (calendar or business_time.PLAIN).office_hours
    if office is None:
        return 24.0
    span = dt.datetime.combine(dt.date.min, office[1]) - dt.datetime.combine(dt.date.min, office[0])
    return span.total_seconds() / 3600


def read_cases(path: Path) -> list[dict[str, str]]:
    """Real cases, one campaign's inputs a row (the header names the inputs).

    Raises:
        UserError: the file cannot be read or has no rows.
    """
    try:
        with path.open(encoding="utf-8", newline="") as stream:
            rows = [
                {k.strip(): v for k, v in row.items() if k and v not in (None, "")}
                for row in csv.DictReader(stream)
            ]
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise UserError(f"{path}: cannot be read ({error})") from None
    if not rows:
        raise UserError(f"{path}: has no cases (a header line, then one line per campaign)")
    return rows


def campaign_inputs(
    process: ir.ProcessIR,
    model: Model,
    *,
    seed: int,
    runs: int,
    base: Mapping[str, Any],
    texts: Mapping[str, str],
    cases: Sequence[Mapping[str, str]] = (),
) -> list[dict[str, Any]]:
    """Each campaign's inputs: the scenario's (``base``, JSON), merged with drawn values,
    a row of ``cases`` (in turn) and ``texts`` (from ``-i``), later ones winning.

    Raises:
        UserError: an input is unknown, missing or of the wrong type (says which case).
    """
    result: list[dict[str, Any]] = []
    for number in range(runs):
        rng = rng_for(seed, "inputs", number)
        given: dict[str, str] = {name: _as_text(d.value(rng)) for name, d in model.inputs.items()}
        row = cases[number % len(cases)] if cases else {}
        given.update(row)
        given.update(texts)
        json_values = {k: v for k, v in base.items() if k not in given}
        try:
            result.append(resolve_inputs(process, texts=given, json_values=json_values))
        except UserError as error:
            where = f" (case {number % len(cases) + 1})" if row else ""
            raise UserError(f"{error}{where}", hint=error.hint) from None
    return result


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(_as_text(v) for v in value)
    return str(value)


class SimulatedWorld:
    """People, actions and events as a :class:`Model` says they behave."""

    def __init__(
        self,
        model: Model,
        process: ir.ProcessIR,
        team: TeamSnapshot | None,
        book: ScriptBook,
        *,
        seed: int,
        inputs: Mapping[str, Mapping[str, Any]],
    ) -> None:
        self.model, self.process, self.team, self.book = model, process, team, book
        self.seed = seed
        self.inputs = inputs
        self.outputs: dict[tuple[str, str], dict[str, Any]] = {}
        self.answered: dict[tuple[str, str], set[str]] = {}
        """Who was chosen to answer each step of each campaign (for separation of duties)."""
        self.steps = {s.id: s for s in ir.iter_steps(process.body)}
        self.loops = _loops_around(process.body)

    # ---- people ------------------------------------------------------------------

    def answers(self, campaign: str, opened: StepOpened, step: ir.HumanStep) -> list[PlannedAnswer]:
        role = next((p.name for p in step.parties if p.kind == "role"), "(named people)")
        behaviour = self.model.behaviour(step.id, role)
        barred: set[str] = set()
        for expr in step.not_by:
            for ref in _refs(expr):
                barred |= self.answered.get((campaign, ref), set())
        people = sorted(self._eligible(opened) - barred)
        if not people:
            return []
        needed = {"any": 1, "all": len(people), "count": step.quorum_count or 1}[step.quorum]
        rng = rng_for(self.seed, campaign, step.id, opened.round)
        chosen = rng.sample(people, min(needed, len(people)))
        self.answered.setdefault((campaign, step.id), set()).update(chosen)
        answers: list[PlannedAnswer] = []
        for pick, person in enumerate(chosen):
            rng = rng_for(self.seed, campaign, step.id, opened.round, pick)
            delay = business_hours(behaviour.answer.draw(rng))
            if step.form == "work":
                outputs = {
                    name: typed_default(ir.type_text(type_), dt.datetime.now(dt.UTC))
                    for name, type_ in ((f.name, f.type) for f in step.returns)
                }
                outputs.update({k: d.value(rng) for k, d in behaviour.outputs.items()})
                self.outputs[(campaign, step.id)] = outputs
                answers.append(PlannedAnswer("complete", delay, person, outputs=outputs))
                continue
            draw = rng.random()
            action: Action = (
                "approve"
                if draw < behaviour.approve
                else "request_changes"
                if draw < behaviour.approve + behaviour.changes
                else "reject"
            )
            answers.append(PlannedAnswer(action, delay, person, comment="simulated"))
        return answers

    def _eligible(self, opened: StepOpened) -> set[str]:
        people: set[str] = set()
        for party in opened.parties:
            kind, _, name = party.partition(":")
            if kind == "role":
                people.update(self.team.with_role(name) if self.team else [])
            else:
                people.add(name)
        return people

    # ---- actions -----------------------------------------------------------------

    def outcome(self, campaign: str, step_id: str, call: int) -> Outcome | None:
        step = self.steps.get(step_id)
        action = step.action if isinstance(step, ir.TaskStep) else ""
        behaviour = self.model.action(step_id, action)
        rng = rng_for(self.seed, campaign, step_id, call)
        if behaviour.fail and rng.random() < behaviour.fail:
            return Outcome(failure="simulated failure", times=1)
        if behaviour.returns:
            return Outcome(fields={k: d.value(rng) for k, d in behaviour.returns.items()})
        return None

    # ---- events ------------------------------------------------------------------

    def events_on_wait(
        self, campaign: str, step: ir.EventStep, at: dt.datetime
    ) -> list[tuple[dt.datetime, ExternalEvent]]:
        behaviour = self.model.events.get(step.event)
        if behaviour is None:
            return []
        due: list[tuple[dt.datetime, ExternalEvent]] = []
        for number, key in enumerate(self._keys(campaign, step)):
            rng = rng_for(self.seed, campaign, step.id, "event", number)
            if rng.random() >= behaviour.arrives:
                continue
            after = business_hours(behaviour.after.draw(rng))
            when = business_time.add(at, after, self.process.calendar)
            due.append((when, ExternalEvent(name=step.event, key=key)))
        return due

    def _keys(self, campaign: str, step: ir.EventStep) -> list[str]:
        """The keys the campaign waits with: the step's key worked out from the inputs and
        the outputs the simulated world gave, once for each item of the loops around it."""
        env: dict[str, Any] = {}
        for decl in self.process.inputs:
            value = self.inputs[campaign].get(decl.name)
            if value is not None:
                try:
                    env[decl.name] = from_json(value, decl.type)
                except (ValueProblem, ValueError):
                    continue
        for (owner, step_id), values in {**self.book.results, **self.outputs}.items():
            if owner == campaign:
                env[step_id] = from_plain_json(values)
        envs = [env]
        for loop in self.loops.get(step.id, ()):
            wider: list[dict[str, Any]] = []
            for each in envs:
                try:
                    items = evaluate(loop.items, each, self.process.calendar)
                except (EvaluationError, KeyError, TypeError):
                    return []
                wider.extend({**each, loop.variable: item} for item in items)
            envs = wider
        keys: list[str] = []
        for each in envs:
            try:
                keys.append(display(evaluate(step.key, each, self.process.calendar)))
            except (EvaluationError, KeyError, TypeError):
                return []
        return keys


def _refs(expr: Any) -> set[str]:
    """The names an expression reads (``plan.assignee`` reads ``plan``)."""
    if isinstance(expr, ir.Ref):
        return {expr.name}
    found: set[str] = set()
    if isinstance(expr, BaseModel):
        for name in type(expr).model_fields:
            found |= _refs(getattr(expr, name))
    elif isinstance(expr, tuple | list):
        for item in expr:
            found |= _refs(item)
    return found


def _loops_around(body: Sequence[ir.AnyStep]) -> dict[str, tuple[ir.ForEachStep, ...]]:
    """For each step, the ``for each`` loops it is inside, outermost first."""
    found: dict[str, tuple[ir.ForEachStep, ...]] = {}

    def walk(steps: Sequence[ir.AnyStep], loops: tuple[ir.ForEachStep, ...]) -> None:
        for step in steps:
            found[step.id] = loops
            inner = (*loops, step) if isinstance(step, ir.ForEachStep) else loops
            for child in ir.child_bodies(step):
                walk(child, inner)

    walk(body, ())
    return found


async def run_cohort(
    process: ir.ProcessIR,
    team: TeamSnapshot | None,
    registry: Registry,
    model: Model,
    inputs: Sequence[dict[str, Any]],
    *,
    seed: int,
    horizon: dt.timedelta = HORIZON,
    sandboxed: bool = False,
    on_server: bool = False,
    processes: int | None = None,
    before_shutdown: Callable[[Client, Sequence[str]], Awaitable[None]] | None = None,
) -> Summary:
    """Run one campaign per entry of ``inputs`` and sum up what they did.

    The campaigns run in this process, the server's part played here
    (:class:`FastCohort`), unless ``on_server`` or ``sandboxed`` is given, the
    process calls a sub-process, or ``before_shutdown`` wants the histories: then
    they run on a time-skipping test server. ``before_shutdown`` gets the test
    server's client and the campaigns' ids once they have ended, before the server
    goes (to read their histories, say). In this process, a large cohort is spread
    over ``processes`` forked processes (default: one per hundred campaigns, up to
    one per core); the result is the same.
    """
    book = ScriptBook()
    ids = [f"{process.name}-sim-{seed}-{n}" for n in range(len(inputs))]
    world = SimulatedWorld(
        model, process, team, book, seed=seed, inputs=dict(zip(ids, inputs, strict=True))
    )
    start = DEFAULT_START.replace(tzinfo=dt.UTC)
    plans = []
    for campaign, given in zip(ids, inputs, strict=True):
        book.choosers[campaign] = world.outcome
        plans.append(
            CampaignPlan(
                campaign_id=campaign,
                process=process,
                inputs=given,
                start_at=start,
                responder=_nobody,
                team=team,
            )
        )
    here = not (on_server or sandboxed or before_shutdown) and plays(process)
    cohort = (FastCohort if here else Cohort)(
        stand_in_registry(registry, book),
        book,
        world,
        seed=seed,
        sandboxed=sandboxed,
        resolution=resolution(model),
    )
    if isinstance(cohort, FastCohort):
        spread = processes_for(len(plans)) if processes is None else processes
        with quiet_sdk():
            done = await run_spread(cohort, plans, horizon=horizon, processes=spread)
        return summarise(done, process)
    with quiet_sdk():
        env = await start_test_server()
        try:
            done = await cohort.run(env, plans, horizon=horizon)
            if before_shutdown is not None:
                await before_shutdown(env.client, ids)
        finally:
            await env.shutdown()
    return summarise(done, process)


def _nobody(campaign: str, item: WorkItem) -> None:
    return None


def warn(text: str) -> None:
    print(f"mops: {text}", file=sys.stderr)
