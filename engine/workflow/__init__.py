"""Everything the Temporal workflow sandbox imports, and nothing else.

A campaign is one workflow execution of :class:`CampaignWorkflow`, which
interprets the IR. Its private modules are the interpreter: one run state
(``_state``) and a module per kind of step (tasks, people steps, blocks,
compensation, continue-as-new, signals). Its public modules are what the
campaign and its readers share, pure data and logic:

- :mod:`~engine.workflow.campaign` - what goes into a campaign and comes out;
- :mod:`~engine.workflow.facts` - the typed facts a campaign writes for its readers;
- :mod:`~engine.workflow.values`, :mod:`~engine.workflow.evaluate`,
  :mod:`~engine.workflow.time_values`, :mod:`~engine.workflow.business_time` -
  run-time values, the expression evaluator, dates and business time;
- :mod:`~engine.workflow.work_items`, :mod:`~engine.workflow.team` - who may act
  on a work item or approval, and the team directory a campaign decides against;
- :mod:`~engine.workflow.rules` - decision tables at run time;
- :mod:`~engine.workflow.attributes` - the search attributes a campaign keeps;
- :mod:`~engine.workflow.patches` - every named patch, with its date and reason;
- :mod:`~engine.workflow.carry`, :mod:`~engine.workflow.jumps`.

Nothing here does I/O, reads a clock but ``workflow.now()`` or draws a random
number but ``workflow.random()``; import-linter holds the package to that
(``.importlinter``). :class:`CampaignWorkflow` is imported on first use, so the
compiler and the readers, which use the public modules, never load the
interpreter (nor, through it, the Temporal SDK's workflow machinery).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from engine.workflow._interpreter import CampaignWorkflow

__all__ = [
    "CampaignWorkflow",
    "attributes",
    "business_time",
    "campaign",
    "carry",
    "evaluate",
    "facts",
    "jumps",
    "patches",
    "rules",
    "team",
    "time_values",
    "values",
    "work_items",
]


def __getattr__(name: str) -> Any:
    if name == "CampaignWorkflow":
        from engine.workflow._interpreter import CampaignWorkflow

        return CampaignWorkflow
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
