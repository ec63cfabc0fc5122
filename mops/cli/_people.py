"""``mops tasks``, ``approve``, ``reject``, ``request-changes``, ``complete``, ``delegate``,
``send-event``: people and systems acting on running campaigns.

Who acts: given ``--as ana``, the local operator asserts Ana's decision with their
own key, and the history says so ("asserted by operator ..."), never Ana's own act.
Given no ``--as``, the command acts as the person signed in with ``mops login``,
through the people's app (:mod:`mops.cli._signed_in`). Either way the campaign's
validator checks what the person may do against the team directory.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.client import (
    Credentials,
    Pending,
    Settings,
    has_worker,
    inbox,
    open_item,
    parse_assignments,
    pending_hint,
    pending_text,
    report_refusal,
    said,
    send_decision,
    send_event,
    typed_outputs,
)
from engine.errors import UserError
from engine.workflow.team import TeamSnapshot, snapshot
from engine.workflow.work_items import Act
from mops.cli import _signed_in as signed_in
from mops.cli._commands import summary
from mops.cli._common import print_json, sent_back, team_directory
from mops.cli._connect import connected, credentials
from mops.cli._conventions import moment

if TYPE_CHECKING:
    from temporalio.client import Client

_DECISIONS = {"approve": "approve", "reject": "reject", "request-changes": "request_changes"}


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    tasks = commands.add_parser("tasks", help=summary("tasks"))
    tasks.add_argument(
        "--as",
        dest="person",
        metavar="PERSON",
        help="whose inbox (a person id; default: who signed in with mops login)",
    )
    tasks.add_argument("--json", action="store_true")
    tasks.set_defaults(handler=show_tasks)
    for command, action in _DECISIONS.items():
        parser = commands.add_parser(command, help=summary(command))
        _target(parser)
        parser.add_argument("--comment", default="", help="why (kept in the campaign's history)")
        parser.set_defaults(handler=decide, action=action)
    complete = commands.add_parser("complete", help=summary("complete"))
    _target(complete)
    complete.add_argument(
        "--output",
        "-o",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a value the work item returns (repeat for each)",
    )
    complete.add_argument("--comment", default="", help="a note kept in the history")
    complete.set_defaults(handler=decide, action="complete")
    delegate = commands.add_parser("delegate", help=summary("delegate"))
    _target(delegate)
    delegate.add_argument("--to", required=True, metavar="PERSON", help="who takes the step over")
    delegate.add_argument("--comment", default="", help="why (kept in the history)")
    delegate.set_defaults(handler=decide, action="delegate")
    event = commands.add_parser("send-event", help=summary("send-event"))
    event.add_argument("name", metavar="NAME", help="the event, as the process waits for it")
    event.add_argument("--key", required=True, help="the correlation key, e.g. the lead's e-mail")
    event.add_argument("--data", default="{}", help="a JSON object the waiting step receives")
    event.add_argument("--json", action="store_true")
    event.set_defaults(handler=deliver_event)


def _target(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("campaign", metavar="RUN", help="the campaign id")
    parser.add_argument("step", metavar="STEP", help="the step's name in the process")
    parser.add_argument(
        "--as",
        dest="person",
        metavar="PERSON",
        help="who acts, asserted by you as the operator (default: yourself, signed in "
        "with mops login)",
    )
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--update-id",
        metavar="ID",
        help="send a pending decision again as the same one (the id it was reported with)",
    )
    parser.add_argument(
        "--wait",
        type=_seconds,
        metavar="SECONDS",
        help="how long to wait for the campaign to take the decision before it is "
        "reported pending (default: 30 when a worker runs, else 5), e.g. --wait 10",
    )


def _seconds(text: str) -> float:
    """A ``--wait`` value: seconds, from 0 to an hour."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number of seconds, e.g. 10") from None
    if not 0 <= value <= 3600:
        raise argparse.ArgumentTypeError(f"'{text}': give between 0 and 3600 seconds")
    return value


def team(here: Path | None = None) -> TeamSnapshot:
    """The team directory for commands that are not about one file.

    Raises:
        UserError: there is none (``MOPS_DIRECTORY`` unset and no team.toml found).
    """
    directory = team_directory((here or Path.cwd()) / "any.mops")
    if directory is None:
        raise UserError("no team directory: set MOPS_DIRECTORY or put a team.toml in this folder")
    return snapshot(directory)


async def show_tasks(args: argparse.Namespace) -> int:
    if (me := signed_in.who(Settings.from_env(), args.person)) is not None:
        return await _show_own_tasks(me, as_json=args.json)
    client, _info, settings = await connected()
    tasks = await inbox(client, team(), args.person, task_queue=settings.task_queue)
    if not await has_worker(client, settings.task_queue):
        # The inbox is read from the server alone; deciding needs a worker.
        print(
            f"mops: no worker is running for task queue '{settings.task_queue}': these are the "
            "open steps, and a decision sent now stays pending until 'mops worker' runs",
            file=sys.stderr,
        )
    if args.json:
        print_json([t.model_dump(mode="json") for t in tasks])
        return 0
    if not tasks:
        print(f"nothing waits for {args.person}")
        return 0
    for task in tasks:
        due = (
            "no deadline"
            if task.deadline is None
            else f"due {moment(task.deadline, seconds=False)}"
        )
        # The first column is the RUN to act with: a sub-process's own campaign id.
        via = task.via if task.part_of is None else f"{task.via}; sub-process of {task.part_of}"
        print(f"{task.campaign}  {task.step:<16} {task.title:<32} {task.form:<9} {due}  ({via})")
        if task.instructions:
            print(f"    {task.instructions}")
        returned = None if task.returned is None else task.returned.model_dump(mode="json")
        for line in sent_back(returned, task.round):
            print(f"    {line}")
    return 0


