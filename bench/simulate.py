"""A 90-day process, run as a scenario and as a small cohort on the time-skipping server.

``python -m bench simulate [--repeat N] [--runs N]`` times ``mops test`` on one
scenario of a quarter-long programme (approvals, reminders, escalations and
30-day waits) and ``mops simulate`` on a cohort of it, and writes the section
"Scenarios and simulation" of docs/benchmarks.md. Target: the scenario in under 3 s.
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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench simulate")
    parser.add_argument("--repeat", type=int, default=5, help="scenario runs to time")
    parser.add_argument("--runs", type=int, default=20, help="campaigns in the cohort")
    args = parser.parse_args(argv)
    asyncio.run(_measure(args.repeat, args.runs))


async def _measure(repeat: int, runs: int) -> None:
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
        cohort = await simulate(base / "quarter.mops", runs=runs, seed=1, inputs={"title": "x"})
        cohort_seconds = time.perf_counter() - started
    body = f"""\
`python -m bench simulate --repeat {repeat} --runs {runs}` ({machine()}).

A quarter-long process (an approval with daily reminders, two monthly reports, 30-day
waits, a closing approval; {days:.1f} business days of campaign time) run as one
scenario by `mops test`, which starts its own time-skipping test server each time:

| what | seconds, median (min-max) | target |
|---|---|---|
| one 90-day scenario, server start included | {spread(seconds)} | under 3 |
| a cohort of {runs} such campaigns (`mops simulate`, 4 servers at once) \
| {cohort_seconds:.3f} | — |

Cohort result: p50 {cohort.percentile(0.5):.1f}, p90 {cohort.percentile(0.9):.1f} business days.
"""
    write_section("Scenarios and simulation", body)
    print(body)
