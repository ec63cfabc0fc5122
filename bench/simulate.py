"""A 90-day process run as a scenario, and cohorts of real processes simulated.

``python -m bench simulate [--repeat N] [--runs N] [--cohort N] [--side-by-side N]``
times ``mops test`` on one scenario of a quarter-long programme (approvals,
reminders, escalations and 30-day waits), ``mops simulate`` on a cohort of it,
a cohort of ``--side-by-side`` campaigns of processes/webinar.mops (people
answering, speakers confirming, the webinar platform's events, a tenth of the
line-ups called off) both in process and on the test server, and a cohort of
``--cohort`` of them in process, and writes the section "Scenarios and
simulation" of docs/benchmarks.md. Targets: the scenario in under 3 s; 1,000
webinar campaigns in under 30 s.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench._report import machine, spread, write_section
from mops.scenarios import Summary

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
    parser.add_argument(
        "--side-by-side",
        type=int,
        default=100,
        help="webinar campaigns run both in process and on the test server",
    )
    args = parser.parse_args(argv)
    asyncio.run(_measure(args.repeat, args.runs, args.cohort, args.side_by_side))


@dataclass(frozen=True)
class Timed:
    wall: float
    cpu: float
    """This process's CPU seconds."""
    children: float
    """CPU seconds of the child processes that ended meanwhile (forked ones, a test server)."""
    summary: Summary
    load: float
    """The machine's load average over the last minute, at the end."""

    def did(self) -> str:
        outcomes = ", ".join(f"{n} {state}" for state, n in self.summary.outcomes.items())
        return (
            f"{outcomes}; p50 {self.summary.percentile(0.5):.1f}, "
            f"p90 {self.summary.percentile(0.9):.1f} business days"
        )


def _cpu() -> tuple[float, float]:
    """CPU seconds of this process, and of the child processes that ended."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


async def _webinar(cohort: int, folder: Path, *, on_server: bool = False) -> Timed:
    """A webinar cohort, timed: wall and CPU seconds, and what it did."""
    from mops.cli._simulate import simulate

    responses = folder / "webinar.toml"
    responses.write_text(WEBINAR_RESPONSES)
    wall, (cpu, children) = time.perf_counter(), _cpu()
    summary = await simulate(
        ROOT / "processes" / "webinar.mops",
        runs=cohort,
        seed=1,
        responses=responses,
        on_server=on_server,
    )
    wall = time.perf_counter() - wall
    own, ended = _cpu()
    return Timed(wall, own - cpu, ended - children, summary, os.getloadavg()[0])


async def _measure(repeat: int, runs: int, cohort: int, side: int) -> None:
    from mops.cli._simulate import simulate
    from mops.scenarios import run_files
    from mops.scenarios._fast import processes_for

    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        # First: a process that has talked to a Temporal server (below) has the SDK's
        # threads and no longer forks (mops.scenarios._fast.can_fork).
        big = await _webinar(cohort, base)
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
        here_side = await _webinar(side, base)
        there_side = await _webinar(side, base, on_server=True)
    same = (
        "the same outcomes, reasons and escalation rates"
        if (here_side.summary.outcomes, here_side.summary.reasons)
        == (there_side.summary.outcomes, there_side.summary.reasons)
        and here_side.summary.escalation_rate == there_side.summary.escalation_rate
        else "DIFFERENT results"
    )
    body = f"""\
`python -m bench simulate --repeat {repeat} --runs {runs} --cohort {cohort} --side-by-side {side}` \
({machine()}).

A quarter-long process (an approval with daily reminders, two monthly reports, 30-day
waits, a closing approval; {days:.1f} business days of campaign time) run as one
scenario by `mops test`, which starts its own time-skipping test server each time:

| what | seconds, median (min-max) | target |
|---|---|---|
| one 90-day scenario, server start included | {spread(seconds)} | under 3 |
| a cohort of {runs} such campaigns (`mops simulate`, in process) \
| {cohort_seconds:.3f} | — |

Cohort result: p50 {quarter.percentile(0.5):.1f}, p90 {quarter.percentile(0.9):.1f} business days.

Cohorts of `processes/webinar.mops` (`mops simulate`: the real interpreter in the SDK's
workflow instances; people, speakers and the webinar platform drawn from the responses
file in `bench/simulate.py`). "In process" is the default: the server's part played in
this process and, for {cohort:,} campaigns, in {processes_for(cohort)} processes forked
from it ({processes_for(side)} for {side}); "test server" is `--on-server`: one
time-skipping Temporal test server and one worker. "CPU s" is this process's;
"children" the CPU of the child processes that ended during the run (the forked ones;
the test server, if the SDK reaps it). Load is the machine's one-minute load average
when the run ended (2 cores, shared with other engineers' work).

| cohort | how | wall s | CPU s | children CPU s | per campaign, wall ms | load | target |
|---|---|---:|---:|---:|---:|---:|---|
| {side:,} | test server | {there_side.wall:.1f} | {there_side.cpu:.1f} \
| {there_side.children:.1f} | {there_side.wall / side * 1000:.0f} | {there_side.load:.1f} | — |
| {side:,} | in process | {here_side.wall:.1f} | {here_side.cpu:.1f} \
| {here_side.children:.1f} | {here_side.wall / side * 1000:.0f} | {here_side.load:.1f} | — |
| {cohort:,} | in process | {big.wall:.1f} | {big.cpu:.1f} | {big.children:.1f} \
| {big.wall / cohort * 1000:.0f} | {big.load:.1f} | 30 s for 1,000 |

Side by side, {side} campaigns: the test server took {there_side.wall / here_side.wall:.1f} times \
the wall time of the in-process run, with {same}.
What the {side} did: {here_side.did()} (test server: {there_side.did()}).
What the {cohort:,} did: {big.did()}.
"""
    write_section("Scenarios and simulation", body)
    print(body)
