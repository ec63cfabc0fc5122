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
from mops.scenarios._drive import CampaignRun, Refusal
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
    exits: tuple[str, ...] = ()
    """The events whose ``exit when`` fired, in order."""
    refused: tuple[str, ...] = ()
    """Scripted answers the campaign refused (``person on 'step': reason``)."""

    @property
    def outcome_text(self) -> str:
        """``completed``, or ``completed, exit lead.unsubscribed`` when an exit fired."""
        return ", ".join([self.outcome, *(f"exit {event}" for event in self.exits)])

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
            "exits": list(self.exits),
            "refused": list(self.refused),
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
    exit_steps = {s.id: s for s in ir.iter_steps(process.body) if isinstance(s, ir.ExitStep)}
    path = tuple(s for s in run.path if s in steps)
    # The outcome is the campaign's own, as 'mops status' shows it for a real run: a
    # campaign an 'exit when' ended completed. Which exits fired is told apart.
    outcome = run.state
    fired = [exit_steps[s] for s in run.path if s in exit_steps]
    exits = tuple(step.event for step in fired)
    top = {s.id for s in process.body}
    ended_by_exit = outcome == "completed" and any(s.id in top for s in fired)
    mine = [n for n in notices if n.campaign == run.plan.campaign_id]
    members = _members(run)
    escalated = tuple(dict.fromkeys(r.step for r in run.rounds if r.escalated))
    deadlines: dict[str, str] = {}
    for r in run.rounds:
        if r.deadline is not None:
            late = r.closed_at is None or r.closed_at > r.deadline
            if late or r.step not in deadlines:
                deadlines[r.step] = "missed" if late else "met"
    expected_refusals = [e for e in scenario.expectations if isinstance(e, sc.ExpectRefused)]
    failures: list[str] = [
        f"refused: {refusal}"
        for refusal in run.refusals
        if not any(_refusal_matches(e, refusal) for e in expected_refusals)
    ]
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
                if wanted == "exited":
                    problem = None if ended_by_exit else _not_exited(outcome, exits, run.error)
                elif wanted != "waiting" or not run.stuck:
                    problem = _outcome_problem(wanted, reason, outcome, run.error)
            case sc.ExpectOutput(field=wanted):
                problem = _output_problem(wanted, process, run)
            case sc.ExpectEscalated(step=step, escalated=want, to=to):
                problem = _escalation_problem(step, want, to, process, run, mine, members)
            case sc.ExpectDeadline(step=step, met=met):
                actual = deadlines.get(step)
                want_word = "met" if met else "missed"
                if actual is None:
                    problem = f"'{step}' never had a deadline running (it did not open)"
                elif actual != want_word:
                    problem = f"'{step}' {actual} its deadline, expected it {want_word} it"
            case sc.ExpectNotified(party=party, notified=want):
                got = any(_reaches(party, n.to, members) for n in mine)
                if got != want:
                    problem = f"{party} was {'' if got else 'not '}notified"
            case sc.ExpectRefused():
                if not any(_refusal_matches(expectation, r) for r in run.refusals):
                    problem = _refusal_problem(expectation, run)
            case sc.ExpectExit(event=event):
                if event is None and exits:
                    problem = f"the exit on '{exits[0]}' fired, expected no exit"
                elif event is not None and event not in exits:
                    fired_text = ", ".join(f"'{e}'" for e in exits) or "none"
                    problem = f"no exit on '{event}' fired (exits that fired: {fired_text})"
            case sc.ExpectDuration(comparator=op, duration=limit):
                problem = _duration_problem(op, limit, process, run)
        if problem is not None:
            failures.append(problem)
    if not said_outcome and not run.stuck and outcome != "completed":
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
        exits=exits,
        refused=tuple(str(r) for r in run.refusals),
    )


def _members(run: CampaignRun) -> dict[str, set[str]]:
    """Who holds each role in the campaign's team directory."""
    team = run.plan.team
    holders: dict[str, set[str]] = {}
    for person, member in ({} if team is None else team.people).items():
        for role in member.roles:
            holders.setdefault(role, set()).add(person)
    return holders


def _reaches(party: sc.Party, to: tuple[str, ...], members: dict[str, set[str]]) -> bool:
    """Whether a notice to ``to`` reaches ``party``: a notice to a role reaches each of
    its members, as ``notify.send`` delivers it to each of them."""
    if f"{party.kind}:{party.name}" in to:
        return True
    if party.kind != "person":
        return False
    roles = (t.removeprefix("role:") for t in to if t.startswith("role:"))
    return any(party.name in members.get(role, ()) for role in roles)


def _refusal_matches(expected: sc.ExpectRefused, refusal: Refusal) -> bool:
    return (
        expected.person == refusal.person
        and expected.step == refusal.step
        and (expected.reason is None or expected.reason in refusal.reason)
    )


def _refusal_problem(expected: sc.ExpectRefused, run: CampaignRun) -> str:
    mine = [r for r in run.refusals if r.person == expected.person and r.step == expected.step]
    if mine:
        return (
            f"{expected.person} was refused on '{expected.step}' with \"{mine[0].reason}\", "
            f'expected "{expected.reason}"'
        )
    return f"{expected.person} was not refused on '{expected.step}'"


def _not_exited(outcome: str, exits: tuple[str, ...], error: str | None) -> str:
    if outcome != "completed":
        why = f" ({error})" if error else ""
        return f"expected the campaign ended by an exit, it {outcome}{why}"
    if exits:
        return f"the exit on '{exits[0]}' fired inside a block; the campaign completed after it"
    return "expected the campaign ended by an exit, it completed without one"


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
    members: dict[str, set[str]],
) -> str | None:
    got = any(r.escalated for r in run.rounds if r.step == step)
    if got != want:
        return f"'{step}' was {'' if got else 'not '}escalated"
    if to is None or not want:
        return None
    human = named_steps(process).get(step)
    title = human.title if isinstance(human, ir.HumanStep) else step
    targets = {
        t for n in notices if n.step == title and n.kind is NoticeKind.ESCALATION for t in n.to
    }
    if _reaches(to, tuple(targets), members):
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
