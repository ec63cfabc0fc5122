"""Building IR nodes from values the compiler vouches for, without validating them again.

The compiler builds the IR from a checked process: every name, type and
shape has been proved by the checker, so validating each of the tens of
thousands of nodes again would only cost time (it was a third of compiling a
large process). An IR that comes from outside - a workflow's input, a file -
is still validated as it is read (``ProcessIR.model_validate``), and the test
suite holds every process in the repository to that: the unvalidated IR equals
the IR validated from its own JSON.

What run time does not check, mypy does: :func:`unvalidated` has the type of the
model's own constructor (as the pydantic mypy plugin writes it, with each field's
type: ``init_typed`` in ``pyproject.toml``), so a misspelt field, a missing one or
a value of the wrong type is a type error at the call.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from pydantic import BaseModel

from engine.ir._expr import Span

P = ParamSpec("P")
_M = TypeVar("_M", bound=BaseModel)

_BUILDERS: dict[object, Callable[..., BaseModel]] = {}
_new = object.__new__
# The slots every model has, set through their descriptors: quicker than by name.
_set_dict = BaseModel.__dict__["__dict__"].__set__
_set_fields_set = BaseModel.__dict__["__pydantic_fields_set__"].__set__
_set_extra = BaseModel.__dict__["__pydantic_extra__"].__set__
_set_private = BaseModel.__dict__["__pydantic_private__"].__set__


def unvalidated(cls: Callable[P, _M]) -> Callable[P, _M]:
    """``cls``'s constructor as mypy sees it, building the node without validation.

    ``unvalidated(ir.Ref)(name="budget", span=span)`` is what
    ``ir.Ref.model_construct(name="budget", span=span)`` makes, at a fraction of
    its cost, and type-checked as ``ir.Ref(name="budget", span=span)`` is.
    """
    build = _BUILDERS.get(cls)
    if build is None:
        build = _BUILDERS[cls] = _builder(cls)
    return build  # type: ignore[return-value]  # cast(), a call per node, costs time


def _builder(cls: object) -> Callable[..., BaseModel]:
    """The unchecked constructor of an IR model (no aliases, no extra fields, no private
    attributes): its fields' defaults are read once, here."""
    if not (isinstance(cls, type) and issubclass(cls, BaseModel)):
        raise TypeError(f"{cls!r} is not an IR model")
    model = cls
    # Every field in its declared order (the order of the JSON), with its default.
    template = {
        name: None if field.is_required() else field.get_default(call_default_factory=True)
        for name, field in model.model_fields.items()
    }

    def build(**values: Any) -> BaseModel:
        node = _new(model)
        _set_dict(node, {**template, **values})
        _set_fields_set(node, set(values))
        _set_extra(node, None)
        _set_private(node, None)
        return node

    build.__qualname__ = f"unvalidated({model.__name__})"
    return build


_SPAN_FIELDS = {"line", "col", "end_line", "end_col"}


def trusted_span(line: int, col: int, end_line: int, end_col: int) -> Span:
    """``unvalidated(Span)(...)`` made by hand: the commonest IR node (about one in two)."""
    node = _new(Span)
    _set_dict(node, {"line": line, "col": col, "end_line": end_line, "end_col": end_col})
    _set_fields_set(node, _SPAN_FIELDS)  # one set for all: a frozen model never changes it
    _set_extra(node, None)
    _set_private(node, None)
    return node
