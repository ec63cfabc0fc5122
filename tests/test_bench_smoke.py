"""A tiny run of each engine benchmark on the real embedded server: it completes,
and its report has what docs/benchmarks.md promises. No timing is asserted."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bench import app, approvals, long, memory, overhead, replay, scale
from bench._harness import Server, embedded_server

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
async def server() -> AsyncIterator[Server]:
    async with embedded_server() as running:
        yield running


async def test_overhead_runs_both_sides_to_completion(server: Server) -> None:
    figures = await overhead.measure(server, campaigns=3, runs=1, warm_up=1)
    for side in ("interpreter", "handwritten"):
        (run,) = figures.runs[side]
        assert len(run.latencies) == 3
        # Ten activities each, all completed.
        assert run.kinds["ACTIVITY_TASK_COMPLETED"] == 3 * 10
        assert run.kinds["WORKFLOW_EXECUTION_COMPLETED"] == 3
    report = overhead.render(figures, "python -m bench overhead --campaigns 3 --runs 1")
    for wanted in (
        "Command: `python -m bench overhead --campaigns 3 --runs 1`",
        "cores",
        "temporalio",
        "throughput (campaigns/s)",
        "p95 latency (s)",
        "worker CPU (s)",
        "history events per campaign",
        "ACTIVITY_TASK_SCHEDULED",
    ):
        assert wanted in report


async def test_approvals_are_all_delivered_and_campaigns_complete(server: Server) -> None:
    figures = await approvals.measure(server, campaigns=3, runs=1, warm_up=1)
    for side in ("interpreter", "handwritten"):
        (run,) = figures.runs[side]
        assert len(run.round_trips) == 3
        assert len(run.answers) == 3
    report = approvals.render(figures, "python -m bench approvals --campaigns 3 --runs 1")
    assert "all approved and completed (s)" in report
    assert "approval round trip p95 (s)" in report


async def test_scale_counts_every_campaign_through(server: Server) -> None:
    figures = await scale.measure(server, campaigns=4, limit=120)
    assert (figures.started, figures.waiting, figures.approved, figures.completed) == (4, 4, 4, 4)
    assert (figures.failed, figures.running, figures.refused) == (0, 0, [])
    assert figures.worker_rss_peak > 0
    report = scale.render(figures, "python -m bench scale --campaigns 4")
    assert "| completed | 4 |" in report
    assert "failed / still running / lost | 0 / 0 / 0" in report


async def test_memory_reads_the_worker_before_and_after(server: Server) -> None:
    figures = await memory.measure(server, campaigns=3, runs=1)
    for side in ("interpreter", "handwritten"):
        (run,) = figures.runs[side]
        assert run.before > 0 and run.after > 0
    report = memory.render(figures, "python -m bench memory --campaigns 3 --runs 1")
    assert "KiB per cached campaign" in report
    assert "engine.ir" in report  # the sandbox settings are documented


async def test_replay_replays_recorded_histories_without_failure(server: Server) -> None:
    histories = await replay.record(server, 2)
    assert {side: len(found) for side, found in histories.items()} == {
        "interpreter": 2,
        "handwritten": 2,
    }
    figures = await replay.measure(histories, runs=1, campaigns=2)
    assert figures.runs["interpreter"][0].histories == 2
    report = replay.render(figures, "python -m bench replay --campaigns 2 --runs 1")
    assert "ms per history (wall)" in report


async def test_long_follows_every_run_of_a_campaign_that_continued_as_new(server: Server) -> None:
    batch, one = await long.measure(server, leads=40, one_at_a_time=12, limit=60)
    assert (batch.touched, one.touched) == (40, 12)
    # A small bound, so both continued as new; every run is followed and counted.
    assert batch.runs >= 2 and one.runs >= 2
    assert batch.events > batch.longest and one.events > one.longest
    report = long.render([batch, one], "python -m bench long --leads 40 --one-at-a-time 12")
    assert "| `bench_long_batch` | 40 | 40 |" in report
    assert "largest input" in report


async def test_app_serves_the_inbox_and_confirms_every_decision() -> None:
    # Its own servers: the campaigns are made on one, measured on the embedded one.
    figures = await app.measure(campaigns=12, mine=6, requests=2, decisions=2, rate=20)
    # Ana's inbox holds her six tasks and not the six waiting on role lead.
    assert figures.rows == 6
    assert len(figures.page) == len(figures.api) == len(figures.floor) == 2
    # Every decision sent through the app was confirmed (pending ones followed).
    assert (len(figures.app), len(figures.direct), figures.refused) == (2, 2, [])
    report = app.render(figures, "python -m bench app --campaigns 12 --mine 6")
    assert "| inbox page (HTML) |" in report
    assert "| through the app | 2 |" in report
