"""The figures of ``mops insights``, computed from campaigns' facts (docs/insights.md)."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from engine.insights._facts import CampaignFacts

ENDED = ("completed", "failed", "cancelled", "terminated", "timed_out")


def percentile(values: Sequence[float], share: float) -> float:
    """The nearest-rank percentile (0 for no values)."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def figure(value: float) -> float:
    """A figure to three significant digits (seconds-long answers stay visible in hours)."""
    return float(f"{value:.3g}")


def _spread(values: Sequence[float]) -> dict[str, float]:
    return {
        "p50": figure(percentile(values, 0.5)),
        "p90": figure(percentile(values, 0.9)),
        "max": figure(max(values, default=0.0)),
    }


def report(campaigns: Iterable[CampaignFacts], *, now: dt.datetime) -> dict[str, Any]:
    """Every figure, per process and version, plus two versions side by side."""
    groups: dict[tuple[str, str], list[CampaignFacts]] = defaultdict(list)
    for facts in campaigns:
        groups[(facts.process, facts.version)].append(facts)
    versions = [
        _version(process, version, group, now=now)
        for (process, version), group in sorted(
            groups.items(), key=lambda item: (item[0][0], min(f.started_at for f in item[1]))
        )
    ]
    by_process: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for figures in versions:
        by_process[figures["process"]].append(figures)
    compared = [_compare(found[-2], found[-1]) for found in by_process.values() if len(found) > 1]
    return {"generated_at": now.isoformat(), "versions": versions, "compared": compared}


def _version(
    process: str, version: str, group: list[CampaignFacts], *, now: dt.datetime
) -> dict[str, Any]:
    states = Counter(f.state for f in group)
    hours = group[0].hours_per_day or 24.0
    done = [f for f in group if f.state == "completed"]
    calendar_days = [(f.seconds or 0) / 86400 for f in done]
    business_days = [(f.business_seconds or 0) / 3600 / hours for f in done]
    return {
        "process": process,
        "version": version,
        "campaigns": {
            "started": len(group),
            **{state: states.get(state, 0) for state in ENDED},
            "running": states.get("running", 0) + states.get("paused", 0),
        },
        "cycle_time": {
            "calendar_days": _spread(calendar_days),
            "business_days": _spread(business_days),
        },
        "steps": _steps(group),
        "roles": _roles(group, now=now),
        "people": _people(group),
        "rules": _rules(group),
        "bottlenecks": _bottlenecks(group),
        "load": _load(group, now=now),
    }


def _steps(group: list[CampaignFacts]) -> list[dict[str, Any]]:
    time: dict[str, defaultdict[str, float]] = defaultdict(lambda: defaultdict(float))
    seen: Counter[str] = Counter()
    rounds: Counter[str] = Counter()
    with_rounds: Counter[str] = Counter()
    escalated: Counter[str] = Counter()
    met: Counter[str] = Counter()
    missed: Counter[str] = Counter()
    refusals: Counter[str] = Counter()
    outcomes: dict[str, Counter[str]] = defaultdict(Counter)
    titles: dict[str, tuple[str, str]] = {}
    for facts in group:
        titles.update(facts.steps)
        steps_here = {s.step for s in facts.spans} | {r.step for r in facts.rounds}
        seen.update(steps_here)
        for span in facts.spans:
            time[span.step][span.kind] += span.business_seconds / 3600
        escalated.update({r.step for r in facts.rounds if r.escalated})
        with_rounds.update({r.step for r in facts.rounds})
        for r in facts.rounds:
            rounds[r.step] += 1
            refusals[r.step] += r.refusals
            if r.outcome:
                outcomes[r.step][r.outcome.replace(" ", "_")] += 1
            if r.deadline_at is not None and r.closed_at is not None:
                (met if r.closed_at <= r.deadline_at else missed)[r.step] += 1
    rows = []
    for step in sorted(seen, key=lambda s: -sum(time[s].values())):
        title, kind = titles.get(step, (step, ""))
        count = seen[step]
        rows.append(
            {
                "step": step,
                "title": title,
                "kind": kind,
                "campaigns": count,
                "hours": {k: figure(time[step][k] / count) for k in ("people", "work", "timers")},
                "deadline": {"met": met[step], "missed": missed[step]},
                "escalation_rate": round(escalated[step] / with_rounds[step], 3)
                if with_rounds[step]
                else None,
                "rework_rounds": round((rounds[step] - with_rounds[step]) / with_rounds[step], 2)
                if with_rounds[step]
                else None,
                "refusals": refusals[step],
                "outcomes": dict(sorted(outcomes[step].items())),
            }
        )
    return rows


