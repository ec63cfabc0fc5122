"""Types of expressions, and what names refer to. Every problem is collected."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass

from bounds import ISO_4217, excerpt, is_currency, is_email
from dsl import _ast as ast
from dsl._diagnostics import Diagnostic, Severity
from dsl._functions import FUNCTIONS
from dsl._literals import scalar_literal_type
from dsl._signatures import ActionSignature
from dsl._source import Span
from dsl._suggest import closest, did_you_mean
from dsl._types import (
    ANY,
    BOOL,
    DATE,
    DATETIME,
    DURATION,
    MONEY,
    NUMBER,
    PERCENT,
    RECORD,
    SECRET,
    TEXT,
    ListOf,
    OneOf,
    Type,
    TypeSyntaxError,
    is_assignable,
    parse_type,
)

_ORDERED = {"number", "money", "percent", "date", "datetime", "duration", "text"}
_TEXTUAL = {"text", "email", "url"}
_URL = re.compile(r"^https?://\S+$")


@dataclass(frozen=True)
class Symbol:
    """Something a name refers to: an input, a step's result, a variable."""

    kind: str
    """input | task | work | approval | decide | call | set | loop | event"""
    type: Type
    span: Span
    signature: ActionSignature | None = None
    fields: Mapping[str, Type] | None = None
    """The fields of a result; None when they are not known (any field goes)."""
    what: str = ""
    """How messages name the result, e.g. "the result of 'draft' (log.info)"."""
    currency: str | None = None
    """The currency of a money value, where the process fixes it (its default, its value)."""


Scope = MutableMapping[str, Symbol]


