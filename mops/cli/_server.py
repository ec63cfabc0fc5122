"""``mops server start|stop|status``: the embedded Temporal server."""

from __future__ import annotations

import argparse

from engine.client import EmbeddedServer, Settings
from mops.cli._commands import summary
from mops.cli._common import print_json


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("server", help=summary("server"))
    actions = parser.add_subparsers(dest="server_command", metavar="ACTION", required=True)
    for name, text in (
        ("start", "start it (or reuse the running one)"),
        ("stop", "stop it; campaigns are kept in its database"),
        ("status", "show its address and web UI"),
    ):
        sub = actions.add_parser(name, help=text)
        sub.add_argument("--json", action="store_true")
        sub.set_defaults(handler=run)


async def run(args: argparse.Namespace) -> int:
    server = EmbeddedServer(Settings.from_env())
    if args.server_command == "start":
        info = await server.ensure_running_async()
    elif args.server_command == "stop":
        stopped = server.stop()
        if args.json:
            print_json({"stopped": stopped})
        else:
            print("embedded server stopped" if stopped else "embedded server was not running")
        return 0
    else:
        found = server.status()
        if found is None:
            if args.json:
                print_json({"running": False})
            else:
                print("embedded server is not running ('mops server start' starts it)")
            return 3
        info = found
    if args.json:
        print_json({"running": True, **info.model_dump(mode="json")})
    else:
        print(f"embedded server running (pid {info.pid})")
        print(f"  address   {info.address}")
        print(f"  web UI    {info.ui_url}")
        print(f"  database  {info.db_file}")
        print(f"  log       {info.log_file}")
    return 0
