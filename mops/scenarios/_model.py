"""What a cohort simulation assumes: how fast each role answers, how often it approves,
how often each action fails. Read from a small TOML file; every draw is seeded."""

from __future__ import annotations

import hashlib
import math
import random
import re
import tomllib
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


@dataclass(frozen=True)
class ResponseTime:
    """A lognormal answer time in business hours, given by its median and 90th percentile."""

    median_hours: float
    p90_hours: float

    def draw(self, rng: random.Random) -> float:
        sigma = max(math.log(self.p90_hours / self.median_hours) / _Z90, 1e-9)
        return rng.lognormvariate(math.log(self.median_hours), sigma)


@dataclass(frozen=True)
class RoleModel:
    answer: ResponseTime
    approve: float
    """Share of approvals this role approves (the rest it rejects)."""


DEFAULT_ROLE = RoleModel(ResponseTime(4.0, 16.0), 0.9)


@dataclass(frozen=True)
class Model:
    """Every assumption of a simulation."""

    roles: dict[str, RoleModel] = field(default_factory=dict)
    failures: dict[str, float] = field(default_factory=dict)
    """Per action name: the chance that one attempt fails."""
    default: RoleModel = DEFAULT_ROLE

    def role(self, name: str) -> RoleModel:
        return self.roles.get(name, self.default)


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
    roles = {
        name: _role(path, f"roles.{name}", spec, hours_per_day)
        for name, spec in _table(path, raw, "roles").items()
    }
    failures: dict[str, float] = {}
    for name, spec in _table(path, raw, "actions").items():
        failures[name] = _share(
            path, f"actions.{name}.fail", _dict(path, name, spec).get("fail", 0)
        )
    default = raw.get("default")
    base = DEFAULT_ROLE if default is None else _role(path, "default", default, hours_per_day)
    return Model(roles, failures, base)


def _table(path: Path, raw: dict[str, Any], key: str) -> dict[str, Any]:
    value = raw.get(key, {})
    if not isinstance(value, dict):
        raise UserError(f"{path}: [{key}] must be a table")
    return value


def _dict(path: Path, where: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise UserError(f"{path}: [{where}] must be a table")
    return value


def _role(path: Path, where: str, spec: Any, hours_per_day: float) -> RoleModel:
    spec = _dict(path, where, spec)
    unknown = set(spec) - {"answer", "approve"}
    if unknown:
        raise UserError(
            f"{path}: [{where}] has no setting '{sorted(unknown)[0]}' (answer, approve)"
        )
    answer = DEFAULT_ROLE.answer
    if "answer" in spec:
        match = _DISTRIBUTION.match(str(spec["answer"]))
        if match is None:
            raise UserError(
                f"{path}: {where}.answer: cannot read '{spec['answer']}'",
                hint='write: answer = "lognormal(median=1 business day, p90=4 business days)"',
            )
        median = _hours(match["median"], match["mu"], hours_per_day)
        p90 = _hours(match["p90"], match["pu"], hours_per_day)
        if not 0 < median <= p90:
            raise UserError(f"{path}: {where}.answer: the median must be positive and <= p90")
        answer = ResponseTime(median, p90)
    approve = _share(path, f"{where}.approve", spec.get("approve", DEFAULT_ROLE.approve))
    return RoleModel(answer, approve)


def _hours(amount: str, unit: str, hours_per_day: float) -> float:
    return float(amount) * (hours_per_day if unit.startswith("day") else 1.0)


def _share(path: Path, where: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise UserError(f"{path}: {where} must be a number from 0 to 1, not {value!r}")
    return float(value)


def rng_for(seed: int, *parts: object) -> random.Random:
    """A generator for one decision, independent of the order campaigns run in."""
    key = "/".join(str(p) for p in (seed, *parts)).encode()
    return random.Random(int.from_bytes(hashlib.sha256(key).digest()[:8], "big"))


def business_hours(hours: float) -> ir.Duration:
    """A drawn answer time as a duration of the process's calendar (to the second)."""
    return ir.Duration(amount=Decimal(round(hours * 3600)) / 3600, unit="business_hours")
