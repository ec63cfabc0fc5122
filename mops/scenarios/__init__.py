"""Scenario tests and cohort simulations, from Python: find ``*.scenarios`` files, run
them, get their verdicts; or run a cohort of campaigns with scripted people.

    from mops.scenarios import run_file

    for result in run_file(Path("processes/content_review.scenarios")):
        assert result.passed, result.failures

Every scenario runs on the time-skipping Temporal test server with each action
replaced by a scripted stand-in; all scenarios of one call share one server
and run side by side, so months of campaign time pass in seconds.
"""

from mops.scenarios._chart import histogram_svg
from mops.scenarios._cohort import Cohort, PlannedAnswer
from mops.scenarios._drive import Answer, CampaignPlan, CampaignRun
from mops.scenarios._expect import ScenarioResult, business_days, to_minute
from mops.scenarios._model import Model, business_hours, load_model, read_model, rng_for
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
from mops.scenarios._simulation import (
    HORIZON,
    SimulatedWorld,
    campaign_inputs,
    hours_per_day,
    read_cases,
    run_cohort,
)
from mops.scenarios._stand_ins import Outcome, ScriptBook, stand_in_registry, typed_default
from mops.scenarios._summary import Summary, percentile, summarise, text_summary

__all__ = [
    "DEFAULT_START",
    "HORIZON",
    "SUFFIX",
    "Answer",
    "BadScenarioFile",
    "CampaignPlan",
    "CampaignRun",
    "Cohort",
    "Model",
    "Outcome",
    "PlannedAnswer",
    "ScenarioResult",
    "ScriptBook",
    "SimulatedWorld",
    "Summary",
    "business_days",
    "business_hours",
    "campaign_inputs",
    "find_scenario_files",
    "histogram_svg",
    "hours_per_day",
    "load",
    "load_model",
    "percentile",
    "plan_scenario",
    "quiet_sdk",
    "read_cases",
    "read_model",
    "rng_for",
    "run_cohort",
    "run_file",
    "run_files",
    "run_loaded",
    "run_plans",
    "stand_in_registry",
    "summarise",
    "text_summary",
    "to_minute",
    "typed_default",
]
