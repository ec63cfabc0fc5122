"""``mops simulate FILE --runs N [--seed S] [--responses FILE]``: a cohort what-if.

N campaigns of one process run side by side on time-skipping test servers;
people answer after seeded, lognormal business-time delays per role and
approve with a given probability; actions fail at given rates. The summary
gives the spread of total duration, how often each step escalated and the load
on each role, and a histogram of the durations as SVG.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine import ir
from engine.client import parse_assignments, resolve_inputs
from engine.errors import UserError
from engine.workflow import business_time
from engine.workflow.team import TeamSnapshot, snapshot
from engine.workflow.work_items import WorkItem
from mops.cli._commands import summary
from mops.cli._common import print_json
from mops.scenarios import (
    DEFAULT_START,
    Answer,
    CampaignPlan,
    CampaignRun,
    Model,
    Outcome,
    ScriptBook,
    business_days,
    business_hours,
    load,
    load_model,
    plan_scenario,
    quiet_sdk,
    rng_for,
    run_plans,
    stand_in_registry,
    to_minute,
    typed_default,
)
from workers import load_registry

__all__ = ["Summary", "register", "simulate"]


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "simulate",
        help=summary("simulate"),
    )
    parser.add_argument("file", type=Path, metavar="FILE", help="the process file (.mops)")
    parser.add_argument("--runs", type=int, default=100, help="how many campaigns (default 100)")
    parser.add_argument("--seed", type=int, default=1, help="same seed, same result (default 1)")
    parser.add_argument("--responses", type=Path, help="response times and failure rates (TOML)")
    parser.add_argument(
        "--input", "-i", action="append", default=[], metavar="NAME=VALUE", help="an input value"
    )
    parser.add_argument("--chart", type=Path, help="write the duration histogram here (SVG)")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.set_defaults(handler=run)


@dataclass(frozen=True)
class Summary:
    """What a cohort did."""

    runs: int
    outcomes: dict[str, int]
    durations: tuple[float, ...]
    """Business days of each campaign, in run order."""
    escalation_rate: dict[str, float]
    """Per human step: the share of the campaigns that opened it in which it escalated."""
    work_items: dict[str, int]
    """Per role: work items and approvals it was asked to do."""
    hours_open: dict[str, float]
    """Per role: business hours those items waited for it."""

    def percentile(self, share: float) -> float:
        ordered = sorted(self.durations)
        if not ordered:
            return 0.0
        return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]

    def as_json(self) -> dict[str, Any]:
        return {
            "runs": self.runs,
            "outcomes": self.outcomes,
            "business_days": {
                "p50": round(self.percentile(0.5), 2),
                "p90": round(self.percentile(0.9), 2),
                "max": round(max(self.durations, default=0.0), 2),
                "mean": round(statistics.fmean(self.durations), 2) if self.durations else 0.0,
            },
            "escalation_rate": {k: round(v, 3) for k, v in self.escalation_rate.items()},
            "work_items": self.work_items,
            "hours_open": {k: round(v, 1) for k, v in self.hours_open.items()},
        }


async def run(args: argparse.Namespace) -> int:
    if args.runs < 1:
        raise UserError("--runs must be at least 1")
    summary = await simulate(
        args.file,
        runs=args.runs,
        seed=args.seed,
        responses=args.responses,
        inputs=parse_assignments(args.input),
    )
    if args.chart is not None:
        args.chart.write_text(histogram_svg(summary), encoding="utf-8")
    if args.json:
        print_json(summary.as_json())
    else:
        print(text_summary(summary))
        if args.chart is not None:
            print(f"chart: {args.chart}")
    return 0


async def simulate(
    file: Path,
    *,
    runs: int,
    seed: int,
    responses: Path | None = None,
    inputs: dict[str, str] | None = None,
) -> Summary:
    """Run ``runs`` campaigns of the process in ``file`` and sum up what they did.

    Inputs come from ``inputs`` (text, as on a command line), else from the first
    scenario beside the process, else from the defaults.

    Raises:
        UserError: a file has errors or an input is missing.
    """
    registry = load_registry()
    process_path = file if file.suffix == ".mops" else file.with_suffix(".mops")
    scenarios = process_path.with_suffix(".scenarios")
    given: dict[str, Any] = {}
    base_process, team = _process(process_path, registry)
    if scenarios.is_file() and not inputs:
        loaded = load(scenarios, registry)
        if loaded.scenarios:
            book = ScriptBook()
            first = plan_scenario(loaded.scenarios[0], base_process, "x", book, loaded.directory)
            given = first.inputs
    resolved = (
        resolve_inputs(base_process, texts=inputs)
        if inputs
        else resolve_inputs(base_process, json_values=given)
    )
    hours = _hours_per_day(base_process.calendar)
    model = load_model(responses, hours)
    book = ScriptBook()
    start = DEFAULT_START.replace(tzinfo=dt.UTC)
    plans = []
    for number in range(runs):
        campaign = f"{base_process.name}-sim-{seed}-{number}"
        book.choosers[campaign] = _failures(model, seed, base_process)
        plans.append(
            CampaignPlan(
                campaign_id=campaign,
                process=base_process,
                inputs=resolved,
                # A second apart, so that no two campaigns share a moment to the millisecond.
                start_at=start + dt.timedelta(seconds=number),
                responder=_responder(model, seed, team),
                team=team,
                events=(),
            )
        )
    with quiet_sdk():
        done = await run_plans(plans, stand_in_registry(registry, book))
    return _summarise(done, base_process, team)


def _process(path: Path, registry: Any) -> tuple[ir.ProcessIR, TeamSnapshot | None]:
    from engine.compiler import CompileFailed, compile_file, compile_process
    from mops.cli._common import catalogue, team_directory

    directory = team_directory(path)
    try:
        _, checked = compile_file(path, catalogue(registry), directory=directory)
    except CompileFailed as failed:
        from dsl import render_all

        print(render_all(failed.checked.diagnostics, failed.checked.source), file=sys.stderr)
        raise
    process = compile_process(checked, catalogue(registry), today=DEFAULT_START.date())
    return process, None if directory is None else snapshot(directory)


def _hours_per_day(calendar: ir.Calendar | None) -> float:
    office = (calendar or business_time.PLAIN).office_hours
    if office is None:
        return 24.0
    span = dt.datetime.combine(dt.date.min, office[1]) - dt.datetime.combine(dt.date.min, office[0])
    return span.total_seconds() / 3600


def _responder(model: Model, seed: int, team: TeamSnapshot | None) -> Any:
    def respond(campaign: str, item: WorkItem) -> Answer | None:
        rng = rng_for(seed, campaign, item.step, item.round)
        role, people = _who(item, team)
        if not people:
            return None
        person = rng.choice(sorted(people))
        behaviour = model.role(role)
        delay = business_hours(behaviour.answer.draw(rng))
        if item.form == "work":
            outputs = {
                name: typed_default(ir.type_text(type_), item.opened_at)
                for name, type_ in item.returns
            }
            return Answer("complete", (person,), delay, outputs=outputs)
        action = "approve" if rng.random() < behaviour.approve else "reject"
        return Answer(action, (person,), delay, comment="simulated")  # type: ignore[arg-type]

    return respond


def _who(item: WorkItem, team: TeamSnapshot | None) -> tuple[str, set[str]]:
    """The role an item is for, and the people who may answer it (separation of duties kept)."""
    role = "(named people)"
    people: set[str] = set()
    for party in item.parties:
        kind, _, name = party.partition(":")
        if kind == "role":
            role = name
            people.update(team.with_role(name) if team else [])
        else:
            people.add(name)
    return role, people - set(item.barred)


def _failures(model: Model, seed: int, process: ir.ProcessIR) -> Any:
    actions = {s.id: s.action for s in ir.iter_steps(process.body) if isinstance(s, ir.TaskStep)}

    def choose(campaign: str, step: str, call: int) -> Outcome | None:
        rate = model.failures.get(actions.get(step, ""), 0.0)
        if rate and rng_for(seed, campaign, step, call).random() < rate:
            return Outcome(failure="simulated failure", times=1)
        return None

    return choose


def _summarise(
    done: list[CampaignRun], process: ir.ProcessIR, team: TeamSnapshot | None
) -> Summary:
    outcomes = Counter(run.state for run in done)
    opened: Counter[str] = Counter()
    escalated: Counter[str] = Counter()
    items: Counter[str] = Counter()
    hours: defaultdict[str, float] = defaultdict(float)
    for run in done:
        steps_opened = {r.step for r in run.rounds}
        opened.update(steps_opened)
        escalated.update({r.step for r in run.rounds if r.escalated})
        for r in run.rounds:
            role = next((p.partition(":")[2] for p in r.parties if p.startswith("role:")), "people")
            items[role] += 1
            end = r.closed_at or run.ended_at or r.opened_at
            worked = business_time.working_time_between(
                to_minute(r.opened_at), to_minute(end), process.calendar
            )
            hours[role] += worked.total_seconds() / 3600
    return Summary(
        runs=len(done),
        outcomes=dict(sorted(outcomes.items())),
        durations=tuple(business_days(run, process) for run in done),
        escalation_rate={s: escalated[s] / opened[s] for s in sorted(opened)},
        work_items=dict(sorted(items.items())),
        hours_open=dict(sorted(hours.items())),
    )


def text_summary(summary: Summary) -> str:
    data = summary.as_json()
    days = data["business_days"]
    lines = [
        f"{summary.runs} campaigns: "
        + ", ".join(f"{n} {state}" for state, n in summary.outcomes.items()),
        f"duration (business days): p50 {days['p50']}, p90 {days['p90']}, max {days['max']}",
        "escalation rate per step:",
        *(f"  {step:<24} {rate:>6.0%}" for step, rate in summary.escalation_rate.items()),
        "load per role (work items, business hours waiting):",
        *(
            f"  {role:<24} {summary.work_items[role]:>5}  {summary.hours_open[role]:>8.1f} h"
            for role in summary.work_items
        ),
    ]
    return "\n".join(lines)


def histogram_svg(summary: Summary, *, bins: int = 20) -> str:
    """A histogram of the campaigns' durations, as a standalone SVG."""
    values = summary.durations or (0.0,)
    low, high = min(values), max(values)
    width = (high - low) / bins or 1.0
    counts = [0] * bins
    for value in values:
        counts[min(bins - 1, int((value - low) / width))] += 1
    tallest = max(counts) or 1
    chart_w, chart_h, left, bottom = 600, 240, 50, 40
    bar = chart_w / bins
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{chart_w + left + 20}" '
        f'height="{chart_h + bottom + 30}" font-family="sans-serif" font-size="12">',
        f'<text x="{left}" y="18">Campaign duration, business days ({summary.runs} runs)</text>',
    ]
    for i, count in enumerate(counts):
        h = chart_h * count / tallest
        x = left + i * bar
        y = 30 + chart_h - h
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar - 2:.1f}" height="{h:.1f}" fill="#4a7bd0">'
            f"<title>{low + i * width:.1f}-{low + (i + 1) * width:.1f}: {count}</title></rect>"
        )
    base = 30 + chart_h
    parts.append(f'<line x1="{left}" y1="{base}" x2="{left + chart_w}" y2="{base}" stroke="#333"/>')
    for share, name in ((0.5, "p50"), (0.9, "p90")):
        value = summary.percentile(share)
        x = left + (value - low) / (width * bins) * chart_w
        parts.append(
            f'<line x1="{x:.1f}" y1="30" x2="{x:.1f}" y2="{base}" stroke="#d04a4a" '
            f'stroke-dasharray="4 3"/><text x="{x + 3:.1f}" y="42" fill="#d04a4a">{name}</text>'
        )
    parts.append(f'<text x="{left}" y="{base + 18}">{low:.1f}</text>')
    parts.append(f'<text x="{left + chart_w - 30}" y="{base + 18}">{high:.1f}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
