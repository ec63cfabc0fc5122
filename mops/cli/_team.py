"""``mops team push [--process P] [--yes]``: hand running campaigns the current team.toml.

A campaign decides its work items and approvals against the team directory it
started with; it sees a change to ``team.toml`` only when the directory is
pushed to it. The command first shows exactly which campaigns would get which
version, and does nothing until it is run again with ``--yes``. Who pushed is
recorded in each campaign's history with the directory itself.
"""

from __future__ import annotations

import argparse

from engine.client import list_campaigns, push_team
from mops.cli._commands import summary
from mops.cli._common import print_json
from mops.cli._connect import connected, credentials
from mops.cli._people import team


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    group = commands.add_parser("team", help=summary("team"))
    actions = group.add_subparsers(dest="team_command", metavar="ACTION", required=True)
    push = actions.add_parser(
        "push", help="send the current team.toml to running campaigns (preview, then --yes)"
    )
    push.add_argument("--process", help="only the campaigns of this process")
    push.add_argument("--yes", action="store_true", help="do it (without: show what it would do)")
    push.add_argument("--json", action="store_true")
    push.set_defaults(handler=run_push)


async def run_push(args: argparse.Namespace) -> int:
    directory = team()
    client, _info, settings = await connected()
    found = await list_campaigns(
        client, task_queue=settings.task_queue, process=args.process, state="running", limit=10_000
    )
    targets = [c.id for c in found]
    version = directory.version[:12]
    scope = f"campaign(s) of {args.process}" if args.process else "running campaign(s)"
    if not args.yes:
        if args.json:
            print_json({"would": "push", "team_version": directory.version, "campaigns": targets})
        else:
            print(f"would push team version {version} to {len(targets)} {scope}:")
            for campaign in targets:
                print(f"  {campaign}")
            print("run again with --yes to do it")
        return 0
    pushed = await push_team(client, targets, directory, credentials=credentials(settings))
    if args.json:
        print_json({"pushed": pushed, "team_version": directory.version})
    else:
        for campaign in pushed:
            print(f"pushed team version {version}: {campaign}")
        gone = len(targets) - len(pushed)
        if gone:
            print(f"{gone} campaign(s) ended before the push reached them")
    return 0
