"""Action signatures as data.

The worker registry exports one :class:`ActionSignature` per action; the
checker reads them to know which actions exist and what they take and return.
This module is plain data so the language package depends on nothing of ours.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from pydantic import BaseModel, ConfigDict


class FieldSpec(BaseModel):
    """One parameter of an action, or one field of its result."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    type: str
    required: bool = True
    description: str = ""


class ActionSignature(BaseModel):
    """What an action is called, what it takes and what it returns."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    description: str
    params: tuple[FieldSpec, ...]
    result: tuple[FieldSpec, ...]
    timeout_seconds: float | None = None
    """How long one attempt may take unless the process says otherwise."""
    heartbeat_seconds: float | None = None
    """For actions that report progress: silence longer than this means the worker died."""

    def param(self, name: str) -> FieldSpec | None:
        """The parameter called ``name``, if the action has one."""
        return next((p for p in self.params if p.name == name), None)

    def result_field(self, name: str) -> FieldSpec | None:
        """The result field called ``name``, if the action returns one."""
        return next((f for f in self.result if f.name == name), None)


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
