"""What a cohort simulation assumes: how fast each role (or step) answers and how,
what each action returns and how often it fails, when events arrive, and what
inputs campaigns start with. Read from a small TOML file (``--responses``), or
fitted from real campaigns (``--calibrate``); every draw is seeded."""

from __future__ import annotations

import hashlib
import math
import random
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from engine import ir
from engine.errors import UserError

_DISTRIBUTION = re.compile(
    r"^\s*lognormal\(\s*median\s*=\s*(?P<median>[\d.]+)\s+business\s+(?P<mu>hours?|days?)\s*,"
    r"\s*p90\s*=\s*(?P<p90>[\d.]+)\s+business\s+(?P<pu>hours?|days?)\s*\)\s*$"
)
_Z90 = 1.2815515655446004  # the 90th percentile of the standard normal
_HINT = 'write: answer = "lognormal(median=1 business day, p90=4 business days)"'


@dataclass(frozen=True)
class ResponseTime:
    """A lognormal time in business hours, given by its median and 90th percentile."""

    median_hours: float
    p90_hours: float

    def draw(self, rng: random.Random) -> float:
        sigma = max(math.log(self.p90_hours / self.median_hours) / _Z90, 1e-9)
        return rng.lognormvariate(math.log(self.median_hours), sigma)

    def text(self) -> str:
        return (
            f"lognormal(median={self.median_hours:.3g} business hours, "
            f"p90={self.p90_hours:.3g} business hours)"
        )


@dataclass(frozen=True)
class Draw:
    """A value that is fixed, or drawn from a list (equally likely) or a uniform range."""

    fixed: Any = None
    one_of: tuple[Any, ...] = ()
    uniform: tuple[float, float] | None = None
    currency: str | None = None

    def value(self, rng: random.Random) -> Any:
        if self.one_of:
            return rng.choice(self.one_of)
        if self.uniform is not None:
            number = round(rng.uniform(*self.uniform), 2)
            return f"{number} {self.currency}" if self.currency else number
        return self.fixed


@dataclass(frozen=True)
class Behaviour:
    """How the people of a role (or of one step) answer."""

    answer: ResponseTime
    approve: float
    """Share of approvals approved."""
    changes: float = 0.0
    """Share of approvals sent back for changes; the rest of the non-approved are rejected."""
    outputs: Mapping[str, Draw] = field(default_factory=dict)
    """What a work item is completed with (fields not given get typed defaults)."""


RoleModel = Behaviour  # the name of earlier releases


@dataclass(frozen=True)
class ActionModel:
    """How an action (or the task of one step) behaves."""

    fail: float = 0.0
    """The chance that one attempt fails."""
    returns: Mapping[str, Draw] = field(default_factory=dict)


@dataclass(frozen=True)
class EventModel:
    """When an event a campaign waits for arrives."""

    arrives: float
    """The share of waits in which it arrives at all."""
    after: ResponseTime
    """Counted from when the campaign starts to wait for it."""


DEFAULT_ROLE = Behaviour(ResponseTime(4.0, 16.0), 0.9)


@dataclass(frozen=True)
class Model:
    """Every assumption of a simulation."""

    roles: dict[str, Behaviour] = field(default_factory=dict)
    failures: dict[str, float] = field(default_factory=dict)
    """Per action name: the chance that one attempt fails."""
    default: Behaviour = DEFAULT_ROLE
    steps: dict[str, Behaviour] = field(default_factory=dict)
    """Per human step: overrides its role's behaviour."""
    actions: dict[str, ActionModel] = field(default_factory=dict)
    """Per action name, or per task step id."""
    events: dict[str, EventModel] = field(default_factory=dict)
    inputs: dict[str, Draw] = field(default_factory=dict)

    def role(self, name: str) -> Behaviour:
        return self.roles.get(name, self.default)

    def behaviour(self, step: str, role: str) -> Behaviour:
        return self.steps.get(step) or self.role(role)

    def action(self, step: str, action: str) -> ActionModel:
        found = self.actions.get(step) or self.actions.get(action)
        if found is not None:
            return found
        return ActionModel(fail=self.failures.get(action, 0.0))


