"""``mops user add|passwd|list|token|integration|log`` and ``mops login``: the people's app's
local accounts, tokens and integrations (kept in the state folder's ``web.sqlite``)."""

from __future__ import annotations

import argparse
import base64
import getpass
import json
import os
import secrets
import sys
from pathlib import Path

import httpx

from engine.client import Settings
from engine.errors import UserError
from mops.cli._commands import summary
from mops.cli._common import print_json
from mops.web import Integration, Store, hash_password, integration_signer, new_token

MIN_PASSWORD = 10


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("user", help=summary("user"))
    actions = parser.add_subparsers(dest="user_command", metavar="ACTION", required=True)
    for name, text in (
        ("add", "give a person of the team directory a local account"),
        ("passwd", "set a new password (ends every session of the account)"),
    ):
        sub = actions.add_parser(name, help=text)
        sub.add_argument("person", metavar="PERSON", help="the person's id in team.toml")
        sub.add_argument(
            "--password-stdin", action="store_true", help="read the password from standard input"
        )
        sub.add_argument("--json", action="store_true")
        if name == "add":
            sub.add_argument("--operator", action="store_true", help="may start and operate")
            sub.add_argument("--auditor", action="store_true", help="may read campaigns and audit")
        sub.set_defaults(handler=set_password)
    listing = actions.add_parser("list", help="the local accounts")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=list_accounts)
    token = actions.add_parser("token", help="make a personal API token for a person")
    token.add_argument("person", metavar="PERSON", help="whose token")
    token.add_argument("--name", default="script", help="what the token is for")
    token.add_argument("--json", action="store_true")
    token.set_defaults(handler=make_token)
    integration = actions.add_parser(
        "integration", help="register a system that sends events (its token and signing secret)"
    )
    integration.add_argument("name", metavar="NAME", help="e.g. crm")
    integration.add_argument(
        "--scheme",
        choices=["standard-webhooks", "hmac-sha256"],
        default="standard-webhooks",
        help="how it signs its requests (default: standard-webhooks)",
    )
    integration.add_argument(
        "--events", default="*", help="event names it may send, e.g. 'lead.*' (default: any)"
    )
    integration.add_argument("--json", action="store_true")
    integration.set_defaults(handler=add_integration)
    log = actions.add_parser(
        "log", help="sign-ins and refused attempts recorded by the web app, newest first"
    )
    log.add_argument("--limit", type=int, default=100, help="how many entries (100)")
    log.add_argument("--json", action="store_true")
    log.set_defaults(handler=security_log)

    login = commands.add_parser("login", help=summary("login"))
    login.add_argument("--url", default=None, help="the app (default: MOPS_APP_URL or :8080)")
    login.add_argument("--as", dest="person", required=True, metavar="PERSON", help="who signs in")
    login.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    login.add_argument("--json", action="store_true")
    login.set_defaults(handler=log_in)


def _store() -> Store:
    return Store(Settings.from_env().state_dir / "web.sqlite")


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass(f"password for {args.person}: ")
        if args.__dict__.get("handler") is set_password:
            again = getpass.getpass("again: ")
            if again != password:
                raise UserError("the two passwords differ")
    return password


def _in_team(person: str) -> None:
    from dsl import directory_for

    directory = directory_for(Path.cwd() / "any.mops")
    if directory is None:
        raise UserError("no team directory: set MOPS_DIRECTORY or put a team.toml in this folder")
    if person not in directory.people:
        raise UserError(f"'{person}' is not in the team directory ({directory.source})")


async def set_password(args: argparse.Namespace) -> int:
    _in_team(args.person)
    store = _store()
    known = store.account(args.person)
    if args.user_command == "passwd" and known is None:
        raise UserError(f"'{args.person}' has no account", hint=f"mops user add {args.person}")
    if args.user_command == "add" and known is not None:
        raise UserError(f"'{args.person}' has an account", hint=f"mops user passwd {args.person}")
    password = _password(args)
    if len(password) < MIN_PASSWORD:
        raise UserError(f"a password needs at least {MIN_PASSWORD} characters")
    rights = None
    if args.user_command == "add":
        rights = tuple(r for r, on in (("operate", args.operator), ("audit", args.auditor)) if on)
    store.set_account(args.person, hash_password(password), rights)
    if args.json:
        print_json({"person": args.person, "made": known is None})
    else:
        print(f"{'account made for' if known is None else 'new password for'} {args.person}")
    return 0


