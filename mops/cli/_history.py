"""``mops history RUN``: who did what, when, and why, read from the campaign's history."""

from __future__ import annotations

import argparse
import sys

from engine.audit import campaign_timeline, render_timeline, time_zone
from mops.cli._commands import summary
from mops.cli._common import print_json
from mops.cli._connect import connected


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("history", help=summary("history"))
    parser.add_argument("campaign", metavar="RUN", help="the campaign id")
    parser.add_argument("--json", action="store_true", help="the timeline as JSON")
    parser.add_argument(
        "--tz", metavar="ZONE", help="show times in this zone (default: this machine's)"
    )
    parser.set_defaults(handler=show_history)


async def show_history(args: argparse.Namespace) -> int:
    zone = time_zone(args.tz)
    client, _info, _settings = await connected()
    timeline = await campaign_timeline(client, args.campaign)
    if args.json:
        print_json(timeline.model_dump(mode="json"))
        return 0
    sys.stdout.write(render_timeline(timeline, zone))
    return 0
