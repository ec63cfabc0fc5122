"""``mops test [PATH...] [-k NAME] [--json]``: run scenario files, report like pytest."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from engine.errors import UserError
from mops.cli._commands import summary
from mops.cli._common import print_json
from mops.scenarios import (
    BadScenarioFile,
    ScenarioResult,
    find_scenario_files,
    load,
    run_loaded,
)
from workers import load_registry


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "test",
        help=summary("test"),
        description="Run every scenario of the *.scenarios files found (the process file "
        "sits beside each). Exit code: 0 all passed, 1 a scenario failed, 2 a file has errors.",
    )
    parser.add_argument(
        "paths",
        nargs="*",
        type=Path,
        metavar="PATH",
        help="scenario files, process files or folders (default: the current folder)",
    )
    parser.add_argument(
        "-k", dest="select", metavar="NAME", help="only scenarios whose name contains NAME"
    )
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.set_defaults(handler=run)


async def run(args: argparse.Namespace) -> int:
    started = time.monotonic()
    files = find_scenario_files(args.paths or [Path()])
    if not files:
        raise UserError("no scenario files (*.scenarios) found", hint="write one beside a process")
    registry = load_registry()
    loaded = []
    bad: list[BadScenarioFile] = []
    for path in files:
        try:
            loaded.append(load(path, registry))
        except BadScenarioFile as broken:
            bad.append(broken)
    if bad:
        # Every broken file is reported at once; nothing runs until all of them check.
        for each in bad:
            print(each.report, file=sys.stderr)
        print(f"mops: {len(bad)} file{'s' if len(bad) != 1 else ''} with errors", file=sys.stderr)
        return 2
    results = await run_loaded(loaded, select=args.select, registry=registry)
    elapsed = time.monotonic() - started
    if args.json:
        print_json(
            {
                "passed": sum(r.passed for r in results),
                "failed": sum(not r.passed for r in results),
                "results": [r.as_json() for r in results],
            }
        )
    else:
        print(report(results, elapsed))
    if not results:
        return 1 if args.select else 0
    return 0 if all(r.passed for r in results) else 1


def report(results: list[ScenarioResult], elapsed: float) -> str:
    """The pytest-like report: one line per scenario, then each failure, then a summary."""
    lines: list[str] = []
    current = None
    for result in results:
        if result.file != current:
            current = result.file
            lines.append(current)
        verdict = "PASS" if result.passed else "FAIL"
        lines.append(
            f"  {verdict}  {result.name}  ({result.business_days:.1f} business days, "
            f"{result.outcome_text})"
        )
    failed = [r for r in results if not r.passed]
    for result in failed:
        lines += ["", f"FAIL {result.file}:{result.line}: {result.name}"]
        if result.expected_path is not None:
            lines.append(f"  expected path: {', '.join(result.expected_path) or '(none)'}")
        lines.append(f"  actual path:   {', '.join(result.path) or '(none)'}")
        lines += [f"  - {failure}" for failure in result.failures]
    passed = len(results) - len(failed)
    lines += ["", f"{passed} passed, {len(failed)} failed in {elapsed:.1f}s"]
    return "\n".join(lines)
