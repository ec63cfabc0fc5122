"""What a scenario expected against what its campaign did: the first difference of each."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from dsl import scenario_ast as sc
from engine import ir
from engine.compiler import duration
from engine.errors import UserError
from engine.workflow import business_time
from engine.workflow.facts import NoticeKind
from mops.scenarios._drive import CampaignRun
from mops.scenarios._plan import literal_json
from mops.scenarios._stand_ins import Notice


@dataclass(frozen=True)
class ScenarioResult:
    """One scenario's verdict, and what its campaign did."""

    file: str
    line: int
    name: str
    passed: bool
    failures: tuple[str, ...]
    """Each unmet expectation, said plainly (empty when the scenario passed)."""
    expected_path: tuple[str, ...] | None
    path: tuple[str, ...]
    outcome: str
    error: str | None
    outputs: dict[str, Any] = field(default_factory=dict)
    business_days: float = 0.0
    """Total duration in business days of the process's calendar."""
    escalated: tuple[str, ...] = ()
    notified: tuple[str, ...] = ()
    deadlines: dict[str, str] = field(default_factory=dict)
    """Per human step: 'met' or 'missed'."""

    def as_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "line": self.line,
            "name": self.name,
            "passed": self.passed,
            "failures": list(self.failures),
            "expected_path": None if self.expected_path is None else list(self.expected_path),
            "path": list(self.path),
            "outcome": self.outcome,
            "error": self.error,
            "outputs": self.outputs,
            "business_days": round(self.business_days, 2),
            "escalated": list(self.escalated),
            "notified": list(self.notified),
            "deadlines": self.deadlines,
        }


def named_steps(process: ir.ProcessIR) -> dict[str, ir.AnyStep]:
    """The steps a designer named (tasks, people's steps, decisions, sub-processes)."""
    kinds = (ir.TaskStep, ir.HumanStep, ir.DecideStep, ir.CallStep)
    return {s.id: s for s in ir.iter_steps(process.body) if isinstance(s, kinds)}


def judge(
    scenario: sc.Scenario,
    file: str,
    process: ir.ProcessIR,
    run: CampaignRun,
    notices: list[Notice],
) -> ScenarioResult:
    """Compare a scenario's expectations with its campaign's run."""
    steps = named_steps(process)
    exits = {s.id for s in ir.iter_steps(process.body) if isinstance(s, ir.ExitStep)}
    path = tuple(s for s in run.path if s in steps)
    outcome = run.state
    if outcome == "completed" and exits & set(run.path):
        outcome = "exited"
    mine = [n for n in notices if n.campaign == run.plan.campaign_id]
    escalated = tuple(dict.fromkeys(r.step for r in run.rounds if r.escalated))
    deadlines: dict[str, str] = {}
    for r in run.rounds:
        if r.deadline is not None:
            late = r.closed_at is None or r.closed_at > r.deadline
            if late or r.step not in deadlines:
                deadlines[r.step] = "missed" if late else "met"
    failures: list[str] = [f"refused: {reason}" for reason in run.refusals]
    waiting_expected = any(
        isinstance(e, sc.ExpectOutcome) and e.outcome == "waiting" for e in scenario.expectations
    )
    if run.stuck and not waiting_expected:
        failures.append(f"the campaign {run.stuck}")
    expected_path: tuple[str, ...] | None = None
    said_outcome = False
    for expectation in scenario.expectations:
        problem: str | None = None
        match expectation:
            case sc.ExpectPath(steps=wanted, includes=includes):
                names = tuple(n for n, _ in wanted)
                if not includes:
                    expected_path = names
                problem = _path_problem(names, path, includes=includes)
            case sc.ExpectOutcome(outcome=wanted, reason=reason):
                said_outcome = True
                if wanted != "waiting" or not run.stuck:
                    problem = _outcome_problem(wanted, reason, outcome, run.error)
            case sc.ExpectOutput(field=wanted):
                problem = _output_problem(wanted, process, run)
            case sc.ExpectEscalated(step=step, escalated=want, to=to):
                problem = _escalation_problem(step, want, to, process, run, mine)
            case sc.ExpectDeadline(step=step, met=met):
                actual = deadlines.get(step)
                want_word = "met" if met else "missed"
                if actual is None:
                    problem = f"'{step}' never had a deadline running (it did not open)"
                elif actual != want_word:
                    problem = f"'{step}' {actual} its deadline, expected it {want_word} it"
            case sc.ExpectNotified(party=party, notified=want):
                key = f"{party.kind}:{party.name}"
                got = any(key in n.to for n in mine)
                if got != want:
                    problem = f"{party} was {'' if got else 'not '}notified"
            case sc.ExpectDuration(comparator=op, duration=limit):
                problem = _duration_problem(op, limit, process, run)
        if problem is not None:
            failures.append(problem)
    if not said_outcome and not run.stuck and outcome not in ("completed", "exited"):
        failures.append(f"the campaign {outcome}: {run.error or 'no reason given'}")
    line = scenario.span.line
    return ScenarioResult(
        file=file,
        line=line,
        name=scenario.name,
        passed=not failures,
        failures=tuple(failures),
        expected_path=expected_path,
        path=path,
        outcome=outcome,
        error=run.error,
        outputs=run.outputs,
        business_days=business_days(run, process),
        escalated=escalated,
        notified=tuple(dict.fromkeys(t for n in mine for t in n.to)),
        deadlines=deadlines,
    )


