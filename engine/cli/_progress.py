"""The live progress display of ``mops run``: steps done, current step, elapsed."""

from __future__ import annotations

import asyncio
import datetime as dt
import sys
import time
from typing import Any, TextIO

from temporalio.client import WorkflowHandle, WorkflowQueryFailedError
from temporalio.service import RPCError

from engine.campaign import STATUS_QUERY, CampaignStatus, StepRecord

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
        self.reported: set[tuple[str, dt.datetime]] = set()
        self.started = time.monotonic()
        self.tick = 0
        self.line_shown = False

    def show(self, status: CampaignStatus) -> None:
        self._clear()
        for record in status.steps:
            key = (record.id, record.started_at)
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
