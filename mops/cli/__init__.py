"""The ``mops`` command: the one composition root of dsl, engine and workers.

Every mistake a user can make ends here as one clear message and a non-zero
exit code; a Python traceback is shown only for our own bugs (and then with a
request to report it).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Collection, Sequence

from engine.errors import UserError
from mops.cli._commands import COMMANDS

__all__ = ["main"]


def build_parser(*, commands: Collection[str] | None = None) -> argparse.ArgumentParser:
    """The argument parser of ``mops``.

    Args:
        commands: the commands whose modules are imported to declare their
            arguments; the others are listed by name and help only. ``None``:
            every command, in full (for tools that walk all of them).
    """
    parser = argparse.ArgumentParser(
        prog="mops",
        description="MOps Flow: run marketing-ops processes written in .mops files.",
    )
    choices = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    wanted = {COMMANDS[c].module for c in COMMANDS if commands is None or c in commands}
    declared: set[str] = set()
    for name, command in COMMANDS.items():
        if command.module not in wanted:
            choices.add_parser(name, help=command.help)
        elif command.module not in declared:
            # One module declares all its commands at once (status and list, ...).
            importlib.import_module(f"mops.cli.{command.module}").register(choices)
            declared.add(command.module)
    return parser


def _command_in(argv: Sequence[str]) -> str | None:
    """The command ``argv`` names: its first word that is not an option."""
    return next((word for word in argv if not word.startswith("-")), None)


def _unreadable_word(words: Sequence[str]) -> str | None:
    """Why an argument cannot be used as text (bytes that are not UTF-8), or None.

    Python hands such bytes over as lone surrogates, which fail much later, deep in
    a JSON encoder; say so at once, naming the argument.
    """
    for number, word in enumerate(words, start=1):
        try:
            word.encode("utf-8")
        except UnicodeEncodeError as error:
            shown = word[: error.start].encode("utf-8", "replace").decode()[-40:]
            return (
                f"argument {number} is not valid UTF-8 text (after '{shown}'): "
                "give every argument as UTF-8"
            )
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``mops`` with ``argv``; returns the exit code."""
    words = sys.argv[1:] if argv is None else argv
    if (mistake := _unreadable_word(words)) is not None:
        print(f"mops: {mistake}", file=sys.stderr)
        return 1
    command = _command_in(words)
    parser = build_parser(commands=[command] if command in COMMANDS else [])
    args = parser.parse_args(words)
    # Imported only now: `mops --help` and a wrong argument exit before needing them.
    import asyncio

    from pydantic import ValidationError

    try:
        code: int = asyncio.run(args.handler(args))
        return code
    except UserError as error:
        print(f"mops: {error}", file=sys.stderr)
        return error.exit_code
    except ValidationError as error:
        # Settings from the environment are validated once, here.
        print(f"mops: invalid setting: {error.errors()[0]['msg']}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("mops: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception:
        if os.environ.get("MOPS_DEBUG"):
            raise
        import traceback

        print(
            "mops: internal error (this is a bug in MOps Flow, not in your process):",
            file=sys.stderr,
        )
        traceback.print_exc(limit=-3, file=sys.stderr)
        return 70


def entry() -> None:
    """Console-script entry point.

    Exits with ``os._exit``: a short-lived process that talked to Temporal can
    abort in interpreter finalisation (temporalio/sdk-python#300) and turn a
    success into exit code 134. Everything of ours is flushed first.
    """
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
