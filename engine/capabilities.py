"""What this version of the engine can run, checked before a campaign starts.

The language is ahead of the runtime: a process may use constructs that
check and compile but that the interpreter cannot run yet. Starting such a
campaign would fail on the server; this says so before anything starts.
"""

from __future__ import annotations

from engine import ir

_NOT_YET = {
    "exit": "'exit when'",
}


def not_runnable(process: ir.ProcessIR) -> list[str]:
    """``"approval 'review' at line 12: ..."`` for every step this engine cannot run yet."""
    found: list[str] = []
    for step in ir.iter_steps(process.body):
        where = process.location(step.span)
        if step.kind in _NOT_YET:
            found.append(f"{where}: {_NOT_YET[step.kind]}: not supported by this engine yet")
        elif isinstance(step, ir.TaskStep) and step.undo:
            found.append(f"{where}: 'undo with': not supported by this engine yet")
    return found
