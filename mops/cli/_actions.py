"""``mops actions``: what tasks can call, with their signatures."""

from __future__ import annotations

import argparse

from dsl import did_you_mean
from engine.errors import UserError
from mops.cli._commands import summary
from mops.cli._common import print_json
from mops.cli._prepare import registry


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("actions", help=summary("actions"))
    parser.add_argument("name", nargs="?", help="show only this action")
    parser.add_argument("--json", action="store_true", help="signatures as JSON (for tools)")
    parser.set_defaults(handler=run)


async def run(args: argparse.Namespace) -> int:
    actions = registry()
    signatures = [s for s in actions.signatures() if args.name in (None, s.name)]
    if args.name and not signatures:
        raise UserError(
            f"no action '{args.name}'",
            hint=did_you_mean(args.name, actions.names) or "'mops actions' lists them all",
        )
    if args.json:
        print_json([s.to_data() for s in signatures])
        return 0
    for signature in signatures:
        params = ", ".join(
            f"{p.name}: {p.type}" + ("" if p.required else "?") for p in signature.params
        )
        result = ", ".join(f"{f.name}: {f.type}" for f in signature.result)
        print(f"{signature.name}({params})")
        print(f"    {signature.description}")
        print(f"    returns {result}")
    return 0