def _roles(group: list[CampaignFacts], *, now: dt.datetime) -> list[dict[str, Any]]:
    answers: dict[str, list[float]] = defaultdict(list)
    items: Counter[str] = Counter()
    open_now: Counter[str] = Counter()
    for facts in group:
        for r in facts.rounds:
            items[r.role] += 1
            if r.closed_at is None and facts.state in ("running", "paused"):
                open_now[r.role] += 1
        for a in facts.answers:
            answers[a.role].append(a.business_seconds / 3600)
    return [
        {
            "role": role,
            "items": items[role],
            "open_now": open_now[role],
            "response_hours": _spread(answers[role]),
        }
        for role in sorted(items)
    ]


def _people(group: list[CampaignFacts]) -> list[dict[str, Any]]:
    answers: dict[str, list[float]] = defaultdict(list)
    covered: Counter[str] = Counter()
    escalations: Counter[str] = Counter()
    for facts in group:
        for a in facts.answers:
            answers[a.actor].append(a.business_seconds / 3600)
            if a.via.startswith("delegate of "):
                covered[a.actor] += 1
            elif a.via.startswith("escalation"):
                escalations[a.actor] += 1
    return [
        {
            "person": person,
            "answers": len(times),
            "response_hours": _spread(times),
            "covered_for_others": covered[person],
            "took_escalations": escalations[person],
        }
        for person, times in sorted(answers.items())
    ]


def _rules(group: list[CampaignFacts]) -> list[dict[str, Any]]:
    fired: Counter[tuple[str, int]] = Counter()
    declared: set[tuple[str, int]] = set()
    for facts in group:
        fired.update(facts.rules)
        declared.update(facts.declared_rows)
    return [
        {"step": step, "line": line, "fired": fired[(step, line)]}
        for step, line in sorted(declared | set(fired))
    ]


def _bottlenecks(group: list[CampaignFacts]) -> list[dict[str, Any]]:
    """Steps ranked by the business hours campaigns spent in them, all campaigns together."""
    time: dict[str, defaultdict[str, float]] = defaultdict(lambda: defaultdict(float))
    for facts in group:
        for span in facts.spans:
            time[span.step][span.kind] += span.business_seconds / 3600
    total = sum(sum(c.values()) for c in time.values()) or 1.0
    ranked = sorted(time.items(), key=lambda item: -sum(item[1].values()))
    return [
        {
            "rank": rank,
            "step": step,
            "hours": figure(sum(kinds.values())),
            "share": round(sum(kinds.values()) / total, 3),
            "mostly": max(kinds, key=lambda k: kinds[k]),
            "by_kind": {k: figure(v) for k, v in sorted(kinds.items())},
        }
        for rank, (step, kinds) in enumerate(ranked, start=1)
    ]


def _load(group: list[CampaignFacts], *, now: dt.datetime) -> dict[str, list[list[Any]]]:
    """Open work items per role at noon of each week the campaigns span (a sweep over the
    rounds' openings and closings, so ten thousand campaigns take no longer than one)."""
    changes: dict[str, list[tuple[float, int]]] = defaultdict(list)
    for facts in group:
        for r in facts.rounds:
            changes[r.role].append((r.opened_at, 1))
            changes[r.role].append((r.closed_at or now.timestamp(), -1))
    if not changes:
        return {}
    first = dt.datetime.fromtimestamp(min(t for c in changes.values() for t, _ in c), dt.UTC)
    last = dt.datetime.fromtimestamp(max(t for c in changes.values() for t, _ in c), dt.UTC)
    step = max(7, (last.date() - first.date()).days // 40)  # at most about 40 points a line
    moments: list[tuple[str, float]] = []
    day = first.date()
    while day <= last.date():
        moments.append((day.isoformat(), dt.datetime.combine(day, dt.time(12), dt.UTC).timestamp()))
        day += dt.timedelta(days=step)
    points: dict[str, list[list[Any]]] = {}
    for role, found in changes.items():
        found.sort()
        line: list[list[Any]] = []
        open_now, index = 0, 0
        for day_text, moment in moments:
            while index < len(found) and found[index][0] <= moment:
                open_now += found[index][1]
                index += 1
            line.append([day_text, open_now])
        points[role] = line
    return points


def _compare(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """The key figures of two versions of a process side by side."""

    def key(figures: dict[str, Any]) -> dict[str, Any]:
        rates = [s["escalation_rate"] for s in figures["steps"] if s["escalation_rate"] is not None]
        started = figures["campaigns"]["started"] or 1
        return {
            "version": figures["version"],
            "campaigns": figures["campaigns"]["started"],
            "completed_share": round(figures["campaigns"]["completed"] / started, 3),
            "business_days_p50": figures["cycle_time"]["business_days"]["p50"],
            "business_days_p90": figures["cycle_time"]["business_days"]["p90"],
            "escalation_rate_max": max(rates, default=0.0),
            "top_bottleneck": figures["bottlenecks"][0]["step"] if figures["bottlenecks"] else "",
        }

    return {"process": new["process"], "before": key(old), "after": key(new)}
