"""``mops lsp``: the language server for editors, over stdin and stdout."""

from __future__ import annotations

import argparse

from mops.cli._commands import summary


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "lsp",
        help=summary("lsp"),
        description=(
            "Speak the Language Server Protocol on stdin/stdout: diagnostics as you type, "
            "hover, completion, go to definition, references, rename, outline, formatting "
            "and quick fixes. Editors start it; see docs/editors.md."
        ),
    )
    parser.add_argument(
        "--debounce",
        type=float,
        default=None,
        metavar="SECONDS",
        help="how long typing must pause before a file is checked again (default 0.25)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from mops.lsp import DEBOUNCE_SECONDS, serve

    serve(debounce=DEBOUNCE_SECONDS if args.debounce is None else args.debounce)
    return 0
