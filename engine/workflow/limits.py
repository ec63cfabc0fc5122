"""The limits of :mod:`bounds` applied to what reaches a campaign: its start, a
decision, an event. The campaign checks them (a start from a script need not have
passed ``mops check``; a step whose name cannot be an activity id would fail its
workflow task on every retry), and the client side checks them before sending, with
the same words. Pure: runs inside the workflow sandbox.
"""

from __future__ import annotations

from typing import Any

from bounds import MAX_COMMENT, MAX_NAME, MAX_TITLE, excerpt, size_problem
from engine import ir
from engine.workflow.campaign import CampaignStart
from engine.workflow.work_items import Act


def start_problem(start: CampaignStart) -> str | None:
    """Why the campaign cannot start as given, or None."""
    process = start.process
    for kind, name in _names(process):
        if len(name) > MAX_NAME:
            return f"{kind} '{excerpt(name, 40)}' is longer than {MAX_NAME} characters"
    for what, title in _titles(process):
        if len(title) > MAX_TITLE:
            return f"the title of {what} is longer than {MAX_TITLE} characters"
    if start.resume is None and (problem := size_problem(start.inputs)) is not None:
        return f"the inputs hold {problem}"
    return None


def _names(process: ir.ProcessIR) -> list[tuple[str, str]]:
    found = [("the process", process.name)]
    found += [("the input", i.name) for i in process.inputs]
    found += [("the output", o.name) for o in process.outputs]
    found += [("the step", s.id) for s in ir.iter_steps(process.body)]
    return found


def _titles(process: ir.ProcessIR) -> list[tuple[str, str]]:
    found = [("the process", process.title)]
    for step in ir.iter_steps(process.body):
        title = getattr(step, "title", None)
        if isinstance(title, str):
            found.append((f"step '{step.id}'", title))
    return found


def decision_problem(act: Act) -> str | None:
    """Why a decision is too large to take (its comment, its outputs), or None."""
    if len(act.comment) > MAX_COMMENT:
        return f"the comment is {len(act.comment):,} characters long (at most {MAX_COMMENT:,})"
    if (problem := size_problem(act.outputs)) is not None:
        return f"the outputs hold {problem}"
    return None


def event_problem(data: Any) -> str | None:
    """Why an event's data is too large to send to a campaign, or None."""
    problem = size_problem(data)
    return None if problem is None else f"the event's data holds {problem}"
