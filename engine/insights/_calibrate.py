"""Fitting a simulation's assumptions to what real campaigns did.

People's answer times are fitted as lognormal distributions (by the median
and the 90th percentile of the logs' normal fit, the form a responses file
takes) per step, and per role over all its steps; approvals' outcomes as
shares; actions' failure rates per attempt, and their durations; events'
arrival after the wait began, and the share that came at all. The result is
a responses file (TOML) that ``mops simulate`` reads like a hand-written one.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from engine.insights._facts import CampaignFacts

_Z90 = 1.2815515655446004
MIN_SAMPLES = 3
"""Fewer answers than this for a step or role, and it keeps the defaults."""


@dataclass(frozen=True)
class Fit:
    """A lognormal fitted to times, in business hours."""

    median: float
    p90: float
    samples: int

    def text(self) -> str:
        return (
            f"lognormal(median={self.median:.4g} business hours, "
            f"p90={max(self.p90, self.median):.4g} business hours)"
        )


def fit_times(hours: Sequence[float]) -> Fit | None:
    """The lognormal whose logs have the mean and spread of ``hours``' logs."""
    positive = [h for h in hours if h > 0]
    if len(positive) < MIN_SAMPLES:
        return None
    logs = [math.log(h) for h in positive]
    mu = statistics.fmean(logs)
    sigma = statistics.pstdev(logs)
    return Fit(math.exp(mu), math.exp(mu + _Z90 * sigma), len(positive))


@dataclass
class Calibration:
    """What real campaigns say about people, actions and events."""

    campaigns: int
    roles: dict[str, dict[str, Any]] = field(default_factory=dict)
    steps: dict[str, dict[str, Any]] = field(default_factory=dict)
    actions: dict[str, dict[str, Any]] = field(default_factory=dict)
    events: dict[str, dict[str, Any]] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "campaigns": self.campaigns,
            "roles": self.roles,
            "steps": self.steps,
            "actions": self.actions,
            "events": self.events,
        }

    def responses(self) -> dict[str, Any]:
        """The tables of a responses file (docs/scenarios.md) with these figures."""
        tables: dict[str, Any] = {"roles": {}, "steps": {}, "actions": {}, "events": {}}
        for name, role in self.roles.items():
            tables["roles"][name] = _behaviour(role)
        for name, step in self.steps.items():
            tables["steps"][name] = _behaviour(step)
        for name, action in self.actions.items():
            tables["actions"][name] = {"fail": round(action["fail"], 4)}
        for name, event in self.events.items():
            if event.get("after"):
                tables["events"][name] = {
                    "arrives": round(event["arrives"], 4),
                    "after": event["after"],
                }
        return {k: v for k, v in tables.items() if v}

    def toml(self) -> str:
        """The responses file as text."""
        lines = [f"# fitted from {self.campaigns} campaigns by mops simulate --calibrate"]
        for table, entries in self.responses().items():
            for name, values in entries.items():
                key = name if name.replace("_", "").isalnum() else f'"{name}"'
                lines.append(f"\n[{table}.{key}]")
                lines += [f"{k} = {_toml(v)}" for k, v in values.items()]
        return "\n".join(lines) + "\n"


def _behaviour(figures: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    if figures.get("answer"):
        found["answer"] = figures["answer"]
    if figures.get("approvals", 0) >= MIN_SAMPLES:
        found["approve"] = round(figures["approve"], 4)
        found["changes"] = round(figures["changes"], 4)
    return found


def _toml(value: Any) -> str:
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return repr(value)


def calibrate(campaigns: Iterable[CampaignFacts]) -> Calibration:
    """Fit people, actions and events to the facts of ``campaigns``."""
    chosen = list(campaigns)
    by_role: dict[str, list[float]] = defaultdict(list)
    by_step: dict[str, list[float]] = defaultdict(list)
    outcomes_role: dict[str, list[str]] = defaultdict(list)
    outcomes_step: dict[str, list[str]] = defaultdict(list)
    attempts: dict[str, list[tuple[int, bool, float]]] = defaultdict(list)
    waits: dict[str, list[float | None]] = defaultdict(list)
    for facts in chosen:
        for answer in facts.answers:
            hours = answer.business_seconds / 3600
            by_role[answer.role].append(hours)
            by_step[answer.step].append(hours)
            if answer.action != "completed":
                outcomes_role[answer.role].append(answer.action)
                outcomes_step[answer.step].append(answer.action)
        for task in facts.tasks:
            attempts[task.action].append((task.attempts, task.failed, task.seconds))
        for wait in facts.waits:
            waits[wait.event].append(
                None if wait.arrived_after is None else wait.arrived_after / 3600
            )
    result = Calibration(len(chosen))
    for role, times in sorted(by_role.items()):
        result.roles[role] = _people(times, outcomes_role[role])
    for step, times in sorted(by_step.items()):
        result.steps[step] = _people(times, outcomes_step[step])
    for action, runs in sorted(attempts.items()):
        tries = sum(n for n, _, _ in runs)
        failures = sum(n - (0 if failed else 1) for n, failed, _ in runs)
        seconds = [s for _, _, s in runs]
        result.actions[action] = {
            "runs": len(runs),
            "attempts": tries,
            "fail": failures / tries if tries else 0.0,
            "seconds": {
                "p50": round(_percentile(seconds, 0.5), 3),
                "p90": round(_percentile(seconds, 0.9), 3),
            },
        }
    for event, delays in sorted(waits.items()):
        came = [d for d in delays if d is not None]
        fitted = fit_times(came)
        result.events[event] = {
            "waits": len(delays),
            "arrives": len(came) / len(delays) if delays else 0.0,
            "after": fitted.text() if fitted else None,
        }
    return result


def _people(hours: list[float], outcomes: list[str]) -> dict[str, Any]:
    fitted = fit_times(hours)
    approvals = len(outcomes)
    return {
        "answers": len(hours),
        "answer": fitted.text() if fitted else None,
        "median_hours": float(f"{fitted.median:.4g}") if fitted else None,
        "p90_hours": float(f"{fitted.p90:.4g}") if fitted else None,
        "approvals": approvals,
        "approve": outcomes.count("approved") / approvals if approvals else 0.0,
        "changes": outcomes.count("changes_requested") / approvals if approvals else 0.0,
        "reject": outcomes.count("rejected") / approvals if approvals else 0.0,
    }


def _percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]
