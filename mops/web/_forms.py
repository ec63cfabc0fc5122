"""Forms made from declared types: a work item's ``returns`` and a process's inputs.

Each field's value is read with the same functions the command line and the
campaign use (``parse_text``, then ``from_json``, the update validator's check),
so the form accepts exactly what the campaign accepts; each problem is shown
beside its field.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict

from engine import ir
from engine.workflow.values import ValueProblem, from_json, parse_text

_INPUT_TYPES = {
    "number": "number",
    "percent": "number",
    "date": "date",
    "datetime": "datetime-local",
    "email": "email",
    "url": "url",
}
_HINTS = {
    "money": "an amount and a currency, e.g. 2500 EUR",
    "percent": "a number, e.g. 15 for 15 %",
    "duration": "e.g. 3 days, 2 business days, 4 hours",
    "datetime": "date and time",
    "record": "a JSON object",
}


class Field(BaseModel):
    """One field of a generated form."""

    model_config = ConfigDict(frozen=True)

    name: str
    label: str
    type: str
    """The declared type as the designer wrote it (``url``, ``list of text``, ...)."""
    input: str
    """What HTML input shows it: ``text``, ``number``, ``date``, ``select``, ``checkbox``,
    ``textarea``..."""
    choices: tuple[str, ...] = ()
    hint: str = ""
    required: bool = True
    value: str = ""
    error: str = ""


def field_for(name: str, type_: ir.TypeRef, *, required: bool = True, value: str = "") -> Field:
    text = ir.type_text(type_)
    label = name.replace("_", " ").capitalize()
    match type_:
        case ir.OneOfType(choices=choices):
            return Field(
                name=name,
                label=label,
                type=text,
                input="select",
                choices=tuple(choices),
                required=required,
                value=value,
            )
        case ir.ListType():
            return Field(
                name=name,
                label=label,
                type=text,
                input="text",
                hint="separate the items with commas",
                required=required,
                value=value,
            )
        case ir.ScalarType(name="bool"):
            return Field(name=name, label=label, type=text, input="checkbox", required=False)
        case ir.ScalarType(name="record"):
            return Field(
                name=name,
                label=label,
                type=text,
                input="textarea",
                hint=_HINTS["record"],
                required=required,
                value=value,
            )
        case ir.ScalarType(name=scalar):
            return Field(
                name=name,
                label=label,
                type=text,
                input=_INPUT_TYPES.get(scalar, "text"),
                hint=_HINTS.get(scalar, ""),
                required=required,
                value=value,
            )
    raise AssertionError(type_)


def returns_form(returns: Sequence[tuple[str, ir.TypeRef]]) -> list[Field]:
    """The fields of a work item's completion form."""
    return [field_for(name, type_) for name, type_ in returns]


def inputs_form(process: ir.ProcessIR) -> list[Field]:
    """The fields of a process's start form; inputs with a default are optional."""
    return [field_for(i.name, i.type, required=i.default is None) for i in process.inputs]


def read(
    fields: Sequence[Field],
    types: Mapping[str, ir.TypeRef],
    sent: Mapping[str, str],
) -> tuple[dict[str, Any], list[Field]]:
    """The values of a sent form as JSON, and the fields again with values and problems.

    An optional field left empty is left out (its default applies).
    """
    values: dict[str, Any] = {}
    shown: list[Field] = []
    for field in fields:
        raw = sent.get(field.name, "")
        problem = ""
        if field.input == "checkbox":
            values[field.name] = raw in ("on", "true", "yes", "1")
        elif not raw.strip():
            if field.required:
                problem = "required"
        else:
            try:
                value = parse_text(raw, types[field.name])
                from_json(value, types[field.name])  # what the campaign's validator checks
                values[field.name] = value
            except ValueProblem as error:
                problem = str(error)
        shown.append(field.model_copy(update={"value": raw, "error": problem}))
    return values, shown


def problems(fields: Sequence[Field]) -> bool:
    return any(f.error for f in fields)
