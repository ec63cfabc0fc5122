"""Campaign inputs given on a command line or by a script, checked before start."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from difflib import get_close_matches
from typing import Any

from bounds import size_problem
from engine.errors import UserError
from engine.ir import ProcessIR, type_text
from engine.workflow.evaluate import EvaluationError, evaluate, uses_clock
from engine.workflow.values import ValueProblem, check_json, parse_text, to_json


def parse_assignments(pairs: Sequence[str]) -> dict[str, str]:
    """``["title=Hello", "budget=5000 EUR"]`` as a mapping.

    Raises:
        UserError: a pair has no '=' or a name is given twice.
    """
    values: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        name = name.strip()
        if not sep or not name:
            raise UserError(f"--input '{pair}' should be written name=value")
        if name in values:
            raise UserError(f"--input '{name}' is given twice")
        values[name] = value
    return values


def resolve_inputs(
    process: ProcessIR,
    *,
    texts: Mapping[str, str] | None = None,
    json_values: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Every input of a campaign as JSON: given values checked, defaults filled in
    (but those that read ``today()`` or ``now()``: the campaign works them out when it
    starts, from its own clock).

    ``texts`` come from a command line (``5000 EUR``), ``json_values`` from a
    script (``{"amount": "5000", "currency": "EUR"}``).

    Raises:
        UserError: an unknown, missing or mistyped input; the message names it and
            says what was expected.
    """
    given: dict[str, tuple[str, Any]] = {}
    for name, text in (texts or {}).items():
        given[name] = ("text", text)
    for name, value in (json_values or {}).items():
        given[name] = ("json", value)
    declared = {decl.name: decl for decl in process.inputs}
    problems: list[str] = []
    for name in sorted(set(given) - set(declared)):
        close = get_close_matches(name, list(declared), n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        problems.append(f"'{process.name}' has no input '{name}'{hint}")
    resolved: dict[str, Any] = {}
    for decl in process.inputs:
        kind_value = given.get(decl.name)
        try:
            if kind_value is not None and (too_large := size_problem(kind_value[1])) is not None:
                raise ValueProblem(f"holds {too_large}")
            if kind_value is None:
                if decl.default is not None and uses_clock(decl.default):
                    continue
                if decl.default is None:
                    wanted = type_text(decl.type)
                    how = f"give it with --input {decl.name}=..."
                    raise ValueProblem(f"is required ({wanted}); {how}")
                resolved[decl.name] = to_json(evaluate(decl.default, {}))
            elif kind_value[0] == "text":
                resolved[decl.name] = parse_text(str(kind_value[1]), decl.type)
            else:
                resolved[decl.name] = check_json(kind_value[1], decl.type)
        except (ValueProblem, EvaluationError) as problem:
            message = problem.message if isinstance(problem, EvaluationError) else str(problem)
            problems.append(f"input '{decl.name}': {message}")
    if not problems and (too_large := size_problem(resolved)) is not None:
        problems.append(f"the inputs hold {too_large}")
    if problems:
        summary = problems[0] if len(problems) == 1 else f"{len(problems)} problems with the inputs"
        detail = None if len(problems) == 1 else "\n  ".join(problems)
        raise UserError(summary if detail is None else f"{summary}:\n  {detail}")
    return resolved
