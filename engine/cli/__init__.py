"""The ``mops`` command: the one composition root of dsl, engine and workers.

Every mistake a user can make ends here as one clear message and a non-zero
exit code; a Python traceback is shown only for our own bugs (and then with a
request to report it).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence

from pydantic import ValidationError

from engine.cli import (
    _actions,
    _audit,
    _check,
    _fmt,
    _graph,
    _history,
    _operate,
    _people,
    _read,
    _report,
    _run,
    _server,
    _simulate,
    _team,
    _test,
    _worker,
)
from engine.errors import UserError

__all__ = ["main"]

_COMMANDS = (
    _check,
    _fmt,
    _graph,
    _test,
    _simulate,
    _run,
    _worker,
    _read,
    _people,
    _team,
    _operate,
    _server,
    _actions,
    _history,
    _audit,
    _report,
)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every sub-command."""
    parser = argparse.ArgumentParser(
        prog="mops",
        description="MOps Flow: run marketing-ops processes written in .mops files.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in _COMMANDS:
        module.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``mops`` with ``argv``; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
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
