"""Scenarios as campaign plans: inputs as JSON, answers and returns scripted, events timed."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from typing import Any

from dsl import Directory, scenario_ast
from dsl import ast as dsl_ast
from engine import ir
from engine.client import resolve_inputs
from engine.compiler import ExprCompiler, duration
from engine.errors import UserError
from engine.workflow.campaign import ExternalEvent
from engine.workflow.evaluate import EvaluationError, evaluate
from engine.workflow.team import snapshot
from engine.workflow.values import to_json
from engine.workflow.work_items import Action, WorkItem
from mops.scenarios._drive import Answer, CampaignPlan
from mops.scenarios._stand_ins import Outcome, ScriptBook, typed_default

DEFAULT_START = dt.datetime(2035, 1, 8, 9, 0)
"""When a scenario starts unless it says: Monday 8 January 2035, 09:00 in the calendar's
time zone. The test server's clock cannot go back, so starts lie in the future."""

_ACTIONS: dict[str, Action] = {
    "approved": "approve",
    "rejected": "reject",
    "changes_requested": "request_changes",
    "completed": "complete",
}


def start_moment(scenario: scenario_ast.Scenario, process: ir.ProcessIR) -> dt.datetime:
    """The scenario's start as an aware UTC moment."""
    zone_name = process.calendar.time_zone if process.calendar else "UTC"
    moment = DEFAULT_START
    if scenario.start is not None:
        moment = scenario.start.moment
        zone_name = scenario.start.zone or zone_name
    zone = zoneinfo.ZoneInfo(zone_name)
    return moment.replace(tzinfo=zone).astimezone(dt.UTC)


def literal_json(value: dsl_ast.Expr, process: ir.ProcessIR) -> Any:
    """A scenario value as the JSON a campaign sees."""
    zone = process.calendar.time_zone if process.calendar else "UTC"
    try:
        return to_json(evaluate(ExprCompiler(zone).expr(value), {}, process.calendar))
    except EvaluationError as error:
        raise UserError(error.message) from None


def plan_scenario(
    scenario: scenario_ast.Scenario,
    process: ir.ProcessIR,
    campaign_id: str,
    book: ScriptBook,
    directory: Directory | None,
) -> CampaignPlan:
    """The campaign plan of one scenario; task scripts go into ``book``.

    Raises:
        UserError: the inputs do not fit the process.
    """
    given = {f.name: literal_json(f.value, process) for f in scenario.inputs}
    inputs = resolve_inputs(process, json_values=given)
    steps = {s.id: s for s in ir.iter_steps(process.body)}
    answers: dict[str, list[Answer | None]] = {}
    for script in scenario.scripts:
        step = steps.get(script.step)
        if isinstance(step, ir.TaskStep):
            book.script(campaign_id, script.step, [_outcome(i, process) for i in script.items])
        elif isinstance(step, ir.HumanStep):
            answers[script.step] = [_answer(i, process) for i in script.items]
    events = tuple(
        (
            duration(event.after),
            ExternalEvent(
                name=event.name,
                key=event.key,
                data={f.name: literal_json(f.value, process) for f in event.fields},
            ),
        )
        for event in scenario.events
    )
    return CampaignPlan(
        campaign_id=campaign_id,
        process=process,
        inputs=inputs,
        start_at=start_moment(scenario, process),
        responder=_scripted(answers),
        team=None if directory is None else snapshot(directory),
        events=events,
    )


def _outcome(item: scenario_ast.ScriptItem, process: ir.ProcessIR) -> Outcome:
    if isinstance(item, scenario_ast.Fails):
        return Outcome(failure=item.message, times=item.times)
    assert isinstance(item, scenario_ast.Returns), "the checker allows only these on tasks"
    return Outcome(fields={f.name: literal_json(f.value, process) for f in item.fields})


def _answer(item: scenario_ast.ScriptItem, process: ir.ProcessIR) -> Answer | None:
    if isinstance(item, scenario_ast.NoAnswer):
        return None
    assert isinstance(item, scenario_ast.Answer), "the checker allows only these on people"
    return Answer(
        action=_ACTIONS[item.verdict],
        people=tuple(person for person, _ in item.people),
        after=None if item.after is None else duration(item.after),
        comment=item.comment,
        outputs={f.name: literal_json(f.value, process) for f in item.fields},
    )


def _scripted(answers: dict[str, list[Answer | None]]) -> Any:
    """A responder answering each round of a step with the next scripted answer;
    the last one answers every later round too."""

    def respond(campaign: str, item: WorkItem) -> Answer | None:
        script = answers.get(item.step)
        if not script:
            return None
        answer = script[min(item.round, len(script)) - 1]
        if answer is None or answer.action != "complete":
            return answer
        # Outputs the scenario does not give get typed defaults, as tasks' results do.
        outputs = {
            name: typed_default(ir.type_text(type_), item.opened_at) for name, type_ in item.returns
        }
        outputs.update(answer.outputs)
        return Answer(answer.action, answer.people, answer.after, answer.comment, outputs)

    return respond


def campaign_id_for(process: ir.ProcessIR, name: str, index: int) -> str:
    """A readable, unique campaign id for a scenario."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40]
    return f"{process.name}-{index}-{slug}"