async def list_accounts(args: argparse.Namespace) -> int:
    accounts = _store().accounts()
    if args.json:
        print_json(
            [
                {"person": a.person, "rights": list(a.rights), "changed": a.changed.isoformat()}
                for a in accounts
            ]
        )
        return 0
    for account in accounts:
        rights = ", ".join(account.rights) or "own tasks"
        print(f"{account.person:<20} {rights:<20} password set {account.changed:%Y-%m-%d %H:%M}")
    if not accounts:
        print("no local accounts ('mops user add PERSON' makes one)")
    return 0


async def security_log(args: argparse.Namespace) -> int:
    if not 0 < args.limit <= 100_000:
        raise UserError(f"--limit {args.limit}: give 1 to 100000")
    entries = _store().security_log(args.limit)
    if args.json:
        print_json([e.model_dump(mode="json") for e in entries])
        return 0
    for e in entries:
        when = f"{e.at:%Y-%m-%d %H:%M:%S} UTC"
        print(f"{when}  {e.kind:<15} {e.person:<16} {e.address:<15} {e.detail}")
    if not entries:
        print("nothing recorded yet")
    return 0


async def make_token(args: argparse.Namespace) -> int:
    _in_team(args.person)
    token = new_token("personal")
    _store().add_token(token, args.person, "personal", args.name)
    if args.json:
        print_json({"person": args.person, "name": args.name, "token": token})
        return 0
    print(token)
    print(
        f"a personal token for {args.person}: shown once, keep it like a password", file=sys.stderr
    )
    return 0


async def add_integration(args: argparse.Namespace) -> int:
    if not args.name.replace("-", "").replace("_", "").isalnum():
        raise UserError(f"'{args.name}': use letters, digits, - and _")
    store = _store()
    raw = secrets.token_bytes(32)
    secret = (
        "whsec_" + base64.b64encode(raw).decode()
        if args.scheme == "standard-webhooks"
        else secrets.token_hex(32)
    )
    events = tuple(args.events.replace(",", " ").split()) or ("*",)
    store.set_integration(
        Integration(name=args.name, secret=secret, scheme=args.scheme, events=events)
    )
    token = new_token("integration")
    store.add_token(token, args.name, "integration", args.name)
    signer = integration_signer(Settings.from_env().state_dir, args.name)
    found = {
        "integration": args.name,
        "scheme": args.scheme,
        "signing_secret": secret,
        "token": token,
        "events": list(events),
        "key": signer.key_id,
    }
    if args.json:
        print_json(found)
    else:
        for name, value in found.items():
            print(f"{name:<15} {value}")
        print("the secret and the token are shown once", file=sys.stderr)
    return 0


async def log_in(args: argparse.Namespace) -> int:
    url = (args.url or os.environ.get("MOPS_APP_URL") or "http://127.0.0.1:8080").rstrip("/")
    password = _password(args)
    try:
        async with httpx.AsyncClient(timeout=30) as client:
            answer = await client.post(
                f"{url}/api/tokens",
                json={"person": args.person, "password": password, "name": "mops login"},
            )
    except httpx.HTTPError as error:
        raise UserError(f"the app at {url} does not answer ({type(error).__name__})") from None
    if answer.status_code != 200:
        raise UserError(f"sign-in refused: {answer.json().get('detail', answer.status_code)}")
    token = answer.json()["token"]
    path = Settings.from_env().state_dir / "app-token.json"
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as out:
        json.dump({"url": url, "person": args.person, "token": token}, out)
    if args.json:
        print_json({"url": url, "person": args.person, "token_file": str(path)})
    else:
        print(f"signed in to {url} as {args.person}; the token is in {path} (0600)")
    return 0
