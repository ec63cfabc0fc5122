"""``mops schedule create|list|pause|resume|trigger|remove``: campaigns that start by
themselves, as a process's ``every ...`` line says (Temporal Schedules).

``create`` compiles the process, resolves its inputs and signs the start the schedule
will make, once, as the operator who creates it (see docs/security.md).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from engine.client import (
    change_schedule,
    create_schedule,
    list_schedules,
    parse_assignments,
    resolve_inputs,
    spec_of,
)
from engine.workflow.team import snapshot
from mops.cli._commands import summary
from mops.cli._common import print_json, team_directory
from mops.cli._connect import connected, credentials
from mops.cli._conventions import moment
from mops.cli._prepare import compile_or_explain, registry

_CHANGES = {
    "pause": "stop starting campaigns until resumed; running ones go on",
    "resume": "start campaigns again",
    "trigger": "start one campaign now, as the schedule would",
    "remove": "remove the schedule for good; running campaigns go on",
}
_DONE = {"pause": "paused", "resume": "resumed", "trigger": "triggered", "remove": "removed"}


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    group = commands.add_parser("schedule", help=summary("schedule"))
    actions = group.add_subparsers(dest="schedule_command", metavar="ACTION", required=True)
    create = actions.add_parser(
        "create", help="make a schedule from the every line of a process file"
    )
    create.add_argument("file", type=Path, metavar="FILE", help="the process file")
    create.add_argument(
        "--input", "-i", action="append", default=[], metavar="NAME=VALUE", help="an input value"
    )
    create.add_argument(
        "--id", dest="schedule_id", help="the schedule id (default: PROCESS-schedule)"
    )
    create.add_argument("--json", action="store_true")
    create.set_defaults(handler=run_create)
    listed = actions.add_parser("list", help="the schedules of this task queue")
    listed.add_argument("--json", action="store_true")
    listed.set_defaults(handler=run_list)
    for name, text in _CHANGES.items():
        change = actions.add_parser(name, help=text)
        change.add_argument("schedule", metavar="ID", help="the schedule id")
        if name in ("pause", "resume"):
            change.add_argument("--reason", default="", help="why (kept on the schedule)")
        change.add_argument("--json", action="store_true")
        change.set_defaults(handler=run_change, change=name)


async def run_create(args: argparse.Namespace) -> int:
    process = compile_or_explain(args.file, registry())
    spec_of(process)  # a process that says nothing of when it starts: before any server
    inputs = resolve_inputs(process, texts=parse_assignments(args.input))
    directory = team_directory(args.file)
    client, _info, settings = await connected()
    made = await create_schedule(
        client,
        process,
        inputs,
        task_queue=settings.task_queue,
        credentials=credentials(settings),
        schedule_id=args.schedule_id,
        team=None if directory is None else snapshot(directory),
    )
    if args.json:
        print_json({"id": made, "process": process.name, "version": process.version})
    else:
        print(made)
    return 0


async def run_list(args: argparse.Namespace) -> int:
    client, _info, settings = await connected()
    found = await list_schedules(client, task_queue=settings.task_queue)
    if args.json:
        print_json([s.model_dump(mode="json") for s in found])
        return 0
    if not found:
        print("no schedules")
    for item in found:
        state = "paused" if item.paused else "active"
        upcoming = "-" if item.next_start is None else moment(item.next_start, seconds=False)
        print(f"{item.id:<28} {item.process:<20} {state:<7} next {upcoming}  {item.note}")
    return 0


async def run_change(args: argparse.Namespace) -> int:
    client, _info, _settings = await connected()
    await change_schedule(client, args.schedule, args.change, note=getattr(args, "reason", ""))
    if args.json:
        print_json({"id": args.schedule, "done": _DONE[args.change]})
    else:
        print(f"{_DONE[args.change]} {args.schedule}")
    return 0
