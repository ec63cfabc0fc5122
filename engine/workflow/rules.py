"""Decision tables at run time: which rows match, and what the decision is.

Pure: the interpreter calls it inside the workflow and records the outcome
(rows that matched, with the values of the names their conditions read) as
one memo update in the campaign's history.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from engine import ir
from engine.workflow.evaluate import EvaluationError, evaluate
from engine.workflow.values import to_json


class NoDecision(Exception):
    """The table cannot decide: no row matches, or several do under ``unique``."""

    def __init__(self, message: str, span: ir.Span) -> None:
        super().__init__(message)
        self.message = message
        self.span = span


@dataclass(frozen=True)
class Decision:
    value: Any
    """The single result, a record of named results, or a list of them (collect)."""
    rows: tuple[int, ...]
    """The lines of the rows that decided."""
    inputs: dict[str, Any]
    """The names the conditions read, with their values (JSON)."""


def decide(
    step: ir.DecideStep,
    env: Mapping[str, Any],
    calendar: ir.Calendar | None,
    *,
    now: dt.datetime | None = None,
    bounded: bool = True,
) -> Decision:
    """Apply the table to the values in ``env`` (``now``: the campaign's current time;
    ``bounded``: see :func:`~engine.workflow.evaluate.evaluate`).

    Raises:
        NoDecision: nothing (or, under ``unique``, more than one row) matches.
        EvaluationError: a condition or result cannot be evaluated.
    """
    matched: list[ir.Rule] = []
    for rule in step.rules:
        if rule.condition is None:
            if not matched:
                matched.append(rule)
            break
        value = evaluate(rule.condition, env, calendar, now=now, bounded=bounded)
        if not isinstance(value, bool):
            raise EvaluationError("the row's condition is not true or false", rule.condition.span)
        if value:
            matched.append(rule)
            if step.hit_policy == "first":
                break
    inputs = {name: to_json(env[name]) for name in _names(step) if name in env}
    if not matched:
        raise NoDecision(f"no row of '{step.title}' matches", step.span)
    if step.hit_policy == "unique" and len(matched) > 1:
        lines = " and ".join(str(r.span.line) for r in matched)
        raise NoDecision(f"rows at lines {lines} of '{step.title}' both match", step.span)
    if step.hit_policy == "priority":
        best = max(r.priority or 0 for r in matched)
        matched = [next(r for r in matched if (r.priority or 0) == best)]
    results = [_result(rule, env, calendar, now, bounded) for rule in matched]
    value = results if step.hit_policy == "collect" else results[0]
    return Decision(value, tuple(r.span.line for r in matched), inputs)


def _result(
    rule: ir.Rule,
    env: Mapping[str, Any],
    calendar: ir.Calendar | None,
    now: dt.datetime | None,
    bounded: bool,
) -> Any:
    values = {
        name: evaluate(expr, env, calendar, now=now, bounded=bounded)
        for name, expr in rule.outputs.items()
    }
    return values[""] if set(values) == {""} else values


def _names(step: ir.DecideStep) -> list[str]:
    found: list[str] = []

    def walk(expr: Any) -> None:
        if isinstance(expr, ir.Ref) and expr.name not in found:
            found.append(expr.name)
        elif isinstance(expr, BaseModel):
            for field in type(expr).model_fields:
                value = getattr(expr, field)
                for item in value if isinstance(value, tuple | list) else (value,):
                    walk(item)

    for rule in step.rules:
        if rule.condition is not None:
            walk(rule.condition)
    return found
