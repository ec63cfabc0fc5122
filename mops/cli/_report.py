"""``mops report RUN --html FILE``: a campaign's audit report as one self-contained page."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from engine.audit import (
    HistoryProblem,
    campaign_histories,
    process_of,
    read_timeline,
    report_html,
    time_zone,
)
from engine.errors import UserError
from mops.cli._commands import summary
from mops.cli._common import print_json
from mops.cli._connect import connected
from mops.cli._exports import export_mode, write_export


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("report", help=summary("report"))
    parser.add_argument("campaign", metavar="RUN", help="the campaign id")
    parser.add_argument("--html", type=Path, required=True, metavar="FILE", help="write here")
    parser.add_argument("--tz", metavar="ZONE", help="times in this zone (default: this machine's)")
    parser.add_argument("--json", action="store_true")
    parser.set_defaults(handler=write_report)


async def write_report(args: argparse.Namespace) -> int:
    zone = time_zone(args.tz)
    if args.html.is_dir():
        raise UserError(f"{args.html}: is a folder, not a file")
    client, _info, _settings = await connected()
    histories = await campaign_histories(client, args.campaign)
    try:
        timeline, process = read_timeline(histories), process_of(histories)
    except HistoryProblem as problem:
        raise UserError(f"'{args.campaign}' is not a campaign: {problem}") from None
    page = report_html(timeline, process, zone, dt.datetime.now(dt.UTC))
    try:
        write_export(args.html, page, mode=export_mode())
    except OSError as error:
        raise UserError(f"{args.html}: cannot be written ({error.strerror})") from None
    if args.json:
        print_json({"campaign": args.campaign, "wrote": str(args.html)})
    else:
        print(f"wrote {args.html}", file=sys.stderr)
    return 0
