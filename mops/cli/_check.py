"""``mops check FILE...``: every problem in every file, exit 0 or 1."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dsl import Catalogue, CheckedProcess, Severity, check_file, render_all
from mops.cli._commands import summary
from mops.cli._common import catalogue, print_json, team_directory
from mops.cli._conventions import paint, paint_diagnostics


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("check", help=summary("check"))
    parser.add_argument(
        "files", nargs="+", type=Path, metavar="FILE", help="process files (.mops) to check"
    )
    parser.add_argument("--json", action="store_true", help="print diagnostics as JSON")
    parser.add_argument(
        "--plan", action="store_true", help="also print each process's worst-case duration"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    actions = catalogue()
    failed = False
    report: list[dict[str, object]] = []
    for path in args.files:
        if not path.is_file():
            why = "is a folder, not a process file" if path.is_dir() else "no such file"
            _unreadable(path, why, report if args.json else None)
            failed = True
            continue
        try:
            checked = check_file(path, actions, directory=team_directory(path))
        except OSError as error:
            _unreadable(
                path, f"cannot be read ({error.strerror or error})", report if args.json else None
            )
            failed = True
            continue
        errors = sum(1 for d in checked.diagnostics if d.severity is Severity.ERROR)
        failed = failed or not checked.ok
        if args.json:
            report.extend(
                {
                    "file": str(path),
                    "line": d.span.line,
                    "col": d.span.col,
                    "end_line": d.span.end_line,
                    "end_col": d.span.end_col,
                    "code": d.code,
                    "severity": d.severity.value,
                    "message": d.message,
                    "hint": d.hint,
                }
                for d in checked.diagnostics
            )
        elif checked.diagnostics:
            rendered = render_all(checked.diagnostics, checked.source)
            print(paint_diagnostics(rendered, sys.stderr), file=sys.stderr)
            print(file=sys.stderr)
        if not args.json:
            verdict = "ok" if checked.ok else f"{errors} error{'s' if errors != 1 else ''}"
            print(f"{path}: {paint(verdict, 'ok' if checked.ok else 'error', sys.stdout)}")
        if args.plan and checked.ok:
            _print_plan(checked, actions)
    if args.json:
        print_json(report)
    return 1 if failed else 0


def _print_plan(checked: CheckedProcess, actions: Catalogue) -> None:
    """``--plan``: the worst case, when it starts by itself, and who gets no notices."""
    # Imported here: the plan's modules and the worker settings are not needed to check.
    from dsl import plan, process_graph, resolve_calendar
    from dsl._format import schedule_text
    from mops.cli._plan import notice_warnings, print_plan

    process, file = checked.process, checked.file
    if process is None or file is None:
        return
    calendar = None if process.calendar is None else resolve_calendar(file, process.calendar.name)
    worst = plan(process, process_graph(process), calendar, catalogue=actions, file=file)
    print(print_plan(worst))
    if process.schedule is not None:
        print(f"Starts by itself: {schedule_text(process.schedule)} (mops schedule create)")
    for line in notice_warnings(process):
        print(line, file=sys.stderr)


def _unreadable(path: Path, why: str, report: list[dict[str, object]] | None) -> None:
    """A file that could not be checked: a line on stderr, or an entry of the JSON report."""
    if report is None:
        print(f"{path}: {why}", file=sys.stderr)
        return
    report.append(
        {
            "file": str(path),
            "line": None,
            "col": None,
            "end_line": None,
            "end_col": None,
            "code": None,
            "severity": "error",
            "message": why,
            "hint": None,
        }
    )
