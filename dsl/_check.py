"""Name and type checks on a process. Every problem is collected, none stops the walk."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from dsl import _ast as ast
from dsl._diagnostics import Diagnostic
from dsl._functions import FUNCTIONS
from dsl._signatures import ActionSignature, Catalogue
from dsl._source import Span
from dsl._suggest import did_you_mean
from dsl._types import (
    ANY,
    BOOL,
    MONEY,
    NUMBER,
    RECORD,
    SECRET,
    TEXT,
    ListOf,
    OneOf,
    Scalar,
    Type,
    TypeSyntaxError,
    is_assignable,
    parse_type,
)

_ORDERED = {"number", "money", "percent", "date", "datetime", "duration", "text"}
_TEXTUAL = {"text", "email", "url"}


@dataclass(frozen=True)
class Symbol:
    """Something a name refers to: an input's value or a step's result."""

    kind: str  # "input" | "task"
    type: Type
    span: Span
    signature: ActionSignature | None = None


def check(process: ast.Process, catalogue: Catalogue) -> list[Diagnostic]:
    """Every name and type problem in ``process``."""
    return _Checker(catalogue).run(process)


def iter_tasks(body: tuple[ast.Statement, ...]) -> Iterator[ast.Task]:
    """Every task in a body, in file order, at any depth."""
    for statement in body:
        match statement:
            case ast.Task():
                yield statement
            case ast.If(branches=branches, orelse=orelse):
                for branch in branches:
                    yield from iter_tasks(branch.body)
                if orelse:
                    yield from iter_tasks(orelse)


class _Checker:
    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue
        self.problems: list[Diagnostic] = []
        self.declared: dict[str, Symbol] = {}

    def error(self, code: str, message: str, span: Span, hint: str | None = None) -> None:
        self.problems.append(Diagnostic(code, message, span, hint=hint))

    def run(self, process: ast.Process) -> list[Diagnostic]:
        scope: dict[str, Symbol] = {}
        for item in process.inputs:
            symbol = Symbol("input", item.type.type, item.name_span)
            self._declare(item.name, symbol)
            if item.default is not None:
                self._expect(item.default, item.type.type, {}, f"the default of '{item.name}'")
            scope[item.name] = symbol
        for task in iter_tasks(process.body):
            self._declare(task.name, self._task_symbol(task))
        scope = self._body(process.body, scope)
        outputs: set[str] = set()
        for output in process.outputs:
            if output.name in outputs:
                self.error("N002", f"the output '{output.name}' is defined twice", output.name_span)
            outputs.add(output.name)
            if output.type is not None:
                self._expect(output.value, output.type.type, scope, f"the output '{output.name}'")
            else:
                self._type(output.value, scope)
        return self.problems

    def _declare(self, name: str, symbol: Symbol) -> None:
        if (first := self.declared.get(name)) is not None:
            self.error(
                "N002",
                f"'{name}' is already defined at line {first.span.line}",
                symbol.span,
                hint="give each input and step its own name",
            )
            return
        self.declared[name] = symbol

    def _task_symbol(self, task: ast.Task) -> Symbol:
        signature = self.catalogue.get(task.action)
        return Symbol("task", RECORD, task.name_span, signature)

    # ---- statements ----------------------------------------------------------

    def _body(self, body: tuple[ast.Statement, ...], scope: dict[str, Symbol]) -> dict[str, Symbol]:
        """Check a body; adds what it defines to ``scope`` (callers pass a copy)."""
        for statement in body:
            match statement:
                case ast.Task():
                    self._task(statement, scope)
                    symbol = self.declared.get(statement.name)
                    if symbol is not None and symbol.span == statement.name_span:
                        # In place: copying here made long processes quadratic.
                        scope[statement.name] = symbol
                case ast.If():
                    scope = self._if(statement, scope)
        return scope

    def _if(self, statement: ast.If, scope: dict[str, Symbol]) -> dict[str, Symbol]:
        outcomes: list[dict[str, Symbol]] = []
        for branch in statement.branches:
            kind = self._type(branch.condition, scope)
            if kind is not None and kind not in (BOOL, ANY):
                self.error(
                    "T004",
                    f"the condition is {kind}, not true/false",
                    branch.condition.span,
                    hint='compare it: for example budget > 0 EUR, or title != ""',
                )
            outcomes.append(self._body(branch.body, dict(scope)))
        outcomes.append(self._body(statement.orelse, dict(scope)) if statement.orelse else scope)
        # A name is defined after the 'if' only if every way through defines it.
        common = set.intersection(*(set(o) for o in outcomes))
        return {name: outcomes[0][name] for name in common}

    def _task(self, task: ast.Task, scope: dict[str, Symbol]) -> None:
        signature = self.catalogue.get(task.action)
        if signature is None:
            self.error(
                "N003",
                f"no worker provides the action '{task.action}'",
                task.action_span,
                hint=did_you_mean(task.action, self.catalogue.names)
                or "run 'mops actions' to list the actions you can call",
            )
            for argument in task.arguments:
                self._type(argument.value, scope)
            return
        given: set[str] = set()
        for argument in task.arguments:
            if argument.name in given:
                self.error(
                    "N002", f"the argument '{argument.name}' is given twice", argument.name_span
                )
            given.add(argument.name)
            param = signature.param(argument.name)
            if param is None:
                self.error(
                    "N004",
                    f"'{task.action}' takes no argument '{argument.name}'",
                    argument.name_span,
                    hint=did_you_mean(argument.name, [p.name for p in signature.params])
                    or "it takes: " + ", ".join(p.name for p in signature.params),
                )
                self._type(argument.value, scope)
                continue
            self._expect(argument.value, _declared(param.type), scope, f"'{argument.name}'")
        missing = [p.name for p in signature.params if p.required and p.name not in given]
        if missing:
            self.error(
                "N005",
                f"'{task.action}' needs the argument{'s' if len(missing) > 1 else ''} "
                + ", ".join(f"'{m}'" for m in missing),
                task.action_span,
                hint="add " + ", ".join(f"{m}: ..." for m in missing),
            )

    # ---- expressions -----------------------------------------------------------

    def _expect(self, expr: ast.Expr, wanted: Type, scope: dict[str, Symbol], what: str) -> None:
        actual = self._type(expr, scope)
        if actual is None or is_assignable(actual, wanted):
            return
        if (
            isinstance(wanted, OneOf)
            and isinstance(expr, ast.TextLit)
            and expr.is_plain
            and expr.plain in wanted.choices
        ):
            return
        hint = None
        if wanted == MONEY and actual == NUMBER:
            hint = "write an amount with its currency, e.g. 100 EUR"
        self.error("T002", f"{what} should be {wanted}, but this is {actual}", expr.span, hint)

    def _type(self, expr: ast.Expr, scope: dict[str, Symbol]) -> Type | None:
        """The type of an expression, or None if a problem was already reported."""
        match expr:
            case ast.NumberLit():
                return NUMBER
            case ast.MoneyLit():
                return MONEY
            case ast.BoolLit():
                return BOOL
            case ast.TextLit(parts=parts):
                for part in parts:
                    if not isinstance(part, str) and self._type(part, scope) == SECRET:
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
                kinds = [self._type(item, scope) for item in items]
                known = [k for k in kinds if k is not None]
                if known and all(k == known[0] for k in known):
                    return ListOf(known[0])
                return ListOf(ANY)
            case ast.RecordLit(fields=fields):
                for _name, value in fields:
                    self._type(value, scope)
                return RECORD
            case ast.Name():
                symbol = self._lookup(expr, scope)
                return None if symbol is None else symbol.type
            case ast.Attribute():
                return self._attribute(expr, scope)
            case ast.Index(obj=obj, index=index):
                container = self._type(obj, scope)
                self._type(index, scope)
                if isinstance(container, ListOf):
                    return container.item
                if container not in (None, ANY, RECORD):
                    self.error("T003", f"a {container} cannot be indexed with [...]", expr.span)
                    return None
                return ANY if container is not None else None
            case ast.Call():
                return self._call(expr, scope)
            case ast.Unary(op=op, operand=operand):
                kind = self._type(operand, scope)
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
            case ast.Binary():
                return self._binary(expr, scope)

    def _lookup(self, name: ast.Name, scope: dict[str, Symbol]) -> Symbol | None:
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

    def _attribute(self, expr: ast.Attribute, scope: dict[str, Symbol]) -> Type | None:
        if isinstance(expr.obj, ast.Name):
            symbol = self._lookup(expr.obj, scope)
            if symbol is None:
                return None
            if symbol.kind == "task":
                if symbol.signature is None:
                    return ANY  # unknown action: already reported
                field = symbol.signature.result_field(expr.name)
                if field is None:
                    fields = [f.name for f in symbol.signature.result]
                    self.error(
                        "N006",
                        f"the result of '{expr.obj.id}' ({symbol.signature.name}) has no field "
                        f"'{expr.name}'",
                        expr.name_span,
                        hint=did_you_mean(expr.name, fields)
                        or "its fields are: " + ", ".join(fields),
                    )
                    return None
                return _declared(field.type)
            container: Type | None = symbol.type
        else:
            container = self._type(expr.obj, scope)
        if container is None:
            return None
        if container in (ANY, RECORD):
            return ANY
        self.error("T003", f"a {container} has no fields", expr.name_span)
        return None

    def _call(self, expr: ast.Call, scope: dict[str, Symbol]) -> Type | None:
        args = [self._type(arg, scope) for arg in expr.args]
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
        return function.result(args)

    def _binary(self, expr: ast.Binary, scope: dict[str, Symbol]) -> Type | None:
        left = self._type(expr.left, scope)
        right = self._type(expr.right, scope)
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
            if isinstance(right, ListOf):
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

    def _arithmetic(self, expr: ast.Binary, left: Type, right: Type) -> Type | None:
        if ANY in (left, right):
            return ANY
        names = (str(left), str(right))
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
    ("+", "percent", "percent"): Scalar("percent"),
    ("-", "percent", "percent"): Scalar("percent"),
}
