"""Parse tree -> AST. Problems found while building become diagnostics."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from lark import Token, Transformer, Tree, v_args
from lark.tree import Meta

from dsl import _ast as ast
from dsl._diagnostics import Diagnostic
from dsl._source import Span
from dsl._suggest import did_you_mean
from dsl._types import SCALAR_NAMES, ListOf, OneOf, Scalar, Type

ExprParser = Callable[[str, int, int], "tuple[ast.Expr | None, list[Diagnostic]]"]
"""Parses the text of an interpolation found at (line, col) into an expression."""

_UNIT_SECONDS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t", "{": "{", "}": "}"}


def token_span(token: Token) -> Span:
    """The span of one token."""
    line = token.line or 1
    col = token.column or 1
    return Span(line, col, token.end_line or line, token.end_column or col + len(token))


def meta_span(meta: Meta) -> Span:
    """The span of a tree node (positions are propagated by the parser)."""
    if getattr(meta, "empty", True):
        return Span(1, 1, 1, 2)
    return Span(meta.line, meta.column, meta.end_line, meta.end_column)


def shift(span: Span, line: int, col: int) -> Span:
    """Move a span parsed from a one-line snippet to where the snippet sits."""
    return Span(line, col + span.col - 1, line, col + span.end_col - 1)


@v_args(meta=True)
class AstBuilder(Transformer[Token, Any]):
    """Builds :mod:`dsl._ast` nodes; collects problems instead of raising them.

    Lark would wrap an exception raised here in ``VisitError``; collecting keeps
    every problem and avoids that trap.
    """

    def __init__(self, parse_interpolation: ExprParser, origin: tuple[int, int] = (1, 1)) -> None:
        super().__init__()
        self.diagnostics: list[Diagnostic] = []
        self._parse_interpolation = parse_interpolation
        # Where the parsed snippet starts in the file (for interpolations).
        self._origin = origin

    def _span(self, meta_or_token: Meta | Token) -> Span:
        span = (
            token_span(meta_or_token)
            if isinstance(meta_or_token, Token)
            else meta_span(meta_or_token)
        )
        if self._origin == (1, 1):
            return span
        return shift(span, *self._origin)

    # ---- process structure -----------------------------------------------------

    def start(self, meta: Meta, children: list[Any]) -> ast.Process:
        process: ast.Process = children[-1]
        return process

    def process(self, meta: Meta, children: list[Any]) -> ast.Process:
        name_tok: Token = children[0]
        title = children[1] if isinstance(children[1], ast.TextLit) else None
        items = [c for c in children[1:] if not isinstance(c, ast.TextLit)]
        if title is not None and not title.is_plain:
            self._error(
                "T002", "a process title is plain text, without {interpolation}", title.span
            )
        return ast.Process(
            name=str(name_tok),
            title=title.plain if title else None,
            inputs=tuple(i for i in items if isinstance(i, ast.Input)),
            body=tuple(i for i in items if isinstance(i, ast.Task | ast.If)),
            outputs=tuple(i for i in items if isinstance(i, ast.Output)),
            span=self._span(meta),
            name_span=self._span(name_tok),
        )

    def title(self, meta: Meta, children: list[Any]) -> ast.TextLit:
        text: ast.TextLit = children[0]
        return text

    def input_decl(self, meta: Meta, children: list[Any]) -> ast.Input:
        name_tok, type_ref, *rest = children
        return ast.Input(
            name=str(name_tok),
            type=type_ref,
            default=rest[0] if rest else None,
            span=self._span(meta),
            name_span=self._span(name_tok),
        )

    def default(self, meta: Meta, children: list[Any]) -> ast.Expr:
        value: ast.Expr = children[0]
        return value

    def output_decl(self, meta: Meta, children: list[Any]) -> ast.Output:
        name_tok = children[0]
        type_ref = children[1] if len(children) == 3 else None
        return ast.Output(
            name=str(name_tok),
            type=type_ref,
            value=children[-1],
            span=self._span(meta),
            name_span=self._span(name_tok),
        )

    # ---- types -----------------------------------------------------------------

    def scalar_type(self, meta: Meta, children: list[Any]) -> ast.TypeRef:
        tok: Token = children[0]
        span = self._span(tok)
        if str(tok) not in SCALAR_NAMES:
            self._error(
                "T001",
                f"unknown type '{tok}'",
                span,
                hint=did_you_mean(str(tok), SCALAR_NAMES)
                or "types are: " + ", ".join(SCALAR_NAMES) + ', list of T, one of "a", "b"',
            )
            return ast.TypeRef(Scalar("any"), span)
        return ast.TypeRef(Scalar(str(tok)), span)

    def list_type(self, meta: Meta, children: list[Any]) -> ast.TypeRef:
        item: ast.TypeRef = children[0]
        return ast.TypeRef(ListOf(item.type), self._span(meta))

    def one_of_type(self, meta: Meta, children: list[Any]) -> ast.TypeRef:
        choices = tuple(c.plain for c in children)
        kind: Type = OneOf(choices)
        return ast.TypeRef(kind, self._span(meta))

    # ---- steps -----------------------------------------------------------------

    def task_stmt(self, meta: Meta, children: list[Any]) -> ast.Task:
        name_tok: Token = children[0]
        rest = children[1:]
        title = rest.pop(0) if rest and isinstance(rest[0], ast.TextLit) else None
        action_name, action_span = rest[0]
        arguments: tuple[ast.Argument, ...] = rest[1] if len(rest) > 1 and rest[1] else ()
        options: dict[str, Any] = rest[2] if len(rest) > 2 and rest[2] else {}
        if title is not None and not title.is_plain:
            self._error("T002", "a step title is plain text, without {interpolation}", title.span)
        return ast.Task(
            name=str(name_tok),
            title=title.plain if title else None,
            action=action_name,
            arguments=arguments,
            span=self._span(meta),
            name_span=self._span(name_tok),
            action_span=action_span,
            args_span=action_span,
            timeout=options.get("timeout"),
            retry_attempts=options.get("retry"),
        )

    def task_options(self, meta: Meta, children: list[tuple[str, Any, Span]]) -> dict[str, Any]:
        options: dict[str, Any] = {}
        for key, value, span in children:
            if key in options:
                self._error("N002", f"'{key}' is given twice for this task", span)
            options[key] = value
        return options

    def timeout_option(self, meta: Meta, children: list[Any]) -> tuple[str, Any, Span]:
        duration: ast.Duration = children[0]
        if duration.seconds <= 0:
            self._error("T002", "a timeout must be longer than zero", duration.span)
        return ("timeout", duration, self._span(meta))

    def retry_option(self, meta: Meta, children: list[Token]) -> tuple[str, Any, Span]:
        span = self._span(children[0])
        times = Decimal(str(children[0]))
        if times != times.to_integral_value() or times < 1:
            self._error(
                "T002",
                f"'retry {children[0]} times' needs a whole number of at least 1",
                span,
                hint="retry 3 times: try once, then up to 3 more times",
            )
            return ("retry", None, self._span(meta))
        # 'retry 3 times' = 3 more tries after the first one.
        return ("retry", int(times) + 1, self._span(meta))

    def duration(self, meta: Meta, children: list[Token]) -> ast.Duration:
        amount = Decimal(str(children[0]))
        unit = str(children[1]).rstrip("s")
        seconds = int(amount * _UNIT_SECONDS[unit])
        return ast.Duration(seconds, f"{children[0]} {children[1]}", self._span(meta))

    def action_ref(self, meta: Meta, children: list[Token]) -> tuple[str, Span]:
        return ".".join(str(t) for t in children), self._span(meta)

    def arguments(self, meta: Meta, children: list[ast.Argument]) -> tuple[ast.Argument, ...]:
        return tuple(children)

    def argument(self, meta: Meta, children: list[Any]) -> ast.Argument:
        name_tok, value = children
        return ast.Argument(str(name_tok), value, self._span(meta), self._span(name_tok))

    def if_stmt(self, meta: Meta, children: list[Any]) -> ast.If:
        cond, body, *rest = children
        branches = [ast.Branch(cond, body, self._span(meta))]
        orelse: tuple[ast.Statement, ...] | None = None
        for part in rest:
            if isinstance(part, ast.Branch):
                branches.append(part)
            else:
                orelse = part[1]
        return ast.If(tuple(branches), orelse, self._span(meta))

    def else_if(self, meta: Meta, children: list[Any]) -> ast.Branch:
        return ast.Branch(children[0], children[1], self._span(meta))

    def else_block(self, meta: Meta, children: list[Any]) -> tuple[str, tuple[ast.Statement, ...]]:
        return ("else", children[0])

    def block(self, meta: Meta, children: list[ast.Statement]) -> tuple[ast.Statement, ...]:
        return tuple(children)

    # ---- expressions -----------------------------------------------------------

    def number(self, meta: Meta, children: list[Token]) -> ast.NumberLit:
        return ast.NumberLit(Decimal(str(children[0])), self._span(meta))

    def money(self, meta: Meta, children: list[Token]) -> ast.MoneyLit:
        return ast.MoneyLit(Decimal(str(children[0])), str(children[1]), self._span(meta))

    def true(self, meta: Meta, children: list[Any]) -> ast.BoolLit:
        return ast.BoolLit(True, self._span(meta))

    def false(self, meta: Meta, children: list[Any]) -> ast.BoolLit:
        return ast.BoolLit(False, self._span(meta))

    def name(self, meta: Meta, children: list[Token]) -> ast.Name:
        return ast.Name(str(children[0]), self._span(children[0]))

    def list_lit(self, meta: Meta, children: list[Any]) -> ast.ListLit:
        return ast.ListLit(tuple(c for c in children if c is not None), self._span(meta))

    def record_lit(self, meta: Meta, children: list[Any]) -> ast.RecordLit:
        fields = tuple(c for c in children if c is not None)
        seen: set[str] = set()
        for name, _value in fields:
            if name in seen:
                self._error("N002", f"the field '{name}' is given twice", self._span(meta))
            seen.add(name)
        return ast.RecordLit(fields, self._span(meta))

    def field(self, meta: Meta, children: list[Any]) -> tuple[str, ast.Expr]:
        return str(children[0]), children[1]

    def attribute(self, meta: Meta, children: list[Any]) -> ast.Attribute:
        obj, name_tok = children
        return ast.Attribute(obj, str(name_tok), self._span(meta), self._span(name_tok))

    def index(self, meta: Meta, children: list[Any]) -> ast.Index:
        return ast.Index(children[0], children[1], self._span(meta))

    def call(self, meta: Meta, children: list[Any]) -> ast.Call:
        func, *args = children
        return ast.Call(
            str(func), tuple(a for a in args if a is not None), self._span(meta), self._span(func)
        )

    def negate(self, meta: Meta, children: list[Any]) -> ast.Unary:
        return ast.Unary("-", children[0], self._span(meta))

    def not_op(self, meta: Meta, children: list[Any]) -> ast.Unary:
        return ast.Unary("not", children[0], self._span(meta))

    def binary(self, meta: Meta, children: list[Any]) -> ast.Binary:
        left, op, right = children
        return ast.Binary(str(op), left, right, self._span(meta))

    compare = binary

    def member(self, meta: Meta, children: list[Any]) -> ast.Binary:
        return ast.Binary("in", children[0], children[1], self._span(meta))

    def not_member(self, meta: Meta, children: list[Any]) -> ast.Binary:
        return ast.Binary("not in", children[0], children[1], self._span(meta))

    def and_op(self, meta: Meta, children: list[Any]) -> ast.Binary:
        return ast.Binary("and", children[0], children[1], self._span(meta))

    def or_op(self, meta: Meta, children: list[Any]) -> ast.Binary:
        return ast.Binary("or", children[0], children[1], self._span(meta))

    def string(self, meta: Meta, children: list[ast.TextLit]) -> ast.TextLit:
        return children[0]  # already built by __default_token__

    def __default_token__(self, token: Token) -> Any:
        if token.type == "STRING":
            return self._text(token)
        return token

    # ---- texts with interpolation ---------------------------------------------------

    def _text(self, token: Token) -> ast.TextLit:
        span = self._span(token)
        body = str(token)[1:-1]
        parts: list[str | ast.Expr] = []
        buf: list[str] = []
        i = 0
        while i < len(body):
            ch = body[i]
            if ch == "\\" and i + 1 < len(body):
                buf.append(_ESCAPES.get(body[i + 1], "\\" + body[i + 1]))
                i += 2
            elif ch == "{" and body.startswith("{{", i):
                buf.append("{")
                i += 2
            elif ch == "}" and body.startswith("}}", i):
                buf.append("}")
                i += 2
            elif ch == "{":
                end = body.find("}", i + 1)
                col = span.col + 1 + i  # column of the '{' in the file
                if end < 0 or not body[i + 1 : end].strip():
                    why = "is not closed with '}'" if end < 0 else "is empty"
                    self._error(
                        "S008",
                        f"the interpolation at column {col} {why}",
                        Span.point(span.line, col, (end - i + 1) if end > 0 else 1),
                        hint="write {name} to insert a value, or {{ for a literal brace",
                    )
                    i = len(body) if end < 0 else end + 1
                    continue
                if buf:
                    parts.append("".join(buf))
                    buf = []
                expr, problems = self._parse_interpolation(body[i + 1 : end], span.line, col + 1)
                self.diagnostics.extend(problems)
                if expr is not None:
                    parts.append(expr)
                i = end + 1
            else:
                buf.append(ch)
                i += 1
        if buf or not parts:
            parts.append("".join(buf))
        return ast.TextLit(tuple(parts), span)

    def _error(self, code: str, message: str, span: Span, *, hint: str | None = None) -> None:
        self.diagnostics.append(Diagnostic(code, message, span, hint=hint))


def unwrap_expr(tree: Tree[Token] | ast.Expr) -> ast.Expr:
    """The built expression of an interpolation parse."""
    if isinstance(tree, Tree):
        raise TypeError("expression was not transformed")
    return tree
