"""A 90-day process run as a scenario, and cohorts of real processes simulated.

``python -m bench simulate [--repeat N] [--runs N] [--cohort N]`` times ``mops
test`` on one scenario of a quarter-long programme (approvals, reminders,
escalations and 30-day waits), ``mops simulate`` on a cohort of it, and a cohort
of ``--cohort`` campaigns of processes/webinar.mops (people answering, speakers
confirming, the webinar platform's events, a tenth of the line-ups called off),
and writes the section "Scenarios and simulation" of docs/benchmarks.md.
Targets: the scenario in under 3 s; 1,000 webinar campaigns in under 30 s.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from bench._report import machine, spread, write_section

PROCESS = """\
process quarter "A quarter-long programme"
  input title: text

  task kickoff = log.info(message: "Kick-off of {title}")
  approval plan "Approve the plan"
    by person ana
    deadline 5 business days
    remind every 1 business day
    escalate to person ben
  wait 30 days
  work report_1 "First monthly report"
    assign person ana
    deadline 3 business days
    remind every 1 business day
    escalate to person ben
    returns summary: text
  wait 30 days
  work report_2 "Second monthly report"
    assign person ana
    deadline 3 business days
    remind every 1 business day
    escalate to person ben
    returns summary: text
  wait 20 days
  approval close "Close the programme"
    by person ben
    deadline 2 business days
    escalate to person ana
  task wrap_up = log.info(message: "{title} closed")
"""

TEAM = """\
[roles]

[people.ana]
name = "Ana"
email = "ana@example.com"

[people.ben]
name = "Ben"
email = "ben@example.com"
"""

SCENARIOS = """\
scenario "A quarter with one late report"
  input title = "Q3 programme"
  plan: approved by ana after 2 business days
  report_1: completed by ana after 1 business day with summary = "On track"
  report_2: completed by ben after 5 business days with summary = "Late, but fine"
  close: approved by ben after 1 business day
  expect path kickoff, plan, report_1, report_2, close, wrap_up
  expect report_2 escalated to ben
  expect duration >= 60 business days
"""


WEBINAR_RESPONSES = """\
[roles.events_manager]
answer = "lognormal(median=4 business hours, p90=2 business days)"

[steps.speakers_ready.outputs]
go_ahead = {one_of = [true, true, true, true, true, true, true, true, true, false]}

[steps.copy_check]
approve = 0.8
changes = 0.2

[events."speaker.confirmed"]
arrives = 0.9
after = "lognormal(median=1 business day, p90=4 business days)"

[events."webinar.ended"]
arrives = 0.95
after = "lognormal(median=2 business hours, p90=6 business hours)"
"""
ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench simulate")
    parser.add_argument("--repeat", type=int, default=5, help="scenario runs to time")
    parser.add_argument("--runs", type=int, default=20, help="campaigns in the cohort")
    parser.add_argument("--cohort", type=int, default=1000, help="webinar campaigns")
    args = parser.parse_args(argv)
    asyncio.run(_measure(args.repeat, args.runs, args.cohort))


async def _webinar(cohort: int, folder: Path) -> tuple[float, float, str]:
    """Wall and CPU seconds of a webinar cohort, and what it did."""
    from mops.cli._simulate import simulate

    responses = folder / "webinar.toml"
    responses.write_text(WEBINAR_RESPONSES)
    wall, cpu = time.perf_counter(), time.process_time()
    summary = await simulate(
        ROOT / "processes" / "webinar.mops", runs=cohort, seed=1, responses=responses
    )
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    outcomes = ", ".join(f"{n} {state}" for state, n in summary.outcomes.items())
    return (
        wall,
        cpu,
        (
            f"{outcomes}; p50 {summary.percentile(0.5):.1f}, p90 {summary.percentile(0.9):.1f} "
            "business days"
        ),
    )


async def _measure(repeat: int, runs: int, cohort: int) -> None:
    from mops.cli._simulate import simulate
    from mops.scenarios import run_files

    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        (base / "quarter.mops").write_text(PROCESS)
        (base / "team.toml").write_text(TEAM)
        (base / "quarter.scenarios").write_text(SCENARIOS)
        seconds: list[float] = []
        days = 0.0
        for _ in range(repeat):
            started = time.perf_counter()
            results = await run_files([base / "quarter.scenarios"])
            seconds.append(time.perf_counter() - started)
            assert all(r.passed for r in results), [r.failures for r in results]
            days = results[0].business_days
        started = time.perf_counter()
        quarter = await simulate(base / "quarter.mops", runs=runs, seed=1, inputs={"title": "x"})
        cohort_seconds = time.perf_counter() - started
        webinar_wall, webinar_cpu, webinar = await _webinar(cohort, base)
    body = f"""\
`python -m bench simulate --repeat {repeat} --runs {runs} --cohort {cohort}` ({machine()}).

A quarter-long process (an approval with daily reminders, two monthly reports, 30-day
waits, a closing approval; {days:.1f} business days of campaign time) run as one
scenario by `mops test`, which starts its own time-skipping test server each time:

| what | seconds, median (min-max) | target |
|---|---|---|
| one 90-day scenario, server start included | {spread(seconds)} | under 3 |
| a cohort of {runs} such campaigns (`mops simulate`, one shared server) \
| {cohort_seconds:.3f} | — |

Cohort result: p50 {quarter.percentile(0.5):.1f}, p90 {quarter.percentile(0.9):.1f} business days.

A cohort of {cohort:,} campaigns of `processes/webinar.mops` (`mops simulate`: the real
interpreter, one shared time-skipping server, people, speakers and the webinar platform
drawn from the responses file in `bench/simulate.py`), one run:

| what | wall s | CPU s (this process) | per campaign, wall ms | target |
|---|---:|---:|---:|---|
| {cohort:,} webinar campaigns | {webinar_wall:.1f} | {webinar_cpu:.1f} \
| {webinar_wall / cohort * 1000:.0f} | 30 s for 1,000 |

What they did: {webinar}.
"""
    write_section("Scenarios and simulation", body)
    print(body)
