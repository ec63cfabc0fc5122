"""``mops list``, and ``mops status`` through the Temporal SDK: read-only views.

``mops status`` itself is :mod:`mops.cli._status`; it comes here for what the
embedded server's HTTP API cannot answer (or when a cluster is configured).
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Sequence
from typing import Any

from engine.audit import selection_query
from engine.client import SubProcessItem, campaign_status, list_campaigns, sub_process_items
from engine.workflow.campaign import CampaignStatus
from mops.cli._commands import summary
from mops.cli._common import day_or_time, print_json
from mops.cli._connect import connected
from mops.cli._conventions import moment as shown
from mops.cli._status_text import print_status


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    listing = commands.add_parser("list", help=summary("list"))
    listing.add_argument("--process", help="only campaigns of this process")
    listing.add_argument(
        "--state",
        help="only campaigns in this state",
        choices=[
            "running",
            "paused",
            "completed",
            "failed",
            "cancelled",
            "terminated",
            "timed_out",
        ],
    )
    listing.add_argument(
        "--waiting-on",
        metavar="WHO",
        help="only campaigns with a step open for role:NAME or person:NAME",
    )
    _add_audit_filters(listing)
    listing.add_argument("--limit", type=int, default=50, help="at most this many (default 50)")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=show_list)


def _add_audit_filters(listing: argparse.ArgumentParser) -> None:
    """What auditors select campaigns by, besides process and state."""
    listing.add_argument("--version", help="only campaigns of this process version (source hash)")
    listing.add_argument("--owner", help="only campaigns started by this person")
    listing.add_argument(
        "--approved-by", metavar="PERSON", help="only campaigns where this person approved a step"
    )
    listing.add_argument(
        "--since", type=day_or_time, metavar="DATE", help="only campaigns started on or after"
    )
    listing.add_argument(
        "--until", type=day_or_time, metavar="DATE", help="only campaigns started before"
    )


def _when(moment: dt.datetime | None) -> str:
    return shown(moment)


async def status_through_sdk(campaign_id: str, *, ask_campaign: bool = True) -> dict[str, Any]:
    """The document of ``mops status --json``, read through the Temporal SDK.

    ``ask_campaign``: False when the campaign was just asked over the HTTP API and did
    not answer (no worker): its status is then rebuilt from its history at once.
    """
    client, _info, _settings = await connected()
    status = await campaign_status(client, campaign_id, ask_campaign=ask_campaign)
    inner = await sub_process_items(client, status) if status.state == "running" else []
    return status_document(campaign_id, status, inner)


def status_document(
    campaign_id: str, status: CampaignStatus, inner: Sequence[SubProcessItem] = ()
) -> dict[str, Any]:
    """What ``mops status --json`` prints, and the text is printed from."""
    return {
        "id": campaign_id,
        **status.model_dump(mode="json"),
        "sub_process_items": [
            {"campaign": i.campaign, **i.item.model_dump(mode="json")} for i in inner
        ],
    }


def _print_status(
    campaign_id: str, status: CampaignStatus, inner: Sequence[SubProcessItem] = ()
) -> None:
    print_status(status_document(campaign_id, status, inner))


async def show_list(args: argparse.Namespace) -> int:
    client, _info, settings = await connected()
    campaigns = await list_campaigns(
        client,
        task_queue=settings.task_queue,
        process=args.process,
        state=args.state,
        waiting_on=args.waiting_on,
        limit=args.limit,
        where=selection_query(
            version=args.version,
            owner=args.owner,
            approved_by=args.approved_by,
            since=args.since,
            until=args.until,
        ),
    )
    if args.json:
        print_json([c.model_dump(mode="json") for c in campaigns])
        return 0
    if not campaigns:
        print("no campaigns")
        return 0
    width = max(len(c.id) for c in campaigns)
    print(f"{'CAMPAIGN':<{width}}  {'PROCESS':<20} {'STATE':<10} {'STARTED':<19}  VERSION")
    for c in campaigns:
        started = _when(c.started_at)
        print(f"{c.id:<{width}}  {c.process:<20} {c.state:<10} {started:<19}  {c.version or '-'}")
    return 0
