"""The ``mops`` command: the one composition root of dsl, engine and workers.

Every mistake a user can make ends here as one clear message and a non-zero
exit code; a Python traceback is shown only for our own bugs (and then with a
request to report it).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys
from collections.abc import Collection, Coroutine, Sequence

from engine.errors import UserError
from mops.cli._commands import COMMANDS
from mops.cli._conventions import Parser, finish, innermost, print_error

# Not typing.TYPE_CHECKING: importing typing costs 5 ms of a 50 ms ``mops --help``
# (type checkers take any TYPE_CHECKING to be true).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["main"]


def build_parser(
    *, commands: Collection[str] | None = None, others: bool = True
) -> argparse.ArgumentParser:
    """The argument parser of ``mops``.

    Args:
        commands: the commands whose modules are imported to declare their
            arguments; the others are listed by name and help only. ``None``:
            every command, in full (for tools that walk all of them).
        others: whether to list the other commands at all (False when the
            words start with a command: nothing then lists or parses the
            others, and their 40 parsers cost 3 ms of a 150 ms ``mops check``).
    """
    parser = Parser(
        prog="mops",
        description="MOps Flow: run marketing-ops processes written in .mops files.",
        epilog="example:\n  mops check processes/blog_post.mops\n\n"
        "'mops COMMAND --help' tells more of each command.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--version", action=_Version, help="print the version of MOps Flow and exit"
    )
    choices = parser.add_subparsers(
        dest="command", metavar="COMMAND", required=True, parser_class=Parser
    )
    wanted = {COMMANDS[c].module for c in COMMANDS if commands is None or c in commands}
    declared: set[str] = set()
    for name, command in COMMANDS.items():
        if command.module not in wanted:
            if others:
                choices.add_parser(name, help=command.help)
        elif command.module not in declared:
            # One module declares all its commands at once (status and list, ...).
            importlib.import_module(f"mops.cli.{command.module}").register(choices)
            declared.add(command.module)
    finish(parser)
    return parser


class _Version(argparse.Action):
    """``mops --version``: the installed version, looked up only when asked for."""

    def __init__(self, option_strings: Sequence[str], dest: str, help: str) -> None:
        super().__init__(option_strings, dest, nargs=0, help=help)

    def __call__(self, parser: argparse.ArgumentParser, *_: object) -> None:
        from importlib.metadata import PackageNotFoundError, version

        try:
            number = version("mops-flow")
        except PackageNotFoundError:
            number = "unknown (not installed)"
        print(f"mops (MOps Flow) {number}")
        parser.exit(0)


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
    words = list(sys.argv[1:] if argv is None else argv)
    if (mistake := _unreadable_word(words)) is not None:
        print(f"mops: {mistake}", file=sys.stderr)
        return 1
    command = _command_in(words)
    if command is not None and command in COMMANDS:
        parser = build_parser(commands=[command], others=words[0] != command)
    else:
        parser = build_parser(commands=[])
    args, unknown = parser.parse_known_args(words)
    if unknown:
        # The usage of the command that was given the wrong option, not of mops.
        innermost(parser, words).error(f"unrecognized arguments: {' '.join(unknown)}")
    as_json = bool(getattr(args, "json", False))
    try:
        return _exit_code_of(args.handler(args))
    except UserError as error:
        return _fail(error.message, error.hint, error.exit_code, as_json=as_json)
    except _validation_error() as error:
        # Settings from the environment are validated once, here.
        return _fail(f"invalid setting: {_first_problem(error)}", None, 2, as_json=as_json)
    except KeyboardInterrupt:
        print("mops: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as error:
        said = _in_our_words(error, args)
        if said is not None:
            return _fail(*said, 1, as_json=as_json)
        if os.environ.get("MOPS_DEBUG"):
            raise
        import traceback

        if as_json:
            print_error(f"internal error: {type(error).__name__}: {error}", exit_code=70)
        print(
            "mops: internal error (this is a bug in MOps Flow, not in your process):",
            file=sys.stderr,
        )
        traceback.print_exc(limit=-3, file=sys.stderr)
        return 70


def _fail(message: str, hint: str | None, code: int, *, as_json: bool) -> int:
    """Report a mistake the user can fix: one message (and hint), as text or as JSON."""
    if as_json:
        print_error(message, hint=hint, exit_code=code)
    else:
        print(f"mops: {message}" + (f"\n  hint: {hint}" if hint else ""), file=sys.stderr)
    return code


def _in_our_words(error: Exception, args: argparse.Namespace) -> tuple[str, str] | None:
    """What a Temporal service error means to the user, in the words ``mops status`` uses."""
    if "temporalio.service" not in sys.modules:
        return None
    from temporalio.service import RPCError, RPCStatusCode

    if not isinstance(error, RPCError):
        return None
    campaign = getattr(args, "campaign", None)
    if error.status == RPCStatusCode.NOT_FOUND:
        what = f"no campaign '{campaign}'" if campaign else "no such campaign"
        return what, "'mops list' shows the campaigns"
    if error.status == RPCStatusCode.ALREADY_EXISTS:
        return f"a campaign '{campaign}' already exists", "give another --id, or leave it out"
    return None


def _exit_code_of(outcome: int | Coroutine[Any, Any, int]) -> int:
    """A command's exit code; commands that talk to Temporal are coroutines.

    The file commands (check, fmt, graph) are plain functions, so they never
    import asyncio (0.05 s) for nothing.
    """
    if isinstance(outcome, int):
        return outcome
    import asyncio

    return asyncio.run(outcome)


def _validation_error() -> type[Exception]:
    """pydantic's ValidationError if a command loaded pydantic, else a class nothing raises."""
    if "pydantic" not in sys.modules:
        return _NeverRaised
    from pydantic import ValidationError

    return ValidationError


class _NeverRaised(Exception):
    pass


def _first_problem(error: Exception) -> str:
    from pydantic import ValidationError

    assert isinstance(error, ValidationError)
    return str(error.errors()[0]["msg"])


def entry() -> None:
    """Console-script entry point.

    Exits with ``os._exit``: a short-lived process that talked to Temporal can
    abort in interpreter finalisation (temporalio/sdk-python#300) and turn a
    success into exit code 134. Everything of ours is flushed first.
    """
    code = main()
    for stream in (sys.stdout, sys.stderr):
        # The language server's client may have closed our stdout already.
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)
