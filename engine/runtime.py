"""How the interpreter runs inside a worker: the sandbox settings, in one place.

Our pure modules and pydantic are passed through the sandbox so each is
imported once per worker process instead of once per campaign; the
interpreter module itself is still re-imported per run, which is what keeps
workflow state isolated between campaigns.
"""

from __future__ import annotations

from temporalio.worker import WorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from engine.interpreter import CampaignWorkflow

PASSED_THROUGH = (
    "pydantic",
    "pydantic_core",
    "annotated_types",
    "typing_extensions",
    "engine.ir",
    "engine.ir._expr",
    "engine.ir._steps",
    "engine.campaign",
    "engine.evaluate",
    "engine.values",
    "engine.business_time",
    "engine.time_values",
    "engine.decisions",
    "engine.human",
    "engine.people",
    "engine.jumps",
    "engine.carry",
)

WORKFLOWS: tuple[type, ...] = (CampaignWorkflow,)


def workflow_runner() -> WorkflowRunner:
    """The sandboxed runner every MOps Flow worker uses."""
    restrictions = SandboxRestrictions.default.with_passthrough_modules(*PASSED_THROUGH)
    return SandboxedWorkflowRunner(restrictions=restrictions)
