"""Scenario tests and cohort simulations, from Python: find ``*.scenarios`` files, run
them, get their verdicts; or run a cohort of campaigns with scripted people.

    from mops.scenarios import run_file

    for result in run_file(Path("processes/content_review.scenarios")):
        assert result.passed, result.failures

Every scenario runs on the time-skipping Temporal test server with each action
replaced by a scripted stand-in; all scenarios of one call share one server
and run side by side, so months of campaign time pass in seconds.
"""

from mops.scenarios._drive import Answer, CampaignPlan, CampaignRun
from mops.scenarios._expect import ScenarioResult, business_days, to_minute
from mops.scenarios._model import Model, business_hours, load_model, rng_for
from mops.scenarios._plan import DEFAULT_START, plan_scenario
from mops.scenarios._run import (
    SUFFIX,
    BadScenarioFile,
    find_scenario_files,
    load,
    quiet_sdk,
    run_file,
    run_files,
    run_loaded,
    run_plans,
)
from mops.scenarios._stand_ins import Outcome, ScriptBook, stand_in_registry, typed_default

__all__ = [
    "DEFAULT_START",
    "SUFFIX",
    "Answer",
    "BadScenarioFile",
    "CampaignPlan",
    "CampaignRun",
    "Model",
    "Outcome",
    "ScenarioResult",
    "ScriptBook",
    "business_days",
    "business_hours",
    "find_scenario_files",
    "load",
    "load_model",
    "plan_scenario",
    "quiet_sdk",
    "rng_for",
    "run_file",
    "run_files",
    "run_loaded",
    "run_plans",
    "stand_in_registry",
    "to_minute",
    "typed_default",
]