def load_model(path: Path | None, hours_per_day: float) -> Model:
    """Read the responses file (None: the defaults).

    Raises:
        UserError: the file cannot be read or says something we cannot use.
    """
    if path is None:
        return Model()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise UserError(f"{path}: cannot be read ({error})") from None
    except tomllib.TOMLDecodeError as error:
        raise UserError(f"{path}: {error}") from None
    return read_model(raw, str(path), hours_per_day)


def read_model(raw: Mapping[str, Any], where: str, hours_per_day: float) -> Model:
    """A model from the TOML tables of a responses file (see docs/scenarios.md)."""
    unknown = set(raw) - {"roles", "steps", "actions", "events", "inputs", "default"}
    if unknown:
        raise UserError(
            f"{where}: no table [{sorted(unknown)[0]}] "
            "(roles, steps, actions, events, inputs, default)"
        )
    roles = {
        name: _behaviour(where, f"roles.{name}", spec, hours_per_day, DEFAULT_ROLE)
        for name, spec in _table(where, raw, "roles").items()
    }
    default = raw.get("default")
    base = (
        DEFAULT_ROLE
        if default is None
        else _behaviour(where, "default", default, hours_per_day, DEFAULT_ROLE)
    )
    steps: dict[str, Behaviour] = {}
    actions: dict[str, ActionModel] = {}
    for name, spec in _table(where, raw, "steps").items():
        spec = _dict(where, f"steps.{name}", spec)
        if set(spec) & {"fail", "returns"}:
            actions[name] = _action(where, f"steps.{name}", spec)
        else:
            steps[name] = _behaviour(where, f"steps.{name}", spec, hours_per_day, None)
    for name, spec in _table(where, raw, "actions").items():
        actions[name] = _action(where, f"actions.{name}", _dict(where, f"actions.{name}", spec))
    events = {
        name: _event(where, f"events.{name}", spec, hours_per_day)
        for name, spec in _table(where, raw, "events").items()
    }
    inputs = {
        name: _draw(where, f"inputs.{name}", spec)
        for name, spec in _table(where, raw, "inputs").items()
    }
    failures = {name: a.fail for name, a in actions.items()}
    return Model(roles, failures, base, steps, actions, events, inputs)


def _table(where: str, raw: Mapping[str, Any], key: str) -> dict[str, Any]:
    value = raw.get(key, {})
    if not isinstance(value, dict):
        raise UserError(f"{where}: [{key}] must be a table")
    return value


