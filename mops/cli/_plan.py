"""``mops check --plan``: the worst-case duration of a process, as a table."""

from __future__ import annotations

from pydantic import ValidationError

from dsl import Plan
from dsl import _ast as ast
from dsl._walk import iter_steps
from workers import WorkerConfig, notice_problems

_HEADINGS = ("line", "step", "takes", "how it is counted")


def print_plan(plan: Plan) -> str:
    """The plan as a designer reads it: the total, the critical path, what is not counted."""
    calendar = f" (business time in calendar {plan.calendar})" if plan.calendar else ""
    title = f' "{plan.title}"' if plan.title != plan.process else ""
    lines = [f"Worst case for {plan.process}{title}: {plan.total_text}{calendar}", ""]
    if plan.steps:
        rows = [
            (
                str(step.line),
                step.id if step.id == step.title else f"{step.id} ({step.title})",
                f"{step.takes}{' per item' if step.per_item else ''}",
                step.why,
            )
            for step in plan.steps
        ]
        lines.append("Critical path:")
        lines += _table([_HEADINGS, *rows])
    else:
        lines.append("Critical path: no step on it takes time.")
    if plan.not_counted:
        lines += ["", "Not counted (the worst case is at least the total above):"]
        notes = [(str(n.line), n.id, n.reason) for n in plan.not_counted]
        lines += _table([("line", "step", "why"), *notes])
    return "\n".join(lines)


def _table(rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    shown = []
    for row in rows:
        cells = [row[0].rjust(widths[0])]
        cells += [cell.ljust(width) for cell, width in zip(row[1:], widths[1:], strict=True)]
        shown.append(("  " + "  ".join(cells)).rstrip())
    return shown


def notice_warnings(process: ast.Process) -> list[str]:
    """Who the process tells (notify, reminders, escalations) and, when a worker with this
    environment's settings could not tell them, why: warnings, never errors."""
    told: dict[str, None] = {}
    for step in iter_steps(process.body):
        parties: list[ast.Party | ast.PartyFrom] = []
        if isinstance(step, ast.Notify):
            parties += step.parties
        elif isinstance(step, ast.Human) and (step.remind_every or step.escalations):
            parties += step.parties
            parties += [p for rung in step.escalations for p in rung.to]
        for party in parties:
            shown = str(party) if isinstance(party, ast.Party) else "those chosen when it runs"
            told[shown] = None
    if not told:
        return []
    try:
        problems = notice_problems(WorkerConfig.from_env())
    except ValidationError:
        return []  # the worker says what is wrong with its settings when it starts
    who = ", ".join(sorted(told, key=lambda w: w.startswith("those")))
    return [
        f"warning: {who} will get no notices from a worker set up like this: {p}" for p in problems
    ]
