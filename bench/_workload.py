"""What the engine benchmarks run: the no-op action, the processes and their team.

Both sides of every comparison call the same ``bench.noop`` activity with the
same ``TaskRequest`` envelope, so what differs is the workflow code only.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from dsl import Catalogue, SourceFile, check_source, render_all
from engine.compiler import compile_process
from engine.ir import ProcessIR
from engine.workflow.team import Member, TeamSnapshot
from workers import ActionContext, Registry, action, builtin_registry

STEPS = 10
APPROVER = "ana"
TEAM = TeamSnapshot(
    version="bench", people={APPROVER: Member(roles=("editor",)), "ben": Member(roles=("lead",))}
)


class NoParams(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Nothing(BaseModel):
    pass


@action("bench.noop", description="Does nothing: the benchmarks measure what surrounds it")
async def noop(params: NoParams, ctx: ActionContext) -> Nothing:
    return Nothing()


def registry() -> Registry:
    """The built-in actions plus ``bench.noop``: what every benchmark worker offers."""
    actions = builtin_registry()
    actions.register(noop)
    return actions


def sequential_text(steps: int = STEPS) -> str:
    """``steps`` automated steps one after the other, each calling the no-op action."""
    lines = ['process bench_sequential "Ten automated steps"']
    lines += [f'  task s{n} "Step {n}" = bench.noop()' for n in range(steps)]
    return "\n".join(lines) + "\n"


APPROVAL_TEXT = """\
process bench_approval "One approval"
  approval review "Approve the campaign"
    by role editor
    deadline 30 days
    escalate to role lead
"""

SCALE_TEXT = """\
process bench_scale "A wait, then an approval"
  wait 5 seconds
  approval review "Approve the campaign"
    by role editor
    deadline 30 days
    remind every 10 days
    escalate to role lead
"""


def compile_text(text: str, name: str) -> ProcessIR:
    """Check and compile a benchmark process (they are valid: a failure is a bug here)."""
    catalogue = Catalogue(registry().signatures())
    checked = check_source(SourceFile.from_text(text, name), catalogue)
    if not checked.ok:
        raise AssertionError(render_all(checked.diagnostics, checked.source))
    return compile_process(checked, catalogue)