async def _show_own_tasks(me: signed_in.SignedIn, *, as_json: bool) -> int:
    rows = await signed_in.tasks(me)
    if as_json:
        print_json(rows)
        return 0
    if not rows:
        print(f"nothing waits for {me.person or 'you'}")
        return 0
    for row in rows:
        due = "no deadline" if row.get("deadline") is None else f"due in {row['time_left']}"
        print(
            f"{row['campaign']}  {row['step']:<16} {row['title']:<32} {row['form']:<9} {due}"
            f"  ({row['via']})"
        )
    return 0


async def decide(args: argparse.Namespace) -> int:
    if (me := signed_in.who(Settings.from_env(), args.person)) is not None:
        sent = await signed_in.decide(
            me,
            args.campaign,
            args.step,
            action=args.action,
            comment=args.comment,
            outputs=parse_assignments(getattr(args, "output", [])),
            to=getattr(args, "to", None),
            decision_id=args.update_id,
            wait=args.wait,
        )
        answer = signed_in.said(sent)
        if args.json:
            print_json(sent)
        else:
            print(answer)
        return signed_in.PENDING if sent.get("state") == "pending" else 0
    try:
        request, client, settings, as_person = await _prepare_decision(args)
        # Without a worker the campaign cannot take it now: wait briefly, then say it is
        # pending (the server holds it) rather than wait long or report a failure.
        if args.wait is not None:
            wait = dt.timedelta(seconds=args.wait)
        else:
            running = await has_worker(client, settings.task_queue)
            wait = dt.timedelta(seconds=30 if running else 5)
    except asyncio.CancelledError:
        print(
            "mops: interrupted before the decision was sent: nothing is recorded", file=sys.stderr
        )
        return 130
    decided = await send_decision(
        client,
        args.campaign,
        request,
        credentials=as_person,
        wait=wait,
        update_id=args.update_id,
    )
    if isinstance(decided, Pending):
        return _pending(decided, as_json=args.json)
    if args.json:
        print_json(
            {"campaign": args.campaign, "step": args.step, **decided.model_dump(mode="json")}
        )
    else:
        print(said(decided))
    return 0


async def _prepare_decision(
    args: argparse.Namespace,
) -> tuple[Act, Client, Settings, Credentials]:
    """The decision to send, checked as far as it can be before sending."""
    client, _info, settings = await connected()
    # Asserted by the local operator: recorded as such, never as the person's own act.
    as_person = credentials(settings).asserting(args.person)
    outputs: dict[str, Any] = {}
    if args.action == "complete":
        try:
            item = await open_item(client, args.campaign, args.step, actor=args.person)
        except UserError:
            if args.update_id is None:
                raise
            item = None  # sent again: the campaign may have taken it already
        try:
            given = parse_assignments(args.output)
            outputs = dict(given) if item is None else typed_outputs(item, given)
        except UserError as mistake:
            attempt = Act(step=args.step, actor=args.person, action="complete")
            await report_refusal(
                client, args.campaign, attempt, mistake.message, credentials=as_person
            )
            raise
    request = Act(
        step=args.step,
        actor=args.person,
        action=args.action,
        comment=args.comment,
        outputs=outputs,
        to=getattr(args, "to", None),
    )
    return request, client, settings, as_person


def _pending(pending: Pending, *, as_json: bool) -> int:
    """Tell the truth about a decision that is not confirmed: exit 130 when interrupted,
    4 when it waits for a worker, 0 when it was accepted and only its outcome is unseen."""
    if as_json:
        print_json({**pending.model_dump(mode="json"), "pending": not pending.accepted})
    else:
        print(f"mops: {pending_text(pending)}", file=sys.stderr)
        if not pending.accepted:
            print(f"  hint: {pending_hint(pending)}", file=sys.stderr)
    if pending.interrupted:
        return 130
    return 0 if pending.accepted else PENDING_EXIT


PENDING_EXIT = 4
"""The exit code of a decision the server holds and no worker has taken yet."""


async def deliver_event(args: argparse.Namespace) -> int:
    try:
        data = json.loads(args.data)
    except json.JSONDecodeError as error:
        raise UserError(f"--data is not JSON: {error.msg} (column {error.colno})") from None
    except ValueError as error:  # a number of more than 4,300 digits
        raise UserError(f"--data cannot be read: {str(error).splitlines()[0]}") from None
    if not isinstance(data, dict):
        raise UserError('--data must be a JSON object, e.g. \'{"reply": "yes"}\'')
    client, _info, settings = await connected()
    delivered = await send_event(
        client,
        name=args.name,
        key=args.key,
        data=data,
        task_queue=settings.task_queue,
        credentials=credentials(settings),
    )
    if args.json:
        print_json({"delivered_to": delivered})
    else:
        print(f"'{args.name}' ({args.key}) delivered to {len(delivered)} campaign(s)")
    return 0
