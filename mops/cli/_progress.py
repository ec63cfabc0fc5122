"""The live progress display of ``mops run``: steps done, current step, elapsed."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import sys
import time
from collections.abc import Iterator
from typing import Any, TextIO

from temporalio.client import WorkflowHandle, WorkflowQueryFailedError
from temporalio.service import RPCError

from engine.workflow.campaign import STATUS_QUERY, CampaignStatus, StepRecord

_SPINNER = "|/-\\"


def _seconds(record: StepRecord) -> str:
    if record.ended_at is None:
        return ""
    return f"{(record.ended_at - record.started_at).total_seconds():.1f}s"


class Progress:
    """Prints each step as it ends and, on a terminal, a live status line."""

    def __init__(self, out: TextIO = sys.stdout) -> None:
        self.out = out
        self.live = out.isatty()
        self.reported: set[tuple[int, str]] = set()
        self.started = time.monotonic()
        self.tick = 0
        self.line_shown = False

    def show(self, status: CampaignStatus) -> None:
        self._clear()
        # By position: the query and the history time a step slightly differently.
        for index, record in enumerate(status.steps):
            key = (index, record.id)
            if record.state != "running" and key not in self.reported:
                self.reported.add(key)
                mark = "done  " if record.state == "done" else "FAILED"
                line = (
                    f"  {mark} {record.title:<40} {record.action or '':<16} {_seconds(record):>7}"
                )
                if record.error:
                    line += f"\n         {record.error}"
                print(line, file=self.out)
        if self.live and status.state == "running":
            current = next((s for s in reversed(status.steps) if s.state == "running"), None)
            doing = f"{current.title} ({current.action})" if current else "starting"
            done = sum(1 for s in status.steps if s.state == "done")
            elapsed = time.monotonic() - self.started
            self.tick += 1
            spin = _SPINNER[self.tick % len(_SPINNER)]
            steps = f"{done} step{'s' if done != 1 else ''} done"
            self.out.write(f"  {spin} {steps} | now: {doing} | {elapsed:5.1f}s")
            self.out.flush()
            self.line_shown = True

    def _clear(self) -> None:
        if self.line_shown:
            self.out.write("\r\033[K")
            self.line_shown = False

    def finish(self) -> None:
        self._clear()
        self.out.flush()

    def note(self, text: str) -> None:
        """A line from a running step (e.g. what ``log.info`` wrote), above the live line."""
        self._clear()
        print(f"         | {text}", file=self.out, flush=True)


class ActionLogLines(logging.Handler):
    """Shows what actions log (``log.info`` and friends) in the progress display."""

    def __init__(self, progress: Progress) -> None:
        super().__init__(logging.INFO)
        self.progress = progress

    def emit(self, record: logging.LogRecord) -> None:
        self.progress.note(record.getMessage())

    @contextlib.contextmanager
    def attached(self) -> Iterator[None]:
        """Route the ``mops.actions`` loggers here while the campaign is followed."""
        logger = logging.getLogger("mops.actions")
        before = (logger.level, logger.propagate)
        logger.addHandler(self)
        logger.setLevel(logging.INFO)
        logger.propagate = False
        try:
            yield
        finally:
            logger.removeHandler(self)
            logger.level, logger.propagate = before


async def follow(
    handle: WorkflowHandle[Any, Any], progress: Progress, *, interval: float = 0.25
) -> None:
    """Show the campaign's progress until it ends (the caller awaits the result)."""
    result = asyncio.ensure_future(handle.result())
    try:
        while not result.done():
            try:
                status = await handle.query(
                    STATUS_QUERY, result_type=CampaignStatus, rpc_timeout=dt.timedelta(seconds=5)
                )
                progress.show(status)
            except (RPCError, WorkflowQueryFailedError):
                pass  # not started by a worker yet, or between two tasks
            await asyncio.wait({result}, timeout=interval)
    finally:
        result.cancel()
