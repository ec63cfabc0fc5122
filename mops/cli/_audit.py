"""``mops audit export`` and ``mops audit verify``: hash-chained exports for auditors."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from engine.audit import (
    Unreadable,
    chain_head,
    check_proofs,
    export_records,
    parse_export,
    selected_campaigns,
    selection_query,
    timelines,
    to_csv,
    to_jsonl,
    verify_export,
)
from engine.client import Settings, load_trust, trust_path
from engine.contracts import Trust
from engine.errors import UserError
from mops.cli._commands import summary
from mops.cli._common import day_or_time, print_json
from mops.cli._connect import connected
from mops.cli._exports import export_mode, known_secrets, write_export
from workers import redact


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    audit = commands.add_parser("audit", help=summary("audit"))
    actions = audit.add_subparsers(dest="audit_command", metavar="ACTION", required=True)

    export = actions.add_parser("export", help="write timelines as hash-chained JSON Lines or CSV")
    export.add_argument("campaign", metavar="RUN", nargs="?", help="one campaign")
    export.add_argument("--process", help="every campaign of this process")
    export.add_argument("--since", type=day_or_time, metavar="DATE", help="started on or after")
    export.add_argument("--until", type=day_or_time, metavar="DATE", help="started before")
    export.add_argument(
        "--format", choices=["jsonl", "csv"], default="jsonl", help="JSON Lines or CSV"
    )
    export.add_argument("-o", "--output", type=Path, metavar="FILE", help="default: stdout")
    export.add_argument("--json", action="store_true")
    export.set_defaults(handler=run_export)

    check = actions.add_parser("verify", help="check that an export was not changed")
    check.add_argument("file", type=Path, metavar="FILE", help="the exported file")
    check.add_argument(
        "--head", metavar="HASH", help="the chain head printed at export (catches cut-off ends)"
    )
    check.add_argument(
        "--trust",
        type=Path,
        metavar="FILE",
        help="the trust file whose public keys check every seal (default: this installation's)",
    )
    check.add_argument("--json", action="store_true")
    check.set_defaults(handler=run_verify)


async def run_export(args: argparse.Namespace) -> int:
    chosen = [args.campaign is not None, args.process is not None, args.since is not None]
    if sum(chosen) == 0 and args.until is None:
        raise UserError("which campaigns? give RUN, --process X or --since DATE --until DATE")
    if args.campaign is not None and (args.process or args.since or args.until):
        raise UserError("give either one campaign (RUN) or a selection, not both")
    if args.since and args.until and args.since >= args.until:
        raise UserError("--since must come before --until")
    if args.output is not None and args.output.is_dir():
        raise UserError(f"{args.output}: is a folder, not a file")
    client, _info, settings = await connected()
    if args.campaign is not None:
        campaigns = [args.campaign]
    else:
        clauses = selection_query(
            task_queue=settings.task_queue,
            process=args.process,
            since=args.since,
            until=args.until,
        )
        campaigns = await selected_campaigns(client, clauses)
    secrets = known_secrets()
    skipped: dict[str, str] = {}
    read = await timelines(client, campaigns, skipped=skipped if args.campaign is None else None)
    for campaign, reason in skipped.items():
        print(f"mops: skipped {campaign}: {reason}", file=sys.stderr)
    if skipped:
        names = ", ".join(sorted(skipped))
        count = len(skipped)
        print(
            f"mops: skipped {count} campaign{'s' if count != 1 else ''} that cannot be read: "
            f"{names}",
            file=sys.stderr,
        )
    chained = export_records(
        read,
        scrub=(lambda text: redact(text, secrets)) if secrets else None,
    )
    text = to_csv(chained) if args.format == "csv" else to_jsonl(chained)
    if args.output is None:
        sys.stdout.write(text)
    else:
        try:
            write_export(args.output, text, mode=export_mode())
        except OSError as error:
            raise UserError(f"{args.output}: cannot be written ({error.strerror})") from None
    if args.json and args.output is not None:
        print_json(
            {
                "file": str(args.output),
                "records": len(chained),
                "campaigns": len(campaigns),
                "chain_head": chain_head(chained),
            }
        )
        return 0
    print(
        f"exported {len(chained)} records of {len(campaigns)} campaign"
        f"{'s' if len(campaigns) != 1 else ''}; chain head {chain_head(chained)}",
        file=sys.stderr,
    )
    return 0


async def run_verify(args: argparse.Namespace) -> int:
    try:
        text = args.file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        why = getattr(error, "strerror", None) or str(error)
        raise UserError(f"{args.file}: cannot be read ({why})") from None
    try:
        count, head, finding = verify_export(text, expected_head=args.head)
    except Unreadable as problem:
        raise UserError(f"{args.file}: not an export: {problem}") from None
    if args.json:
        print_json(
            {
                "file": str(args.file),
                "intact": finding is None,
                "records": count,
                "chain_head": head,
                "finding": None
                if finding is None
                else {"line": finding.line, "kind": finding.kind, "message": finding.message},
            }
        )
        return 0 if finding is None else 1
    if finding is not None:
        print(f"{args.file}:{finding.line}: {finding.kind}: {finding.message}")
        return 1
    records = [record for _line, record in parse_export(text)]
    lines = {int(record["seq"]): line for line, record in parse_export(text)}
    trust = _trust(args.trust)
    if trust is None:
        print(f"{args.file}: intact, {count} records, chain head {head}")
        if any(record.get("proof") for record in records):
            print("  signatures not checked: no trust file (give --trust FILE)")
        return 0
    signed, bad = check_proofs(records, trust)
    if bad is not None:
        print(f"{args.file}:{lines.get(bad.seq, 0)}: forged: record {bad.seq}: {bad.message}")
        return 1
    print(f"{args.file}: intact, {count} records, chain head {head}")
    print(f"  {signed} signed facts checked against {len(trust.keys)} trusted key(s): all genuine")
    return 0


def _trust(named: Path | None) -> Trust | None:
    """The trust file to check seals with: the one named, else this installation's."""
    if named is not None:
        return load_trust(named)
    path = trust_path(Settings.from_env().state_dir)
    return load_trust(path) if path.exists() else None
