"""``mops simulate FILE``: a cohort what-if on the real interpreter.

N campaigns of one process run side by side on one time-skipping server;
people answer after drawn business-time delays (several of them where a step
needs a quorum) and approve, reject or ask for changes at given rates; actions
return scripted or drawn results and fail at given rates; events arrive after
drawn delays; inputs come from the scenario beside the process, drawn values,
a CSV of real cases and ``-i``, merged in that order. ``--calibrate`` fits the
model from real campaigns first (docs/insights.md).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

from temporalio.client import Client

from engine import ir
from engine.client import parse_assignments
from engine.errors import UserError
from engine.workflow.team import TeamSnapshot, snapshot
from mops.cli._calibrate import calibration_text, fitted_model, holdout_errors, holdout_text
from mops.cli._commands import summary
from mops.cli._common import day_or_time, print_json
from mops.scenarios import (
    DEFAULT_START,
    Model,
    ScriptBook,
    Summary,
    campaign_inputs,
    hours_per_day,
    load,
    load_model,
    plan_scenario,
    read_cases,
    run_cohort,
    text_summary,
)
from mops.scenarios import histogram_svg as histogram_svg
from workers import Registry, load_registry

__all__ = ["Summary", "histogram_svg", "register", "simulate", "text_summary"]


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("simulate", help=summary("simulate"))
    parser.add_argument("file", type=Path, metavar="FILE", help="the process file (.mops)")
    parser.add_argument(
        "--runs",
        type=int,
        help="how many campaigns (default 100; with --holdout, as many as were held out)",
    )
    parser.add_argument("--seed", type=int, default=1, help="same seed, same result (default 1)")
    parser.add_argument(
        "--responses", type=Path, help="how people, actions and events behave (TOML)"
    )
    parser.add_argument(
        "--input",
        "-i",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="an input value, for every campaign (merged into the scenario's)",
    )
    parser.add_argument(
        "--cases", type=Path, metavar="CSV", help="real cases: one campaign's inputs a row"
    )
    parser.add_argument(
        "--horizon",
        type=int,
        default=365,
        metavar="DAYS",
        help="end campaigns still running after this many days (default 365)",
    )
    parser.add_argument("--chart", type=Path, help="write the duration histogram here (SVG)")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument(
        "--calibrate",
        action="store_true",
        help="fit people, actions and events on the process's real campaigns first",
    )
    parser.add_argument(
        "--since",
        type=day_or_time,
        metavar="DATE",
        help="calibrate on campaigns started on or after",
    )
    parser.add_argument(
        "--until", type=day_or_time, metavar="DATE", help="calibrate on campaigns started before"
    )
    parser.add_argument(
        "--holdout",
        type=day_or_time,
        metavar="DATE",
        help="fit on campaigns started before DATE, predict those from DATE on, report the error",
    )
    parser.add_argument(
        "--write-responses",
        type=Path,
        metavar="FILE",
        help="with --calibrate: write the fitted assumptions as a responses file",
    )
    parser.add_argument(
        "--processes",
        type=int,
        metavar="N",
        help="spread the cohort over N processes (default: one per 100 campaigns, "
        "up to one per core)",
    )
    parser.add_argument(
        "--on-server",
        action="store_true",
        help="run the cohort on a time-skipping Temporal test server (slower; the same result)",
    )
    parser.set_defaults(handler=run)


async def run(args: argparse.Namespace) -> int:
    if args.runs is not None and args.runs < 1:
        raise UserError("--runs must be at least 1")
    if args.horizon < 1:
        raise UserError("--horizon must be at least 1 day")
    if args.processes is not None and args.processes < 1:
        raise UserError("--processes must be at least 1")
    calibrating = args.calibrate or args.holdout is not None
    if calibrating and args.responses is not None:
        raise UserError("give either --responses or --calibrate, not both")
    if not calibrating and (args.since or args.until or args.write_responses):
        raise UserError("--since, --until and --write-responses go with --calibrate")
    registry = load_registry()
    model = None
    fitted = None
    runs = args.runs or 100
    if calibrating:
        process, _ = _process(_process_path(args.file), registry)
        fitted = await fitted_model(
            process.name,
            hours_per_day=hours_per_day(process.calendar),
            since=args.since,
            until=args.until,
            holdout=args.holdout,
        )
        model = fitted.model
        if fitted.actual and args.runs is None:
            runs = min(len(fitted.actual), 1000)
        if args.write_responses is not None:
            try:
                args.write_responses.write_text(fitted.calibration.toml(), encoding="utf-8")
            except OSError as error:
                raise UserError(
                    f"{args.write_responses}: cannot be written ({error.strerror})"
                ) from None
    result = await simulate(
        args.file,
        runs=runs,
        seed=args.seed,
        responses=args.responses,
        inputs=parse_assignments(args.input),
        cases=args.cases,
        horizon=dt.timedelta(days=args.horizon),
        model=model,
        registry=registry,
        on_server=args.on_server,
        processes=args.processes,
    )
    errors = holdout_errors(result, fitted.actual) if fitted and fitted.actual else None
    if args.chart is not None:
        try:
            args.chart.write_text(histogram_svg(result), encoding="utf-8")
        except OSError as error:
            raise UserError(f"{args.chart}: cannot be written ({error.strerror})") from None
    if args.json:
        shown = result.as_json()
        if fitted is not None:
            shown["calibration"] = fitted.calibration.as_json()
        if errors is not None:
            shown["holdout"] = errors
        print_json(shown)
        return 0
    if fitted is not None:
        print(calibration_text(fitted.calibration))
    print(text_summary(result))
    if errors is not None:
        print(holdout_text(errors))
    if args.chart is not None:
        print(f"chart: {args.chart}")
    return 0


def _process_path(file: Path) -> Path:
    return file if file.suffix == ".mops" else file.with_suffix(".mops")


async def simulate(
    file: Path,
    *,
    runs: int,
    seed: int,
    responses: Path | None = None,
    inputs: dict[str, str] | None = None,
    cases: Path | None = None,
    model: Model | None = None,
    horizon: dt.timedelta = dt.timedelta(days=365),
    registry: Registry | None = None,
    on_server: bool = False,
    processes: int | None = None,
    before_shutdown: Callable[[Client, Sequence[str]], Awaitable[None]] | None = None,
) -> Summary:
    """Run ``runs`` campaigns of the process in ``file`` and sum up what they did.

    Inputs: the first scenario's beside the process, then drawn values
    (``[inputs]`` of the responses file), then a row of ``cases``, then
    ``inputs`` (text, as on a command line); later ones win.

    Raises:
        UserError: a file has errors or an input is missing.
    """
    registry = registry or load_registry()
    process_path = _process_path(file)
    process, team = _process(process_path, registry)
    base: dict[str, Any] = {}
    scenarios = process_path.with_suffix(".scenarios")
    if scenarios.is_file():
        loaded = load(scenarios, registry)
        if loaded.scenarios:
            first = plan_scenario(loaded.scenarios[0], process, "x", ScriptBook(), loaded.directory)
            base = first.inputs
    if model is None:
        model = load_model(responses, hours_per_day(process.calendar))
    given = campaign_inputs(
        process,
        model,
        seed=seed,
        runs=runs,
        base=base,
        texts=inputs or {},
        cases=read_cases(cases) if cases is not None else (),
    )
    return await run_cohort(
        process,
        team,
        registry,
        model,
        given,
        seed=seed,
        horizon=horizon,
        on_server=on_server,
        processes=processes,
        before_shutdown=before_shutdown,
    )


def _process(path: Path, registry: Any) -> tuple[ir.ProcessIR, TeamSnapshot | None]:
    from engine.compiler import CompileFailed, compile_file, compile_process
    from mops.cli._common import catalogue, team_directory

    if not path.is_file():
        raise UserError(f"{path}: no such process file")
    directory = team_directory(path)
    try:
        _, checked = compile_file(path, catalogue(registry), directory=directory)
    except CompileFailed as failed:
        from dsl import render_all

        print(render_all(failed.checked.diagnostics, failed.checked.source), file=sys.stderr)
        raise
    process = compile_process(checked, catalogue(registry), today=DEFAULT_START.date())
    return process, None if directory is None else snapshot(directory)
