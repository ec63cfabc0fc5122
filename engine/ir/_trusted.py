"""Building IR nodes from values the compiler vouches for, without validating them again.

The compiler builds the IR from a checked process: every name, type and
shape has been proved by the checker, so validating each of the tens of
thousands of nodes again would only cost time (it was a third of compiling a
large process). An IR that comes from outside - a workflow's input, a file -
is still validated as it is read (``ProcessIR.model_validate``), and the test
suite holds every process in the repository to that: the trusted IR equals
the IR validated from its own JSON.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel

from engine.ir._expr import Span

_M = TypeVar("_M", bound=BaseModel)

_TEMPLATES: dict[type[BaseModel], dict[str, Any]] = {}
_set = object.__setattr__
_new = object.__new__
# The slots every model has, set through their descriptors: quicker than by name.
_set_fields_set = BaseModel.__dict__["__pydantic_fields_set__"].__set__
_set_extra = BaseModel.__dict__["__pydantic_extra__"].__set__
_set_private = BaseModel.__dict__["__pydantic_private__"].__set__


def trusted(cls: type[_M], /, **values: Any) -> _M:
    """A ``cls`` holding ``values`` (and the defaults of the fields not given), unvalidated.

    What ``cls.model_construct(**values)`` makes, for an IR model (no aliases,
    no extra fields, no private attributes), at a fraction of its cost.
    """
    template = _TEMPLATES.get(cls)
    if template is None:
        # Every field in its declared order (the order of the JSON), with its default.
        template = _TEMPLATES[cls] = {
            name: None if field.is_required() else field.get_default(call_default_factory=True)
            for name, field in cls.model_fields.items()
        }
    node = _new(cls)
    _set(node, "__dict__", {**template, **values})
    _set_fields_set(node, set(values))
    _set_extra(node, None)
    _set_private(node, None)
    return node


def trusted_span(line: int, col: int, end_line: int, end_col: int) -> Span:
    """``trusted(Span, ...)`` made by hand: the commonest IR node (about one in two)."""
    node = _new(Span)
    _set(node, "__dict__", {"line": line, "col": col, "end_line": end_line, "end_col": end_col})
    _set_fields_set(node, {"line", "col", "end_line", "end_col"})
    _set_extra(node, None)
    _set_private(node, None)
    return node
