"""The typed syntax tree of a process file. Every node carries its span."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from dsl._source import Span
from dsl._types import Type

# ---- expressions -------------------------------------------------------------


@dataclass(frozen=True)
class NumberLit:
    value: Decimal
    span: Span


@dataclass(frozen=True)
class MoneyLit:
    amount: Decimal
    currency: str
    span: Span


@dataclass(frozen=True)
class TextLit:
    """A text with ``{expression}`` interpolations; plain parts are ``str``."""

    parts: tuple[str | Expr, ...]
    span: Span

    @property
    def is_plain(self) -> bool:
        return all(isinstance(p, str) for p in self.parts)

    @property
    def plain(self) -> str:
        return "".join(p for p in self.parts if isinstance(p, str))


@dataclass(frozen=True)
class BoolLit:
    value: bool
    span: Span


@dataclass(frozen=True)
class ListLit:
    items: tuple[Expr, ...]
    span: Span


@dataclass(frozen=True)
class RecordLit:
    """``{name: value, ...}``: a record built from expressions."""

    fields: tuple[tuple[str, Expr], ...]
    span: Span


@dataclass(frozen=True)
class Name:
    id: str
    span: Span


@dataclass(frozen=True)
class Attribute:
    obj: Expr
    name: str
    span: Span
    name_span: Span


@dataclass(frozen=True)
class Index:
    obj: Expr
    index: Expr
    span: Span


@dataclass(frozen=True)
class Call:
    func: str
    args: tuple[Expr, ...]
    span: Span
    func_span: Span


@dataclass(frozen=True)
class Unary:
    op: str  # "-" | "not"
    operand: Expr
    span: Span


@dataclass(frozen=True)
class Binary:
    op: str  # + - * / and or == != < <= > >= in "not in"
    left: Expr
    right: Expr
    span: Span


Expr = (
    NumberLit
    | MoneyLit
    | TextLit
    | BoolLit
    | ListLit
    | RecordLit
    | Name
    | Attribute
    | Index
    | Call
    | Unary
    | Binary
)

# ---- declarations and steps ----------------------------------------------------


@dataclass(frozen=True)
class TypeRef:
    type: Type
    span: Span


@dataclass(frozen=True)
class Input:
    name: str
    type: TypeRef
    default: Expr | None
    span: Span
    name_span: Span


@dataclass(frozen=True)
class Output:
    name: str
    type: TypeRef | None
    value: Expr
    span: Span
    name_span: Span


@dataclass(frozen=True)
class Duration:
    """A fixed length of time written in the file, such as ``10 minutes``."""

    seconds: int
    text: str
    span: Span


@dataclass(frozen=True)
class Argument:
    name: str
    value: Expr
    span: Span
    name_span: Span


@dataclass(frozen=True)
class Task:
    """An automated step: call an action with named arguments."""

    name: str
    title: str | None
    action: str
    arguments: tuple[Argument, ...]
    span: Span
    name_span: Span
    action_span: Span
    args_span: Span
    timeout: Duration | None = None
    retry_attempts: int | None = None
    """How many times to try in all (1 = no retry); None = the engine's default."""

    @property
    def display_title(self) -> str:
        return self.title or self.name


@dataclass(frozen=True)
class Branch:
    condition: Expr
    body: tuple[Statement, ...]
    span: Span


@dataclass(frozen=True)
class If:
    branches: tuple[Branch, ...]
    orelse: tuple[Statement, ...] | None
    span: Span


Statement = Task | If


@dataclass(frozen=True)
class Process:
    name: str
    title: str | None
    inputs: tuple[Input, ...]
    body: tuple[Statement, ...]
    outputs: tuple[Output, ...]
    span: Span
    name_span: Span