def _dict(where: str, name: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise UserError(f"{where}: [{name}] must be a table")
    return value


def _behaviour(
    where: str, name: str, spec: Any, hours_per_day: float, base: Behaviour | None
) -> Behaviour:
    spec = _dict(where, name, spec)
    unknown = set(spec) - {"answer", "approve", "changes", "outputs"}
    if unknown:
        raise UserError(
            f"{where}: [{name}] has no setting '{sorted(unknown)[0]}' "
            "(answer, approve, changes, outputs)"
        )
    fallback = base or DEFAULT_ROLE
    answer = fallback.answer
    if "answer" in spec:
        answer = _response_time(where, f"{name}.answer", spec["answer"], hours_per_day)
    approve = _share(where, f"{name}.approve", spec.get("approve", fallback.approve))
    changes = _share(where, f"{name}.changes", spec.get("changes", fallback.changes))
    if approve + changes > 1:
        raise UserError(f"{where}: {name}: approve + changes must be at most 1")
    outputs = {
        field_name: _draw(where, f"{name}.outputs.{field_name}", value)
        for field_name, value in _dict(where, f"{name}.outputs", spec.get("outputs", {})).items()
    }
    return Behaviour(answer, approve, changes, outputs)


def _response_time(where: str, name: str, text: Any, hours_per_day: float) -> ResponseTime:
    match = _DISTRIBUTION.match(str(text))
    if match is None:
        raise UserError(f"{where}: {name}: cannot read '{text}'", hint=_HINT)
    median = _hours(match["median"], match["mu"], hours_per_day)
    p90 = _hours(match["p90"], match["pu"], hours_per_day)
    if not 0 < median <= p90:
        raise UserError(f"{where}: {name}: the median must be positive and <= p90")
    return ResponseTime(median, p90)


def _action(where: str, name: str, spec: dict[str, Any]) -> ActionModel:
    unknown = set(spec) - {"fail", "returns"}
    if unknown:
        raise UserError(f"{where}: [{name}] has no setting '{sorted(unknown)[0]}' (fail, returns)")
    returns = {
        field_name: _draw(where, f"{name}.returns.{field_name}", value)
        for field_name, value in _dict(where, f"{name}.returns", spec.get("returns", {})).items()
    }
    return ActionModel(_share(where, f"{name}.fail", spec.get("fail", 0)), returns)


def _event(where: str, name: str, spec: Any, hours_per_day: float) -> EventModel:
    spec = _dict(where, name, spec)
    unknown = set(spec) - {"arrives", "after"}
    if unknown:
        raise UserError(f"{where}: [{name}] has no setting '{sorted(unknown)[0]}' (arrives, after)")
    if "after" not in spec:
        raise UserError(
            f"{where}: [{name}] needs 'after'",
            hint='write: after = "lognormal(median=2 business days, p90=5 business days)"',
        )
    after = _response_time(where, f"{name}.after", spec["after"], hours_per_day)
    return EventModel(_share(where, f"{name}.arrives", spec.get("arrives", 1.0)), after)


def _draw(where: str, name: str, value: Any) -> Draw:
    """``true``, ``"x"``, ``{one_of = [..]}`` or ``{uniform = [low, high], currency = "EUR"}``."""
    if not isinstance(value, dict):
        return Draw(fixed=value)
    unknown = set(value) - {"one_of", "uniform", "currency"}
    if unknown or not ({"one_of", "uniform"} & set(value)):
        raise UserError(
            f"{where}: {name}: write a value, {{one_of = [...]}} or {{uniform = [low, high]}}"
        )
    if "one_of" in value:
        choices = value["one_of"]
        if not isinstance(choices, list) or not choices:
            raise UserError(f"{where}: {name}.one_of must be a list of values")
        return Draw(one_of=tuple(choices))
    bounds = value["uniform"]
    if (
        not isinstance(bounds, list)
        or len(bounds) != 2
        or not all(isinstance(b, int | float) and not isinstance(b, bool) for b in bounds)
        or bounds[0] > bounds[1]
    ):
        raise UserError(f"{where}: {name}.uniform must be [low, high], two numbers")
    currency = value.get("currency")
    return Draw(uniform=(float(bounds[0]), float(bounds[1])), currency=currency)


def _hours(amount: str, unit: str, hours_per_day: float) -> float:
    return float(amount) * (hours_per_day if unit.startswith("day") else 1.0)


def _share(where: str, name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise UserError(f"{where}: {name} must be a number from 0 to 1, not {value!r}")
    return float(value)


def rng_for(seed: int, *parts: object) -> random.Random:
    """A generator for one decision, independent of the order campaigns run in."""
    key = "/".join(str(p) for p in (seed, *parts)).encode()
    return random.Random(int.from_bytes(hashlib.sha256(key).digest()[:8], "big"))


def business_hours(hours: float) -> ir.Duration:
    """A drawn answer time as a duration of the process's calendar (to the second)."""
    return ir.Duration(amount=Decimal(round(hours * 3600)) / 3600, unit="business_hours")
