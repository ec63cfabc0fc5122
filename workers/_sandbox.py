"""How the interpreter runs inside a worker: the sandbox settings, in one place.

Our pure modules and pydantic are passed through the sandbox so each is
imported once per worker process instead of once per campaign. A worker that
runs campaigns for real (``mops worker``, ``mops run``) passes the interpreter's
own modules (the private modules of :mod:`engine.workflow`) through too:
re-importing them for every campaign cost 134 KiB of memory per cached campaign
and most of the replay time (``python -m bench memory``/``replay``,
docs/benchmarks.md). They keep no state at module level, so nothing is shared
between campaigns. What passing through gives up is the sandbox's run-time check
of calls such as ``datetime.now()`` inside those modules, so the test suite runs
the interpreter re-imported per campaign (``isolate_interpreter=True``) and any
such call fails a test.
"""

from __future__ import annotations

import pkgutil

from temporalio.worker import WorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

import engine.workflow
from engine.workflow import CampaignWorkflow

_THIRD_PARTY = (
    "pydantic",
    "pydantic_core",
    "annotated_types",
    "typing_extensions",
    # The seals' Ed25519 checks: its Rust core imports cryptography.exceptions when a
    # signature does not verify; re-imported inside the sandbox, that import crashed
    # the whole worker on the first forged signature.
    "cryptography",
    "_cffi_backend",
)


def _modules(package: str, path: list[str], *, private: bool) -> tuple[str, ...]:
    return tuple(
        f"{package}.{found.name}"
        for found in pkgutil.iter_modules(path)
        if found.name.startswith("_") == private
    )


PASSED_THROUGH = (
    *_THIRD_PARTY,
    "bounds",
    "engine.ir",
    *_modules("engine.workflow", list(engine.workflow.__path__), private=False),
)
"""Pure modules: the limits and checks every layer shares (bounds), the IR (with its
submodules) and the public modules of the workflow package (values, business time,
work items, rules, facts, ...)."""

INTERPRETER = _modules("engine.workflow", list(engine.workflow.__path__), private=True)
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
