"""``mops status RUN`` and ``mops list``: read-only views, ``--json`` for scripts."""

from __future__ import annotations

import argparse
import datetime as dt

from engine.audit import readable, selection_query
from engine.client import SubProcessItem, campaign_status, list_campaigns, sub_process_items
from engine.workflow.campaign import CampaignStatus
from engine.workflow.work_items import WorkItem
from mops.cli._commands import summary
from mops.cli._common import day_or_time, print_json, sent_back
from mops.cli._connect import connected
from mops.cli._conventions import moment as shown


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    status = commands.add_parser("status", help=summary("status"))
    status.add_argument("campaign", metavar="RUN", help="the campaign id")
    status.add_argument("--json", action="store_true")
    status.set_defaults(handler=show_status)

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


async def show_status(args: argparse.Namespace) -> int:
    client, _info, _settings = await connected()
    status = await campaign_status(client, args.campaign)
    inner = await sub_process_items(client, status) if status.state == "running" else []
    if args.json:
        print_json(
            {
                "id": args.campaign,
                **status.model_dump(mode="json"),
                "sub_process_items": [
                    {"campaign": i.campaign, **i.item.model_dump(mode="json")} for i in inner
                ],
            }
        )
        return 0
    _print_status(args.campaign, status, inner)
    return 0


def _print_status(
    campaign_id: str, status: CampaignStatus, inner: list[SubProcessItem] | None = None
) -> None:
    print(f"campaign  {campaign_id}")
    print(f"process   {status.process}: {status.title} (version {status.version})")
    print(f"state     {status.state}")
    print(f"started   {_when(status.started_at)}")
    if status.current_step:
        print(f"now at    {status.current_step}")
    if status.inputs:
        print("inputs")
        for name, value in status.inputs.items():
            print(f"  {name} = {readable(value)}")
    print("steps")
    if not status.steps:
        print("  (none started yet)")
    for step in status.steps:
        took = (
            ""
            if step.ended_at is None
            else f"{(step.ended_at - step.started_at).total_seconds():.1f}s"
        )
        state: str = step.state
        error = step.error
        if step.id.endswith(".notice") and state == "failed":
            # A reminder or escalation nobody received: the step itself goes on waiting.
            state, error = "unsent", f"nobody was told: {error}"
        print(f"  {state:<8} {step.title:<36} {step.action or '':<14} {took:>7}  {step.source}")
        if step.campaign is not None:
            print(f"           sub-process campaign {step.campaign}")
        if error:
            print(f"           {error}")
    if status.outputs:
        print("outputs")
        for name, value in status.outputs.items():
            print(f"  {name} = {readable(value)}")
    waiting: list[tuple[str | None, WorkItem]] = [(None, item) for item in status.open_items]
    waiting += [(found.campaign, found.item) for found in inner or []]
    for campaign, item in waiting:
        due = "" if item.deadline is None else f", due {_when(item.deadline)}"
        where = "" if campaign is None else f", in sub-process campaign {campaign}"
        print(
            f"waiting   {item.title} ({item.form}, round {item.round}{due}{where}) for "
            + ", ".join(item.parties + tuple(f"person:{p}" for p in item.added))
        )
        if item.instructions:
            print(f"          {item.instructions}")
        for line in sent_back(item.returned, item.round):
            print(f"          {line}")
    for attempt in status.refused:
        print(
            f"refused   {attempt.actor} tried to {attempt.action} '{attempt.step}' "
            f"at {_when(attempt.at)}: {attempt.reason}"
        )
    if status.error:
        print(f"error     {status.error}")


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
