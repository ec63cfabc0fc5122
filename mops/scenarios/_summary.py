"""What a cohort did, summed up: outcomes and why, durations, escalations, load."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from engine import ir
from engine.workflow import business_time
from mops.scenarios._drive import CampaignRun


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
    reasons: dict[str, int] = field(default_factory=dict)
    """Why campaigns did not complete: ``failed: <message>``, ``waiting: <what>``, with counts."""
    refusals: dict[str, int] = field(default_factory=dict)
    """Decisions the campaigns refused, with counts."""
    completed_durations: tuple[float, ...] = ()
    """Business days of each campaign that completed."""

    def percentile(self, share: float) -> float:
        return percentile(self.durations, share)

    def as_json(self) -> dict[str, Any]:
        return {
            "runs": self.runs,
            "outcomes": self.outcomes,
            "reasons": self.reasons,
            "business_days": {
                "p50": _figure(self.percentile(0.5)),
                "p90": _figure(self.percentile(0.9)),
                "max": _figure(max(self.durations, default=0.0)),
                "mean": _figure(statistics.fmean(self.durations)) if self.durations else 0.0,
            },
            "escalation_rate": {k: round(v, 3) for k, v in self.escalation_rate.items()},
            "work_items": self.work_items,
            "hours_open": {k: round(v, 1) for k, v in self.hours_open.items()},
            "refusals": self.refusals,
        }


def _figure(value: float) -> float:
    """Three significant digits: a campaign of seconds is not shown as 0 days."""
    return float(f"{value:.3g}")


def percentile(values: Sequence[float], share: float) -> float:
    """The nearest-rank percentile (0 for no values)."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def summarise(done: Sequence[CampaignRun], process: ir.ProcessIR) -> Summary:
    outcomes = Counter(run.state for run in done)
    reasons: Counter[str] = Counter()
    refusals: Counter[str] = Counter()
    opened: Counter[str] = Counter()
    escalated: Counter[str] = Counter()
    items: Counter[str] = Counter()
    hours: defaultdict[str, float] = defaultdict(float)
    for run in done:
        if run.state != "completed":
            why = run.stuck or run.error or "no reason recorded"
            reasons[f"{run.state}: {why}"] += 1
        refusals.update(_refusal_kind(str(r)) for r in run.refusals)
        opened.update({r.step for r in run.rounds})
        escalated.update({r.step for r in run.rounds if r.escalated})
        for r in run.rounds:
            role = next((p.partition(":")[2] for p in r.parties if p.startswith("role:")), "people")
            items[role] += 1
            end = r.closed_at or run.ended_at or r.opened_at
            worked = business_time.working_time_between(r.opened_at, end, process.calendar)
            hours[role] += worked.total_seconds() / 3600
    return Summary(
        runs=len(done),
        outcomes=dict(sorted(outcomes.items())),
        durations=tuple(business_days(run, process) for run in done),
        escalation_rate={s: escalated[s] / opened[s] for s in sorted(opened)},
        work_items=dict(sorted(items.items())),
        hours_open=dict(sorted(hours.items())),
        reasons=dict(reasons.most_common()),
        refusals=dict(refusals.most_common()),
        completed_durations=tuple(
            business_days(run, process) for run in done if run.state == "completed"
        ),
    )


def business_days(run: CampaignRun, process: ir.ProcessIR) -> float:
    """The campaign's duration in business days of its calendar, to the second (the
    cohort reads the server's own times; scenarios judge to the minute instead)."""
    if run.started_at is None or run.ended_at is None:
        return 0.0
    worked = business_time.working_time_between(run.started_at, run.ended_at, process.calendar)
    office = (process.calendar or business_time.PLAIN).office_hours
    day = (
        dt.datetime.combine(dt.date.min, office[1]) - dt.datetime.combine(dt.date.min, office[0])
        if office
        else dt.timedelta(days=1)
    )
    return worked / day


def _refusal_kind(refusal: str) -> str:
    """A refusal without the person's name, so that alike ones are counted together."""
    _, sep, rest = refusal.partition(" on ")
    return rest if sep else refusal


def text_summary(summary: Summary) -> str:
    data = summary.as_json()
    days = data["business_days"]
    lines = [
        f"{summary.runs} campaigns: "
        + ", ".join(f"{n} {state}" for state, n in summary.outcomes.items()),
    ]
    if summary.reasons:
        lines.append("why not completed:")
        lines += [f"  {n:>5}  {why}" for why, n in summary.reasons.items()]
    lines += [
        f"duration (business days): p50 {days['p50']}, p90 {days['p90']}, max {days['max']}",
        "escalation rate per step:",
        *(f"  {step:<24} {rate:>6.0%}" for step, rate in summary.escalation_rate.items()),
        "load per role (work items, business hours waiting):",
        *(
            f"  {role:<24} {summary.work_items[role]:>5}  {summary.hours_open[role]:>8.1f} h"
            for role in summary.work_items
        ),
    ]
    if summary.refusals:
        lines.append("decisions refused:")
        lines += [f"  {n:>5}  {why}" for why, n in summary.refusals.items()]
    return "\n".join(lines)