def business_days(run: CampaignRun, process: ir.ProcessIR) -> float:
    """The campaign's duration in business days of its calendar."""
    if run.started_at is None or run.ended_at is None:
        return 0.0
    worked = business_time.working_time_between(
        to_minute(run.started_at), to_minute(run.ended_at), process.calendar
    )
    office = (process.calendar or business_time.PLAIN).office_hours
    day = (
        dt.datetime.combine(dt.date.min, office[1]) - dt.datetime.combine(dt.date.min, office[0])
        if office
        else dt.timedelta(days=1)
    )
    return worked / day


def to_minute(moment: dt.datetime) -> dt.datetime:
    """A moment to the nearest minute.

    The test server's clock also runs in real time while the driver looks and
    acts, so what happens at 09:00 is recorded a few milliseconds later; whole
    minutes are what a designer writes and what durations are judged in.
    """
    return (moment + dt.timedelta(seconds=30)).replace(second=0, microsecond=0)


def _path_problem(
    wanted: tuple[str, ...], actual: tuple[str, ...], *, includes: bool
) -> str | None:
    if includes:
        rest = iter(actual)
        missing = [step for step in wanted if step not in rest]
        if not missing:
            return None
        return f"the path does not include {', '.join(missing)} in that order"
    if wanted == actual:
        return None
    for i, (want, got) in enumerate(zip(wanted, actual, strict=False)):
        if want != got:
            return f"step {i + 1} of the path: expected '{want}', the campaign took '{got}'"
    if len(wanted) > len(actual):
        where = f"the path stops after '{actual[-1]}'" if actual else "the path is empty"
        return f"{where}; expected next: {', '.join(wanted[len(actual) :])}"
    return f"the path goes on after '{wanted[-1]}': {', '.join(actual[len(wanted) :])}"


def _outcome_problem(wanted: str, reason: str | None, actual: str, error: str | None) -> str | None:
    if wanted != actual:
        why = f" ({error})" if error else ""
        return f"expected the campaign {wanted}, it {actual}{why}"
    if reason is not None and reason not in (error or ""):
        return f'the campaign failed with "{error}", expected "{reason}"'
    return None


def _output_problem(wanted: sc.Field, process: ir.ProcessIR, run: CampaignRun) -> str | None:
    try:
        expected = literal_json(wanted.value, process)
    except UserError as error:
        return f"output '{wanted.name}': {error}"
    if wanted.name not in run.outputs:
        return f"the campaign has no output '{wanted.name}' (it {run.state})"
    actual = run.outputs[wanted.name]
    if _same(expected, actual):
        return None
    return f"output '{wanted.name}' is {_show(actual)}, expected {_show(expected)}"


def _same(left: Any, right: Any) -> bool:
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(_same(left[k], right[k]) for k in left)
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(map(_same, left, right))
    if isinstance(left, bool) or isinstance(right, bool):
        return left is right
    try:
        return Decimal(str(left)) == Decimal(str(right))
    except InvalidOperation:
        return bool(left == right)


def _show(value: Any) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, dict) and set(value) == {"amount", "currency"}:
        return f"{value['amount']} {value['currency']}"
    return str(value).lower() if isinstance(value, bool) else str(value)


def _escalation_problem(
    step: str,
    want: bool,
    to: sc.Party | None,
    process: ir.ProcessIR,
    run: CampaignRun,
    notices: list[Notice],
) -> str | None:
    got = any(r.escalated for r in run.rounds if r.step == step)
    if got != want:
        return f"'{step}' was {'' if got else 'not '}escalated"
    if to is None or not want:
        return None
    human = named_steps(process).get(step)
    title = human.title if isinstance(human, ir.HumanStep) else step
    key = f"{to.kind}:{to.name}"
    targets = {
        t for n in notices if n.step == title and n.kind is NoticeKind.ESCALATION for t in n.to
    }
    if key in targets:
        return None
    shown = ", ".join(sorted(targets)) or "nobody we saw"
    return f"'{step}' was escalated to {shown}, not to {to}"


def _duration_problem(op: str, limit: Any, process: ir.ProcessIR, run: CampaignRun) -> str | None:
    if run.started_at is None or run.ended_at is None:
        return "the campaign never ended"
    bound = business_time.add(to_minute(run.started_at), duration(limit), process.calendar)
    end = to_minute(run.ended_at)
    holds = {
        "<=": end <= bound,
        "<": end < bound,
        ">=": end >= bound,
        ">": end > bound,
        "==": abs(end - bound) < dt.timedelta(minutes=1),
    }[op]
    if holds:
        return None
    took = business_days(run, process)
    return f"the campaign took {took:.1f} business days, expected {op} {limit.text}"
