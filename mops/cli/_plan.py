"""``mops check --plan``: the worst-case duration of a process, as a table."""

from __future__ import annotations

from dsl import Plan

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