class ExprChecker:
    """Types expressions against the names in scope."""

    def __init__(self) -> None:
        self.problems: list[Diagnostic] = []
        self.declared: dict[str, Symbol] = {}

    def error(self, code: str, message: str, span: Span, hint: str | None = None) -> None:
        self.problems.append(Diagnostic(code, message, span, hint=hint))

    def warn(self, code: str, message: str, span: Span, hint: str | None = None) -> None:
        self.problems.append(Diagnostic(code, message, span, Severity.WARNING, hint))

    # ---- expressions -----------------------------------------------------------

    def expect(self, expr: ast.Expr, wanted: Type, scope: Scope, what: str) -> None:
        """Report T002 unless ``expr`` fits ``wanted``; literal texts are checked by value."""
        actual = self.type_of(expr, scope)
        for literal, kind in _literals_for(expr, wanted):
            problem = _literal_problem(literal.plain, kind)
            if problem is not None:
                self.error("T002", f"{what}: {problem}", literal.span)
                return
        if actual is None or is_assignable(actual, wanted):
            return
        hint = None
        if wanted == MONEY and actual == NUMBER:
            hint = "write an amount with its currency, e.g. 100 EUR"
        self.error("T002", f"{what} should be {wanted}, but this is {actual}", expr.span, hint)

    def type_of(self, expr: ast.Expr, scope: Scope) -> Type | None:
        """The type of an expression, or None if a problem was already reported."""
        match expr:  # the commonest first: a match tries the classes in turn
            case ast.Name():
                symbol = self.lookup(expr, scope)
                return None if symbol is None else symbol.type
            case ast.Attribute():
                return self._attribute(expr, scope)
            case ast.Binary():
                return self._binary(expr, scope)
            case ast.MoneyLit(currency=currency) if not is_currency(currency):
                self.error(
                    "T002",
                    f"'{currency}' is not a currency: amounts are in ISO 4217 currencies",
                    expr.span,
                    did_you_mean(currency, sorted(ISO_4217)) or "e.g. EUR, USD, GBP, CHF",
                )
                return scalar_literal_type(expr)
            case (
                ast.NumberLit()
                | ast.MoneyLit()
                | ast.PercentLit()
                | ast.DurationLit()
                | ast.DateLit()
                | ast.DateTimeLit()
                | ast.BoolLit()
            ):
                return scalar_literal_type(expr)
            case ast.TextLit(parts=parts):
                for part in parts:
                    if not isinstance(part, str) and self.type_of(part, scope) == SECRET:
                        self.error(
                            "T002",
                            "a secret cannot be put into a text: it would be stored in the "
                            "campaign's history",
                            part.span,
                            hint="pass secret(...) on its own to an action argument that takes "
                            "a secret",
                        )
                return TEXT
            case ast.ListLit(items=items):
                kinds = [self.type_of(item, scope) for item in items]
                known = [k for k in kinds if k is not None]
                if known and all(k == known[0] for k in known):
                    return ListOf(known[0])
                return ListOf(ANY)
            case ast.RecordLit(fields=fields):
                for _name, value in fields:
                    self.type_of(value, scope)
                return RECORD
            case ast.Index(obj=obj, index=index):
                container = self.type_of(obj, scope)
                self.type_of(index, scope)
                if isinstance(container, ListOf):
                    return container.item
                if container not in (None, ANY, RECORD):
                    self.error("T003", f"a {container} cannot be indexed with [...]", expr.span)
                    return None
                return ANY if container is not None else None
            case ast.Call():
                return self._call(expr, scope)
            case ast.Unary(op=op, operand=operand):
                kind = self.type_of(operand, scope)
                if kind is None or kind == ANY:
                    return kind
                if op == "not":
                    if kind != BOOL:
                        self.error("T003", f"'not' needs true/false, not {kind}", expr.span)
                    return BOOL
                if str(kind) not in {"number", "money", "percent", "duration"}:
                    self.error("T003", f"'-' cannot negate {kind}", expr.span)
                    return None
                return kind

    def lookup(self, name: ast.Name, scope: Scope) -> Symbol | None:
        if name.id in scope:
            return scope[name.id]
        if name.id in self.declared:
            self.error(
                "N007",
                f"'{name.id}' may not be defined here: not every path to this line runs "
                f"the step that defines it (line {self.declared[name.id].span.line})",
                name.span,
                hint="use it inside the branch that defines it, or move that step out of the 'if'",
            )
        else:
            self.error(
                "N001",
                f"'{name.id}' is not defined",
                name.span,
                hint=did_you_mean(name.id, list(scope)),
            )
        return None

    def _attribute(self, expr: ast.Attribute, scope: Scope) -> Type | None:
        if isinstance(expr.obj, ast.Name):
            symbol = self.lookup(expr.obj, scope)
            if symbol is None:
                return None
            if symbol.kind != "input" and symbol.type in (RECORD, ANY):
                if symbol.fields is None:
                    return ANY  # fields unknown (e.g. an unknown action): any goes
                field = symbol.fields.get(expr.name)
                if field is None:
                    fields = list(symbol.fields)
                    self.error(
                        "N006",
                        f"{symbol.what or f'the result of {expr.obj.id!r}'} has no field "
                        f"'{expr.name}'",
                        expr.name_span,
                        hint=did_you_mean(expr.name, fields)
                        or "its fields are: " + ", ".join(fields),
                    )
                    return None
                return field
            container: Type | None = symbol.type
        else:
            container = self.type_of(expr.obj, scope)
        if container is None:
            return None
        if container in (ANY, RECORD):
            return ANY
        self.error("T003", f"a {container} has no fields", expr.name_span)
        return None

    def _call(self, expr: ast.Call, scope: Scope) -> Type | None:
        args = [self.type_of(arg, scope) for arg in expr.args]
        function = FUNCTIONS.get(expr.func)
        if function is None:
            self.error(
                "N008",
                f"there is no function '{expr.func}'",
                expr.func_span,
                hint=did_you_mean(expr.func, FUNCTIONS)
                or "functions: " + ", ".join(sorted(FUNCTIONS)),
            )
            return None
        low, high = function.arity
        if not low <= len(args) <= high:
            count = str(low) if low == high else f"{low} to {high}"
            noun = "argument" if count == "1" else "arguments"
            self.error("T002", f"'{expr.func}' takes {count} {noun}, not {len(args)}", expr.span)
            return None
        if expr.func == "secret" and not _is_secret_name(expr.args):
            self.error(
                "T002",
                'secret(...) takes the secret\'s name as a plain text, such as "cms_token"',
                expr.span,
                hint="the worker looks it up in MOPS_SECRET_<NAME> or its secrets file",
            )
            return None
        if (problem := function.accepts(args)) is not None:
            self.error("T002", f"'{expr.func}' {problem}", expr.span)
            return None
        if expr.func in ("min", "max") and MONEY in args:
            found = {c for a in expr.args if (c := self.currency_of(a, scope)) is not None}
            if len(found) > 1:
                self.error(
                    "T002",
                    f"'{expr.func}' compares amounts in {' and '.join(sorted(found))}",
                    expr.span,
                    hint="write every amount in one currency",
                )
                return None
        return function.result(args)

    def _binary(self, expr: ast.Binary, scope: Scope) -> Type | None:
        left = self.type_of(expr.left, scope)
        right = self.type_of(expr.right, scope)
        if left is None or right is None:
            return (
                BOOL
                if expr.op in {"and", "or", "==", "!=", "<", "<=", ">", ">=", "in", "not in"}
                else None
            )
        op = expr.op
        if op in {"and", "or"}:
            for side, kind in ((expr.left, left), (expr.right, right)):
                if kind not in (BOOL, ANY):
                    self.error(
                        "T003", f"'{op}' needs true/false on both sides, not {kind}", side.span
                    )
            return BOOL
        if op in {"in", "not in"}:
            if isinstance(expr.right, ast.ListLit):
                for item in expr.right.items:
                    self._choice(item, left)
            if isinstance(right, ListOf):
                self._choice(expr.left, right.item)
                if not (is_assignable(left, right.item) or is_assignable(right.item, left)):
                    self.error("T003", f"a {left} is never in a {right}", expr.span)
            elif str(right) in _TEXTUAL or right == ANY:
                if str(left) not in _TEXTUAL and left != ANY:
                    self.error(
                        "T003", f"'in' on a text looks for a text, not {left}", expr.left.span
                    )
            else:
                self.error(
                    "T003",
                    f"'{op}' needs a list or a text on the right, not {right}",
                    expr.right.span,
                )
            return BOOL
        if op in {"==", "!=", "<", "<=", ">", ">=", "+", "-"} and left == right == MONEY:
            self._same_currency(expr, scope)
        if op in {"==", "!=", "<", "<=", ">", ">="}:
            self._choice(expr.left, right)
            self._choice(expr.right, left)
        if op in {"==", "!="}:
            if not (is_assignable(left, right) or is_assignable(right, left)):
                self.error(
                    "T003",
                    f"a {left} is never equal to a {right}",
                    expr.span,
                    _money_hint(left, right),
                )
            return BOOL
        if op in {"<", "<=", ">", ">="}:
            comparable = is_assignable(left, right) or is_assignable(right, left)
            if not comparable or (
                str(left) not in _ORDERED and left != ANY and not isinstance(left, OneOf)
            ):
                self.error(
                    "T003",
                    f"a {left} cannot be compared with a {right}",
                    expr.span,
                    _money_hint(left, right),
                )
            return BOOL
        return self._arithmetic(expr, left, right)

    def currency_of(self, expr: ast.Expr, scope: Scope) -> str | None:
        """The currency of a money expression, where the process fixes it (None: unknown)."""
        match expr:
            case ast.MoneyLit(currency=currency):
                return currency
            case ast.Name(id=name):
                symbol = scope.get(name)
                return None if symbol is None else symbol.currency
            case ast.Unary(op="-", operand=operand):
                return self.currency_of(operand, scope)
            case ast.Binary(op="+" | "-" | "*" | "/" as op, left=left, right=right):
                found = [self.currency_of(side, scope) for side in (left, right)]
                known = [c for c in found if c is not None]
                if op == "/" and None not in found:
                    return None  # money / money is a number
                return known[0] if len(set(known)) == 1 else None
            case ast.Call(func="round" | "min" | "max", args=args):
                named = {c for a in args if (c := self.currency_of(a, scope)) is not None}
                return named.pop() if len(named) == 1 else None
        return None

    def _same_currency(self, expr: ast.Binary, scope: Scope) -> None:
        """T003 for two amounts the process fixes in different currencies."""
        left = self.currency_of(expr.left, scope)
        right = self.currency_of(expr.right, scope)
        if left is None or right is None or left == right:
            return
        verb = (
            "added to"
            if expr.op == "+"
            else "subtracted from"
            if expr.op == "-"
            else ("compared with")
        )
        self.error(
            "T003",
            f"an amount in {right} cannot be {verb} one in {left}",
            expr.span,
            hint=f"write both in one currency: {_where(expr.left, left)}, "
            f"{_where(expr.right, right)}",
        )

    def _choice(self, expr: ast.Expr, other: Type) -> None:
        """T002 for a literal text compared with a ``one of`` that does not list it."""
        if not (isinstance(other, OneOf) and isinstance(expr, ast.TextLit) and expr.is_plain):
            return
        if expr.plain in other.choices:
            return
        choices = ", ".join(f'"{c}"' for c in other.choices)
        near = closest(expr.plain, other.choices) or closest(
            expr.plain.casefold(), {c.casefold(): c for c in other.choices}
        )
        if near is not None and near not in other.choices:
            near = next(c for c in other.choices if c.casefold() == near)
        self.error(
            "T002",
            f'"{expr.plain}" is not one of {choices}',
            expr.span,
            hint=f'did you mean "{near}"?'
            if near
            else "a 'one of' is compared letter for letter, capitals included",
        )

    def _arithmetic(self, expr: ast.Binary, left: Type, right: Type) -> Type | None:
        if ANY in (left, right):
            return ANY
        # A 'one of' is a text: '+' joins it like one.
        names = (
            ("text" if isinstance(left, OneOf) else str(left)),
            ("text" if isinstance(right, OneOf) else str(right)),
        )
        result = _ARITHMETIC.get((expr.op, *names))
        if result is None and expr.op == "+" and names[0] in _TEXTUAL and names[1] in _TEXTUAL:
            result = TEXT
        if result is None:
            self.error(
                "T003",
                f"'{expr.op}' does not work on {left} and {right}",
                expr.span,
                _money_hint(left, right),
            )
        return result


