"""``mops status RUN``: one campaign, as text or ``--json``.

On the embedded server the status is asked over the server's HTTP API with the
standard library (:mod:`engine.local`): the Temporal SDK alone costs more CPU to
import than the whole command may take. Whatever that cannot answer (a closed
campaign, no worker, a cluster) goes through the SDK, in :mod:`mops.cli._read`.
Both produce the same document, the one ``--json`` prints, and the text is
printed from it (:mod:`mops.cli._status_text`), so the two cannot differ.
"""

from __future__ import annotations

import argparse
from collections.abc import Coroutine, Mapping
from typing import Any

from engine.local import Unanswered, embedded_http_api, status_document
from mops.cli._commands import summary
from mops.cli._common import print_json
from mops.cli._status_text import print_status


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    status = commands.add_parser("status", help=summary("status"))
    status.add_argument("campaign", metavar="RUN", help="the campaign id")
    status.add_argument("--json", action="store_true")
    status.set_defaults(handler=show_status)


def show_status(args: argparse.Namespace) -> int | Coroutine[Any, Any, int]:
    """Print the campaign's status; a coroutine (the SDK path) when the HTTP API cannot."""
    http_api = embedded_http_api()
    answer = (
        Unanswered(asked=False) if http_api is None else status_document(http_api, args.campaign)
    )
    if isinstance(answer, Unanswered):
        return _through_the_sdk(args, ask_campaign=not answer.asked)
    show(answer, as_json=args.json)
    return 0


async def _through_the_sdk(args: argparse.Namespace, *, ask_campaign: bool) -> int:
    from mops.cli._read import status_through_sdk

    show(await status_through_sdk(args.campaign, ask_campaign=ask_campaign), as_json=args.json)
    return 0


def show(document: Mapping[str, Any], *, as_json: bool) -> None:
    """Print a status document: as it is for ``--json``, else as text."""
    if as_json:
        print_json(document)
    else:
        print_status(document)
