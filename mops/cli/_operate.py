"""``mops pause|resume|cancel (RUN | --process P [--yes])``: operating campaigns.

With ``--process`` the command first shows exactly which campaigns it would
touch and does nothing until it is run again with ``--yes``. Who did it (the
local operator, signing with their key) and why are recorded in each campaign's
history; a cancellation counts only with that signature.
"""

from __future__ import annotations

import argparse

from temporalio.client import Client
from temporalio.service import RPCError

from engine.client import Credentials, list_campaigns, signed_signal
from engine.errors import UserError
from engine.workflow.campaign import CANCEL_SIGNAL, PAUSE_SIGNAL, RESUME_SIGNAL, OperatorAction
from mops.cli._commands import summary
from mops.cli._common import print_json
from mops.cli._connect import connected, credentials


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    for name in ("pause", "resume", "cancel"):
        parser = commands.add_parser(name, help=summary(name))
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("campaign", nargs="?", metavar="RUN", help="one campaign id")
        target.add_argument("--process", help="every running campaign of this process")
        parser.add_argument("--yes", action="store_true", help="with --process: do it")
        parser.add_argument("--reason", default="", help="kept in each campaign's history")
        parser.add_argument("--json", action="store_true")
        parser.set_defaults(handler=run, verb=name)


async def run(args: argparse.Namespace) -> int:
    client, _info, settings = await connected()
    signing = credentials(settings)
    action = OperatorAction(by=signing.principal, reason=args.reason)
    if args.campaign:
        targets = [args.campaign]
    else:
        state = "paused" if args.verb == "resume" else "running"
        found = await list_campaigns(
            client, task_queue=settings.task_queue, process=args.process, state=state, limit=10_000
        )
        targets = [c.id for c in found]
        if not args.yes:
            if args.json:
                print_json({"would": args.verb, "campaigns": targets})
            else:
                print(f"would {args.verb} {len(targets)} campaign(s) of {args.process}:")
                for campaign in targets:
                    print(f"  {campaign}")
                print("run again with --yes to do it")
            return 0
    done = [
        campaign
        for campaign in targets
        if await _apply(client, campaign, args.verb, action, signing)
    ]
    if args.json:
        print_json({args.verb: done})
    else:
        for campaign in done:
            print(f"{args.verb}: {campaign}")
    return 0


async def _apply(
    client: Client, campaign: str, verb: str, action: OperatorAction, signing: Credentials
) -> bool:
    try:
        if verb == "pause":
            await signed_signal(client, campaign, PAUSE_SIGNAL, action, credentials=signing)
        elif verb == "resume":
            await signed_signal(client, campaign, RESUME_SIGNAL, action, credentials=signing)
        else:
            await signed_signal(client, campaign, CANCEL_SIGNAL, action, credentials=signing)
            await client.get_workflow_handle(campaign).cancel()
    except RPCError as error:
        raise UserError(f"{campaign}: {error.message}") from None
    return True
