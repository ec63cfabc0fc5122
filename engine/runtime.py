"""How the interpreter runs inside a worker: the sandbox settings, in one place.

Our pure modules and pydantic are passed through the sandbox so each is
imported once per worker process instead of once per campaign. A worker that
runs campaigns for real (``mops worker``, ``mops run``) passes the interpreter's
own modules through too: re-importing them for every campaign cost 134 KiB of
memory per cached campaign and most of the replay time (``python -m bench
memory``/``replay``, docs/benchmarks.md). They keep no state at module level,
so nothing is shared between campaigns. What passing through gives up is the
sandbox's run-time check of calls such as ``datetime.now()`` inside those
modules, so the test suite runs the interpreter re-imported per campaign
(``isolate_interpreter=True``) and any such call fails a test.
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

INTERPRETER = (
    "engine.interpreter",
    "engine._interpret_blocks",
    "engine._interpret_core",
    "engine._interpret_people",
    "engine._interpret_renew",
    "engine._interpret_saga",
    "engine._interpret_signals",
    "engine.search_attributes",
)
"""The interpreter's own modules: stateless, passed through outside the tests."""

WORKFLOWS: tuple[type, ...] = (CampaignWorkflow,)


def workflow_runner(*, isolate_interpreter: bool = False) -> WorkflowRunner:
    """The sandboxed runner of a MOps Flow worker.

    Args:
        isolate_interpreter: re-import the interpreter for every campaign, so the
            sandbox checks every call it makes (the test suite's setting).
    """
    modules = PASSED_THROUGH if isolate_interpreter else (*PASSED_THROUGH, *INTERPRETER)
    restrictions = SandboxRestrictions.default.with_passthrough_modules(*modules)
    return SandboxedWorkflowRunner(restrictions=restrictions)
