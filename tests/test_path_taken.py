"""The report's "path taken" (issue 15): inner `if`s, a wait until a moment already past
and `exit when` are on the path, and every shape is labelled as a person reads it
(`if budget > 0 EUR`), never with an internal id (`if_line_30`)."""

from __future__ import annotations

import datetime as dt
import html
import re

from support import compile_text, new_task_queue, start, worker_for
from temporalio.testing import WorkflowEnvironment

from engine import ir
from engine.audit import process_of, read_timeline, report_html, time_zone
from workers import builtin_registry

LAUNCH = """\
process launch "Launch"
  input budget: money = 20000 EUR
  input go_live: date = 2020-01-06
  task prep "Prepare" = log.info(message: "prep")
  if budget > 0 EUR
    if budget >= 10000 EUR
      set tier = "paid"
    else
      set tier = "boosted"
    task boost "Boost" = log.info(message: "boost {tier}")
  wait until go_live
  exit when event "launch.cancelled"
  for each channel in ["email", "social"]
    task publish "Publish" = log.info(message: "publish on {channel}")
"""


async def test_the_path_taken_shows_inner_ifs_past_waits_and_exits_by_their_words(
    time_env: WorkflowEnvironment,
) -> None:
    registry = builtin_registry()
    process = compile_text(LAUNCH, registry)
    queue = new_task_queue()
    async with worker_for(time_env.client, registry, queue):
        handle = await start(time_env.client, process, {}, queue)
        await handle.result()
        history = await handle.fetch_history()
    page = report_html(
        read_timeline([history]),
        process_of([history]),
        time_zone("UTC"),
        dt.datetime(2026, 12, 1, tzinfo=dt.UTC),
    )
    lit = set(re.findall(r'<g class="step highlight" data-node="([^"]+)"', page))
    ids = {step.id: step for step in ir.iter_steps(process.body)}
    outer, inner = (i for i, s in ids.items() if s.kind == "if")
    [wait] = (i for i, s in ids.items() if s.kind == "wait")
    [exits] = (i for i, s in ids.items() if s.kind == "exit")
    [loop] = (i for i, s in ids.items() if s.kind == "for_each")
    # The wait fell due at once (its moment had passed): no timer, still on the path.
    assert {"start", "prep", outer, inner, "boost", wait, exits, loop, "publish", "end"} <= lit
    labels = _labels(page)
    assert not re.search(r"\b(if|for_each|wait|set|exit)_line_\d+\b", labels)
    for label in (
        "if budget > 0 EUR",
        "if budget >= 10000 EUR",
        "yes",
        "otherwise",
        "wait until go_live",
        "exit when launch.cancelled",
        'for each channel in ["email", "social"]',
        "set tier",
    ):
        assert label in labels, labels


def _labels(page: str) -> str:
    """The text drawn in the pictures (what a person reads, a long label wrapped onto
    lines joined again), without the markup."""
    return html.unescape(" ".join(re.findall(r">([^<>]+)</t(?:ext|span)>", page)))