def _is_secret_name(args: tuple[ast.Expr, ...]) -> bool:
    if len(args) != 1 or not isinstance(args[0], ast.TextLit) or not args[0].is_plain:
        return False
    return re.fullmatch(r"[a-z][a-z0-9_]*", args[0].plain) is not None


def _where(expr: ast.Expr, currency: str) -> str:
    shown = expr.id if isinstance(expr, ast.Name) else "this amount"
    return f"{shown} is in {currency}"


def _literals_for(expr: ast.Expr, wanted: Type) -> list[tuple[ast.TextLit, Type]]:
    """The literal texts of ``expr`` and the type each should have (items of lists too)."""
    if isinstance(expr, ast.TextLit) and expr.is_plain:
        return [(expr, wanted)]
    if isinstance(expr, ast.ListLit) and isinstance(wanted, ListOf):
        return [pair for item in expr.items for pair in _literals_for(item, wanted.item)]
    return []


def _literal_problem(text: str, wanted: Type) -> str | None:
    if isinstance(wanted, OneOf) and text not in wanted.choices:
        hint = did_you_mean(text, wanted.choices)
        return (
            f'"{text}" is not one of '
            + ", ".join(f'"{c}"' for c in wanted.choices)
            + (f" ({hint})" if hint else "")
        )
    if str(wanted) == "email" and not is_email(text):
        return f'"{excerpt(text)}" is not an e-mail address'
    if str(wanted) == "url" and not _URL.match(text):
        return f'"{excerpt(text)}" is not a web address (http:// or https://)'
    return None


