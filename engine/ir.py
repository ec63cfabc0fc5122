"""The intermediate representation a campaign runs: versioned, validated, JSON.

The IR is a closed union of frozen pydantic models. It travels as the workflow
input, so a running campaign keeps the version it started with; it carries
the source hash and a span on every node so that a failure at run time names
the line of the ``.mops`` file. Bump :data:`IR_VERSION` on any change to its
shape, and keep the old version's fixtures loading and running.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

IR_VERSION: Literal[1] = 1


class _Node(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Span(_Node):
    """Where a node is in its process file (1-based, end exclusive)."""

    line: int
    col: int
    end_line: int
    end_col: int


# ---- types -------------------------------------------------------------------


class ScalarType(_Node):
    kind: Literal["scalar"] = "scalar"
    name: str


class ListType(_Node):
    kind: Literal["list"] = "list"
    item: TypeRef


class OneOfType(_Node):
    kind: Literal["one_of"] = "one_of"
    choices: tuple[str, ...]


TypeRef = Annotated[ScalarType | ListType | OneOfType, Field(discriminator="kind")]


def type_text(type_: TypeRef) -> str:
    """The type as a designer writes it."""
    match type_:
        case ScalarType(name=name):
            return name
        case ListType(item=item):
            return f"list of {type_text(item)}"
        case OneOfType(choices=choices):
            return "one of " + ", ".join(f'"{c}"' for c in choices)


# ---- expressions -------------------------------------------------------------


class Literal_(_Node):
    """A constant. Money is ``{"amount": "12.50", "currency": "EUR"}``."""

    kind: Literal["lit"] = "lit"
    value: Any
    span: Span


class Ref(_Node):
    """The value of an input or the result of an earlier step."""

    kind: Literal["ref"] = "ref"
    name: str
    span: Span


class Attr(_Node):
    kind: Literal["attr"] = "attr"
    obj: Expr
    name: str
    span: Span


class Index(_Node):
    kind: Literal["index"] = "index"
    obj: Expr
    index: Expr
    span: Span


class Call(_Node):
    kind: Literal["call"] = "call"
    func: str
    args: tuple[Expr, ...]
    span: Span


class Unary(_Node):
    kind: Literal["unary"] = "unary"
    op: Literal["-", "not"]
    operand: Expr
    span: Span


class Binary(_Node):
    kind: Literal["binary"] = "binary"
    op: Literal["+", "-", "*", "/", "and", "or", "==", "!=", "<", "<=", ">", ">=", "in", "not in"]
    left: Expr
    right: Expr
    span: Span


class ListExpr(_Node):
    kind: Literal["list"] = "list"
    items: tuple[Expr, ...]
    span: Span


class Record(_Node):
    kind: Literal["record"] = "record"
    fields: dict[str, Expr]
    span: Span


class Text(_Node):
    """A text with interpolations: plain parts are strings."""

    kind: Literal["text"] = "text"
    parts: tuple[str | Expr, ...]
    span: Span


Expr = Annotated[
    Literal_ | Ref | Attr | Index | Call | Unary | Binary | ListExpr | Record | Text,
    Field(discriminator="kind"),
]

# ---- steps -------------------------------------------------------------------


class RetryPolicy(_Node):
    """How often a failing task is tried again, and how long to wait between tries."""

    maximum_attempts: int = 5
    initial_interval_seconds: float = 1.0
    backoff: float = 2.0
    maximum_interval_seconds: float = 60.0


class TaskStep(_Node):
    """Call an action (an activity whose type is the action name)."""

    kind: Literal["task"] = "task"
    id: str
    title: str
    action: str
    arguments: dict[str, Expr]
    timeout_seconds: float = 300.0
    heartbeat_seconds: float | None = None
    """Set for actions that heartbeat: a dead worker is noticed after this long."""
    retry: RetryPolicy = RetryPolicy()
    span: Span


class Branch(_Node):
    condition: Expr
    body: tuple[Step, ...]
    span: Span


class IfStep(_Node):
    """Run the body of the first branch whose condition holds, else ``orelse``."""

    kind: Literal["if"] = "if"
    id: str
    branches: tuple[Branch, ...]
    orelse: tuple[Step, ...]
    span: Span


Step = Annotated[TaskStep | IfStep, Field(discriminator="kind")]


class InputDecl(_Node):
    name: str
    type: TypeRef
    default: Expr | None = None
    span: Span


class OutputDecl(_Node):
    name: str
    type: TypeRef | None = None
    value: Expr
    span: Span


class ProcessIR(_Node):
    """A whole compiled process: what one campaign runs."""

    ir_version: Literal[1] = IR_VERSION
    name: str
    title: str
    source_file: str
    source_hash: str
    """SHA-256 of the normalised source text: the process version."""
    inputs: tuple[InputDecl, ...]
    body: tuple[Step, ...]
    outputs: tuple[OutputDecl, ...]
    span: Span

    @property
    def version(self) -> str:
        """The short form of the source hash that people see."""
        return self.source_hash[:12]

    def location(self, span: Span) -> str:
        """``file:line:col`` of a node in this process's source."""
        return f"{self.source_file}:{span.line}:{span.col}"


for _model in (
    ListType,
    Attr,
    Index,
    Call,
    Unary,
    Binary,
    ListExpr,
    Record,
    Text,
    Branch,
    IfStep,
    TaskStep,
):
    _model.model_rebuild()
ProcessIR.model_rebuild()


def iter_steps(body: tuple[Step, ...]) -> list[TaskStep | IfStep]:
    """Every step in a body, at any depth, in file order."""
    found: list[TaskStep | IfStep] = []
    for step in body:
        found.append(step)
        if isinstance(step, IfStep):
            for branch in step.branches:
                found.extend(iter_steps(branch.body))
            found.extend(iter_steps(step.orelse))
    return found
