"""``mops insights``: what real campaigns did, per process and version (docs/insights.md).

The facts of closed campaigns are read once from their Temporal histories into
a local store in the state directory; running campaigns are read fresh each
time; ``--rebuild`` forgets the store and reads everything again. When the
selection holds no running campaign, the figures are kept with the store until
another campaign closes.

This module imports only what the command needs (the client side and the
analytics), not the compiler or the workers: it is run often, for a glance.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from engine.audit import selection_query
from engine.client import Settings, connect
from engine.errors import UserError
from engine.insights import (
    CampaignFacts,
    Refreshed,
    Selection,
    brought_up_to_date,
    chosen,
    figures_of,
    html,
    store_file,
    text,
)
from mops.cli._commands import summary
from mops.cli._common import day_or_time


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("insights", help=summary("insights"))
    add_selection(parser)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--html", type=Path, metavar="FILE", help="write a page with charts")
    parser.add_argument(
        "--rebuild", action="store_true", help="forget the local store and read every history"
    )
    parser.set_defaults(handler=run)


def add_selection(parser: argparse.ArgumentParser) -> None:
    """The options that choose campaigns."""
    parser.add_argument("--process", help="only campaigns of this process")
    parser.add_argument(
        "--version",
        action="append",
        help="only this version (the first characters do); twice: these two side by side",
    )
    parser.add_argument("--since", type=day_or_time, metavar="DATE", help="started on or after")
    parser.add_argument("--until", type=day_or_time, metavar="DATE", help="started before")


async def campaign_facts(
    *,
    process: str | None,
    since: dt.datetime | None,
    until: dt.datetime | None,
) -> list[CampaignFacts]:
    """The facts of the selected campaigns: the store brought up to date, running ones fresh.

    Raises:
        UserError: a bad selection, or the cluster cannot be reached.
    """
    selection = _selection(process, (), since, until)
    path, fresh = await _refreshed()
    return chosen(path, selection, fresh.running)


def _selection(
    process: str | None,
    versions: Sequence[str],
    since: dt.datetime | None,
    until: dt.datetime | None,
) -> Selection:
    if since and until and since >= until:
        raise UserError("--since must come before --until")
    return Selection(process=process, versions=tuple(versions), since=since, until=until)


async def _refreshed(*, rebuild: bool = False) -> tuple[Path, Refreshed]:
    settings = Settings.from_env()
    client, info = await connect(settings)
    path = store_file(settings.state_dir, info)
    clauses = selection_query(task_queue=settings.task_queue)
    return path, await brought_up_to_date(client, path, clauses, rebuild=rebuild)


async def run(args: argparse.Namespace) -> int:
    if args.html is not None and args.html.is_dir():
        raise UserError(f"{args.html}: is a folder, not a file")
    selection = _selection(args.process, args.version or (), args.since, args.until)
    path, fresh = await _refreshed(rebuild=args.rebuild)
    figures = figures_of(path, selection, fresh.running, now=dt.datetime.now(dt.UTC))
    if not figures["versions"]:
        print("no campaigns match", file=sys.stderr)
    if args.html is not None:
        _write(args.html, html(figures))
    if args.json:
        print(json.dumps(figures, indent=2, default=str, ensure_ascii=False))
    else:
        sys.stdout.write(text(figures))
        if args.html is not None:
            print(f"page: {args.html}")
    return 0


def _write(path: Path, text: str) -> None:
    """Write a file whole or not at all."""
    part = path.with_name(f".{path.name}.part")
    try:
        part.write_text(text, encoding="utf-8")
        part.replace(path)
    except OSError as error:
        part.unlink(missing_ok=True)
        raise UserError(f"{path}: cannot be written ({error.strerror})") from None
