"""``mops insights``: what real campaigns did, per process and version (docs/insights.md).

The facts of closed campaigns are read once from their Temporal histories into
a local store in the state directory; running campaigns are read fresh each
time; ``--rebuild`` forgets the store and reads everything again.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import sys
from pathlib import Path

from engine.audit import selection_query
from engine.client import ConnectionInfo, Settings
from engine.errors import UserError
from engine.insights import FILE_NAME, CampaignFacts, Store, html, refresh, report, text
from mops.cli._audit import day_or_time
from mops.cli._commands import summary
from mops.cli._common import connected, print_json
from mops.cli._graph import _write_atomically


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
    """The options that choose campaigns (also ``mops simulate --calibrate``'s)."""
    parser.add_argument("--process", help="only campaigns of this process")
    parser.add_argument("--version", help="only this version (the first characters do)")
    parser.add_argument("--since", type=day_or_time, metavar="DATE", help="started on or after")
    parser.add_argument("--until", type=day_or_time, metavar="DATE", help="started before")


def store_path(settings: Settings, info: ConnectionInfo) -> Path:
    """One store per cluster and namespace, in the state directory."""
    if info.embedded:
        return settings.state_dir / FILE_NAME
    key = hashlib.sha256(f"{info.address}/{info.namespace}".encode()).hexdigest()[:12]
    return settings.state_dir / f"insights-{key}.sqlite3"


async def campaign_facts(
    *,
    process: str | None,
    version: str | None,
    since: dt.datetime | None,
    until: dt.datetime | None,
    rebuild: bool = False,
) -> list[CampaignFacts]:
    """The facts of the selected campaigns: the store brought up to date, running ones fresh.

    Raises:
        UserError: a bad selection, or the cluster cannot be reached.
    """
    if since and until and since >= until:
        raise UserError("--since must come before --until")
    client, info, settings = await connected()
    store = Store(store_path(settings, info))
    try:
        if rebuild:
            store.clear()
        fresh = await refresh(client, store, selection_query(task_queue=settings.task_queue))
        chosen = store.load(process=process, version=version, since=since, until=until)
    finally:
        store.close()
    for facts in fresh.running:
        if process and facts.process != process:
            continue
        if version and not facts.version.startswith(version[:12]):
            continue
        if (since and facts.started_at < since) or (until and facts.started_at >= until):
            continue
        chosen.append(facts)
    return chosen


async def run(args: argparse.Namespace) -> int:
    if args.html is not None and args.html.is_dir():
        raise UserError(f"{args.html}: is a folder, not a file")
    chosen = await campaign_facts(
        process=args.process,
        version=args.version,
        since=args.since,
        until=args.until,
        rebuild=args.rebuild,
    )
    if not chosen:
        print("no campaigns match", file=sys.stderr)
    figures = report(chosen, now=dt.datetime.now(dt.UTC))
    if args.html is not None:
        try:
            _write_atomically(args.html, html(figures))
        except OSError as error:
            raise UserError(f"{args.html}: cannot be written ({error.strerror})") from None
    if args.json:
        print_json(figures)
    else:
        sys.stdout.write(text(figures))
        if args.html is not None:
            print(f"page: {args.html}")
    return 0
