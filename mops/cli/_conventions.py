"""What every ``mops`` command shares as a command line: an example in its help, the
usage of the sub-command that was given a wrong option, errors as JSON under
``--json``, colour only where wanted (``NO_COLOR``), and times with their zone."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator, Sequence

# Not typing's: importing typing (and json, datetime) costs 5 ms of a 50 ms ``mops --help``.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import datetime as dt
    from typing import NoReturn

EXAMPLES: dict[str, str] = {
    "check": "mops check processes/blog_post.mops --plan",
    "fmt": "mops fmt --check processes/*.mops",
    "graph": "mops graph processes/blog_post.mops -o blog_post.svg",
    "lsp": "mops lsp   (your editor starts it; see docs/editors.md)",
    "test": "mops test processes/content_review.scenarios -k rejected",
    "simulate": "mops simulate processes/content_review.mops --runs 200",
    "run": 'mops run processes/blog_post.mops -i title="Spring launch" -i budget="2500 EUR"',
    "worker": "mops worker --max-tasks 20",
    "status": "mops status blog_post-8f2a",
    "list": "mops list --process blog_post --state running",
    "tasks": "mops tasks --as ana",
    "approve": "mops approve content_review-1a2b editorial --as ben --comment 'Good to go'",
    "reject": "mops reject content_review-1a2b editorial --as ben --comment 'Too long'",
    "request-changes": "mops request-changes content_review-1a2b editorial --as ben",
    "complete": "mops complete content_review-1a2b draft --as ana -o doc_url=https://docs/x",
    "delegate": "mops delegate content_review-1a2b editorial --as ben --to ana",
    "send-event": "mops send-event webinar_registered --key jo@acme.example --data '{\"seat\": 3}'",
    "team push": "mops team push",
    "team": "mops team push",
    "schedule create": "mops schedule create processes/monthly_reporting.mops --id monthly",
    "schedule list": "mops schedule list",
    "schedule pause": "mops schedule pause monthly --reason 'Year-end freeze'",
    "schedule resume": "mops schedule resume monthly",
    "schedule trigger": "mops schedule trigger monthly",
    "schedule remove": "mops schedule remove monthly",
    "schedule": "mops schedule list",
    "pause": "mops pause blog_post-8f2a --reason 'Brand review'",
    "resume": "mops resume blog_post-8f2a",
    "cancel": "mops cancel blog_post-8f2a --reason 'Campaign dropped'",
    "server start": "mops server start",
    "server stop": "mops server stop",
    "server status": "mops server status --json",
    "server": "mops server status",
    "actions": "mops actions email.send",
    "serve": "mops serve --with-worker --port 8080",
    "user add": "mops user add ana --operator",
    "user passwd": "mops user passwd ana",
    "user list": "mops user list --json",
    "user token": "mops user token ana --name reporting-script",
    "user integration": "mops user integration crm --events 'lead.*'",
    "user log": "mops user log --limit 20",
    "user": "mops user list",
    "login": "mops login --as ana --url http://127.0.0.1:8080",
    "history": "mops history blog_post-8f2a --tz Europe/Berlin",
    "audit export": "mops audit export --process blog_post --since 2026-11-01 -o audit.jsonl",
    "audit verify": "mops audit verify audit.jsonl --head 9c1e...",
    "audit": "mops audit verify audit.jsonl",
    "report": "mops report blog_post-8f2a --html report.html",
    "insights": "mops insights --process blog_post --since 2026-11-01 --html insights.html",
    "completion": "mops completion bash > ~/.local/share/bash-completion/completions/mops",
}
"""One example per command, shown at the end of its ``--help``."""

JSON_HELP = "print machine-readable JSON (errors too) instead of text"


def finish(parser: argparse.ArgumentParser, path: str = "") -> None:
    """Add each command's example to its help, and the one ``--json`` help to all."""
    for action in parser._actions:
        if action.dest == "json" and not action.help:
            action.help = JSON_HELP
    if path and path in EXAMPLES and not parser.epilog:
        parser.epilog = f"example:\n  {EXAMPLES[path]}"
        parser.formatter_class = argparse.RawDescriptionHelpFormatter
    for name, sub in subcommands(parser):
        finish(sub, f"{path} {name}".strip())


def subcommands(parser: argparse.ArgumentParser) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    """The sub-commands declared on ``parser`` (one level), by name."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            seen: set[int] = set()
            for name, sub in action.choices.items():
                if id(sub) not in seen:
                    seen.add(id(sub))
                    yield name, sub


def innermost(parser: argparse.ArgumentParser, words: Sequence[str]) -> argparse.ArgumentParser:
    """The (sub-)command parser ``words`` reach: ``audit export`` for ``mops audit export ...``."""
    found = parser
    for word in words:
        inner = dict(subcommands(found)).get(word)
        if inner is not None:
            found = inner
    return found


class Parser(argparse.ArgumentParser):
    """argparse, with errors as JSON when the command line asks for JSON."""

    def error(self, message: str) -> NoReturn:
        if wants_json():
            print_error(message, hint=f"usage: {self.format_usage().strip()[7:]}", exit_code=2)
            sys.exit(2)
        super().error(message)


def wants_json(words: Sequence[str] | None = None) -> bool:
    return "--json" in (sys.argv[1:] if words is None else words)


def print_error(message: str, *, hint: str | None = None, exit_code: int = 1) -> None:
    """An error as JSON on stdout, where a script reading ``--json`` output looks."""
    import json

    print(json.dumps({"error": message, "hint": hint, "exit_code": exit_code}))


def color_wanted(stream: object) -> bool:
    """Colour on a terminal, unless ``NO_COLOR`` is set (https://no-color.org);
    ``FORCE_COLOR`` asks for it elsewhere too."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


_STYLES = {"error": "\x1b[1;31m", "warning": "\x1b[1;33m", "ok": "\x1b[32m", "dim": "\x1b[2m"}


def paint(text: str, style: str, stream: object) -> str:
    """``text`` in ``style`` when ``stream`` may show colour."""
    return f"{_STYLES[style]}{text}\x1b[0m" if color_wanted(stream) else text


def paint_diagnostics(text: str, stream: object) -> str:
    """Rendered diagnostics with their ``error[...]`` and ``warning[...]`` words coloured."""
    if not color_wanted(stream):
        return text
    lines = []
    for line in text.split("\n"):
        for word in ("error", "warning"):
            marker = f": {word}["
            if marker in line:
                head, _, rest = line.partition(marker)
                code, _, message = rest.partition("]")
                line = f"{head}: {paint(f'{word}[{code}]', word, stream)}{message}"
        lines.append(line)
    return "\n".join(lines)


def moment(when: dt.datetime | None, *, seconds: bool = True) -> str:
    """A time as people read it here: in this machine's zone, with the zone's name."""
    if when is None:
        return "-"
    local = when.astimezone()
    shown = local.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%a %d %b %H:%M")
    return f"{shown} {local.tzname() or local.strftime('%z')}"
