"""Who a step names, worked out when it opens: ``role from route.team``.

The checker proves what it can before anything runs (the values of a ``one of`` or of a
decision's rows); the rest is checked here, against the team directory the campaign
carries, and a value that names nobody fails the campaign at the expression's line with
the reason. Runs inside the workflow sandbox.
"""

from __future__ import annotations

from engine import ir
from engine.workflow._state import Env, RunState


def chosen_parties(
    run: RunState, step: ir.Step, chosen: tuple[ir.PartyFrom, ...] | None, env: Env
) -> tuple[str, ...]:
    """``role:x`` / ``person:y`` for each value the expressions give, checked."""
    found: list[str] = []
    for party in chosen or ():
        value = run.eval(party.expr, env, f"step '{step.id}'")
        values = value if isinstance(value, list) else [value]
        for name in values:
            if not isinstance(name, str) or not name:
                raise run.failure(
                    party.expr.span,
                    f"step '{step.id}': '{party.kind} from' needs texts naming "
                    f"{party.kind}s; it gave {name!r}",
                    "NobodyToAsk",
                )
            problem = _unknown(run, party.kind, name)
            if problem is not None:
                raise run.failure(party.expr.span, f"step '{step.id}': {problem}", "NobodyToAsk")
            found.append(f"{party.kind}:{name}")
    return tuple(dict.fromkeys(found))


def _unknown(run: RunState, kind: str, name: str) -> str | None:
    """Why ``name`` names no one in the campaign's team directory (None: it does, or the
    campaign carries no directory to check against)."""
    team = run.team
    if team is None:
        return None
    version = team.version[:12]
    if kind == "role" and not team.with_role(name):
        return f"nobody in the team directory (version {version}) holds the role '{name}'"
    if kind == "person" and name not in team.people:
        return f"the team directory (version {version}) has no person '{name}'"
    return None