def declared_type(text: str) -> Type:
    """A type named in an action signature; ``any`` if it names none."""
    return _declared(text)


# Signatures name a handful of types, read again for every task of a large
# file; a type is a frozen value, so one read is shared.
@functools.lru_cache(maxsize=256)
def _declared(text: str) -> Type:
    try:
        return parse_type(text)
    except TypeSyntaxError:
        return ANY


def _money_hint(left: Type, right: Type) -> str | None:
    if {str(left), str(right)} == {"money", "number"}:
        return "give the number its currency, e.g. 100 EUR"
    return None


_ARITHMETIC: dict[tuple[str, str, str], Type] = {
    **{(op, "number", "number"): NUMBER for op in "+-*/"},
    ("+", "money", "money"): MONEY,
    ("-", "money", "money"): MONEY,
    ("*", "money", "number"): MONEY,
    ("*", "number", "money"): MONEY,
    ("/", "money", "number"): MONEY,
    ("/", "money", "money"): NUMBER,
    ("+", "percent", "percent"): PERCENT,
    ("-", "percent", "percent"): PERCENT,
    # 'budget * 15%' is 15 percent of the budget.
    ("*", "number", "percent"): NUMBER,
    ("*", "percent", "number"): NUMBER,
    ("*", "money", "percent"): MONEY,
    ("*", "percent", "money"): MONEY,
    ("*", "percent", "percent"): PERCENT,
    ("+", "date", "duration"): DATE,
    ("-", "date", "duration"): DATE,
    ("+", "datetime", "duration"): DATETIME,
    ("-", "datetime", "duration"): DATETIME,
    ("+", "duration", "date"): DATE,
    ("+", "duration", "datetime"): DATETIME,
    ("-", "date", "date"): DURATION,
    ("-", "datetime", "datetime"): DURATION,
    ("+", "duration", "duration"): DURATION,
    ("-", "duration", "duration"): DURATION,
    ("*", "duration", "number"): DURATION,
    ("*", "number", "duration"): DURATION,
    ("/", "duration", "number"): DURATION,
    ("/", "duration", "duration"): NUMBER,
}
