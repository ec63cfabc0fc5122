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
import hashlib
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.audit import selection_query
from engine.client import ConnectionInfo, Settings, connect
from engine.errors import UserError
from engine.insights import FILE_NAME, CampaignFacts, Store, html, refresh, report, text
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


@dataclass(frozen=True)
class Chosen:
    campaigns: list[CampaignFacts]
    store: Path
    key: str | None
    """What the figures of this selection are kept under (None: it holds running ones)."""
    kept: dict[str, Any] | None = None


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
    return (await _choose(process, version, since, until, rebuild=rebuild)).campaigns


async def _choose(
    process: str | None,
    version: str | None,
    since: dt.datetime | None,
    until: dt.datetime | None,
    *,
    rebuild: bool = False,
    figures_only: bool = False,
) -> Chosen:
    if since and until and since >= until:
        raise UserError("--since must come before --until")
    settings = Settings.from_env()
    client, info = await connect(settings)
    path = store_path(settings, info)
    store = Store(path)
    try:
        if rebuild:
            store.clear()
        fresh = await refresh(client, store, selection_query(task_queue=settings.task_queue))
        running = [
            f
            for f in fresh.running
            if (not process or f.process == process)
            and (not version or f.version.startswith(version[:12]))
            and not (since and f.started_at < since)
            and not (until and f.started_at >= until)
        ]
        key = None
        if not running:
            key = json.dumps(
                [process, version, str(since), str(until), str(store.watermark), store.count()]
            )
            kept = store.figures(key) if figures_only else None
            if kept is not None:
                return Chosen([], path, key, kept)
        chosen = store.load(process=process, version=version, since=since, until=until)
    finally:
        store.close()
    return Chosen(chosen + running, path, key)


async def run(args: argparse.Namespace) -> int:
    if args.html is not None and args.html.is_dir():
        raise UserError(f"{args.html}: is a folder, not a file")
    chosen = await _choose(
        args.process, args.version, args.since, args.until, rebuild=args.rebuild, figures_only=True
    )
    figures = chosen.kept
    if figures is None:
        if not chosen.campaigns:
            print("no campaigns match", file=sys.stderr)
        figures = report(chosen.campaigns, now=dt.datetime.now(dt.UTC))
        if chosen.key is not None:
            store = Store(chosen.store)
            try:
                store.keep_figures(chosen.key, figures)
            finally:
                store.close()
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
