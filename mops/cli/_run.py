"""``mops run FILE --input name=value ... [--detach]``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import time
from pathlib import Path

from engine.audit import readable
from engine.client import (
    campaign_status,
    has_worker,
    parse_assignments,
    resolve_inputs,
    start_campaign,
    wait_for_result,
)
from engine.workflow.campaign import CampaignResult
from engine.workflow.team import snapshot
from mops.cli._commands import summary
from mops.cli._common import print_json, team_directory
from mops.cli._connect import connected, credentials, trust
from mops.cli._prepare import compile_or_explain, registry
from mops.cli._progress import ActionLogLines, Progress, follow
from workers import WORKFLOWS, build_worker, run_worker, workflow_runner


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("run", help=summary("run"))
    parser.add_argument("file", type=Path, metavar="FILE", help="the process file to run")
    parser.add_argument(
        "--input", "-i", action="append", default=[], metavar="NAME=VALUE", help="an input value"
    )
    parser.add_argument(
        "--detach", action="store_true", help="only start it; print the campaign id"
    )
    parser.add_argument("--id", dest="campaign_id", help="the campaign id (default: generated)")
    parser.add_argument(
        "--reuse-id",
        action="store_true",
        help="with --id: start even if a closed campaign had that id (never a running one)",
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.set_defaults(handler=run)


async def run(args: argparse.Namespace) -> int:
    actions = registry()
    process = compile_or_explain(args.file, actions)
    inputs = resolve_inputs(process, texts=parse_assignments(args.input))
    directory = team_directory(args.file)
    client, info, settings = await connected()
    handle = await start_campaign(
        client,
        process,
        inputs,
        task_queue=settings.task_queue,
        credentials=credentials(settings),
        campaign_id=args.campaign_id,
        team=None if directory is None else snapshot(directory),
        reuse_id=args.reuse_id,
    )
    if args.detach:
        if args.json:
            print_json({"id": handle.id, "process": process.name, "version": process.version})
        else:
            print(handle.id)
            if not await has_worker(client, settings.task_queue):
                print(
                    "note: no worker is running; the campaign waits until 'mops worker' starts",
                    file=sys.stderr,
                )
        return 0

    out = sys.stderr if args.json else sys.stdout
    print(f"campaign {handle.id}: {process.title} (version {process.version})", file=out)
    if info.ui_url:
        print(
            f"  watch it at {info.ui_url}/namespaces/{info.namespace}/workflows/{handle.id}",
            file=out,
        )
    worker = build_worker(
        client,
        task_queue=settings.task_queue,
        registry=actions,
        workflows=WORKFLOWS,
        workflow_runner=workflow_runner(),
        trust=trust(settings),
    )
    stop = asyncio.Event()
    working = asyncio.create_task(run_worker(worker, stop=stop, install_signal_handlers=False))
    started = time.monotonic()
    progress = Progress(out)
    try:
        with ActionLogLines(progress).attached():
            await follow(handle, progress)
    except (KeyboardInterrupt, asyncio.CancelledError):
        progress.finish()
        # The campaign itself is durable: any worker carries it on.
        print(
            f"campaign {handle.id} goes on on the server; 'mops worker' continues it and "
            f"'mops status {handle.id}' shows it",
            file=sys.stderr,
        )
        raise
    finally:
        stop.set()
        with contextlib.suppress(Exception):
            await working
    progress.show(await campaign_status(client, handle.id))
    progress.finish()
    result = await wait_for_result(handle)  # a failure is reported after its steps
    _print_result(handle.id, result, time.monotonic() - started, as_json=args.json)
    return 0


def _print_result(
    campaign_id: str, result: CampaignResult, elapsed: float, *, as_json: bool
) -> None:
    if as_json:
        print_json({"id": campaign_id, "state": "completed", **result.model_dump(mode="json")})
        return
    steps = f"{result.steps_done} step{'s' if result.steps_done != 1 else ''}"
    print(f"campaign {campaign_id} completed: {steps} in {elapsed:.1f}s")
    if result.outputs:
        print("outputs:")
        width = max(len(name) for name in result.outputs)
        for name, value in result.outputs.items():
            print(f"  {name:<{width}} = {readable(value)}")
