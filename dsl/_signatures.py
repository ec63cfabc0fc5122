"""Action signatures as data.

The worker registry exports one :class:`ActionSignature` per action; the
checker reads them to know which actions exist and what they take and return.
This module is plain data so the language package depends on nothing of ours.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from typing import Any


@dataclass(frozen=True, slots=True, kw_only=True)
class FieldSpec:
    """One parameter of an action, or one field of its result."""

    name: str
    type: str
    required: bool = True
    description: str = ""

    @classmethod
    def from_data(cls, data: object) -> FieldSpec:
        """A field from its JSON form (:meth:`to_data`).

        Raises:
            ValueError: a key is missing, unknown or of the wrong type.
        """
        return cls(**_checked(cls, data))

    def to_data(self) -> dict[str, Any]:
        """The field as JSON data: its attributes, in order."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True, slots=True, kw_only=True)
class ActionSignature:
    """What an action is called, what it takes and what it returns.

    Plain data (the checker reads it on every ``mops check``, where importing
    pydantic would cost as much as the check); the workers make it from their
    pydantic models.
    """

    name: str
    description: str
    params: tuple[FieldSpec, ...]
    result: tuple[FieldSpec, ...]
    timeout_seconds: float | None = None
    """How long one attempt may take unless the process says otherwise."""
    heartbeat_seconds: float | None = None
    """For actions that report progress: silence longer than this means the worker died."""

    @classmethod
    def from_data(cls, data: object) -> ActionSignature:
        """A signature from its JSON form (:meth:`to_data`).

        Raises:
            ValueError: a key is missing, unknown or of the wrong type.
        """
        found = _checked(cls, data)
        for part in ("params", "result"):
            if not isinstance(found[part], list | tuple):
                raise ValueError(f"action {found['name']!r}: {part} must be a list")
            found[part] = tuple(FieldSpec.from_data(each) for each in found[part])
        return cls(**found)

    def to_data(self) -> dict[str, Any]:
        """The signature as JSON data: its attributes in order, fields as objects."""
        return {
            "name": self.name,
            "description": self.description,
            "params": [p.to_data() for p in self.params],
            "result": [f.to_data() for f in self.result],
            "timeout_seconds": self.timeout_seconds,
            "heartbeat_seconds": self.heartbeat_seconds,
        }

    def param(self, name: str) -> FieldSpec | None:
        """The parameter called ``name``, if the action has one."""
        return next((p for p in self.params if p.name == name), None)

    def result_field(self, name: str) -> FieldSpec | None:
        """The result field called ``name``, if the action returns one."""
        return next((f for f in self.result if f.name == name), None)


# What each key of the JSON form may hold (params and result are checked apart).
_KINDS: dict[str, tuple[type, ...]] = {
    "name": (str,),
    "type": (str,),
    "description": (str,),
    "required": (bool,),
    "params": (list, tuple),
    "result": (list, tuple),
    "timeout_seconds": (int, float, type(None)),
    "heartbeat_seconds": (int, float, type(None)),
}


def _checked(cls: type, data: object) -> dict[str, Any]:
    """``data``'s keys and values, if they are the attributes of ``cls`` with fitting types."""
    if not isinstance(data, dict):
        raise ValueError(f"{cls.__name__}: expected an object, got {type(data).__name__}")
    known = {f.name: f for f in fields(cls)}
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise ValueError(f"{cls.__name__}: unknown key {unknown[0]!r}")
    found: dict[str, Any] = {}
    for name, spec in known.items():
        if name not in data:
            if spec.default is spec.default_factory:  # both MISSING: required
                raise ValueError(f"{cls.__name__}: {name!r} is missing")
            continue
        value = data[name]
        kinds = _KINDS[name]
        if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
            raise ValueError(f"{cls.__name__}: {name!r} cannot be {value!r}")
        found[name] = float(data[name]) if float in kinds and value is not None else value
    return found


class Catalogue:
    """The actions a process may call, looked up by dotted name."""

    def __init__(self, signatures: Iterable[ActionSignature]) -> None:
        self._by_name: dict[str, ActionSignature] = {s.name: s for s in signatures}

    def get(self, name: str) -> ActionSignature | None:
        """The signature of ``name``, or None when no worker provides it."""
        return self._by_name.get(name)

    @property
    def names(self) -> tuple[str, ...]:
        """Every action name, sorted."""
        return tuple(sorted(self._by_name))

    @property
    def by_name(self) -> Mapping[str, ActionSignature]:
        """The signatures keyed by action name."""
        return self._by_name
