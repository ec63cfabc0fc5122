"""Checks on who and which calendar a step takes from an expression (``role from
route.team``, ``calendar from region``): the expression's type, and every value it can
give where the checker knows them.

The values are known when the expression is a literal, a ``one of`` input or field, or
the result of a decision whose rows all give a literal text: each is then checked
against the team directory (roles, people) or the calendars the process can name,
at the row that gives it (``R005``) or at the expression (``N012``, ``N009``). Values
the checker cannot know are checked by the campaign when the step opens.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass

from dsl import _ast as ast
from dsl._check_expr import ExprChecker, Scope
from dsl._directory import Directory
from dsl._source import Span
from dsl._suggest import did_you_mean
from dsl._types import ANY, TEXT, ListOf, OneOf, Type
from dsl._walk import iter_steps

NAMING = (TEXT, ANY)
"""Types whose values can name a role, a person or a calendar (``one of`` too)."""


@dataclass(frozen=True)
class Known:
    """A value the expression can give, and where it is written."""

    value: str
    span: Span
    row: ast.Rule | None = None
    """The decision row that gives it (None: the expression's own literal or type)."""


def names_something(kind: Type | None) -> bool:
    """Whether a value of this type can name roles, people or calendars (lists too)."""
    while isinstance(kind, ListOf):
        kind = kind.item
    return kind is None or kind in NAMING or isinstance(kind, OneOf)


class ChosenChecks(ExprChecker):
    """The checks of values chosen at run time; mixed into the step checker."""

    directory: Directory | None
    steps: dict[str, ast.Statement]
    reported: set[tuple[Span, str]]
    """Values already reported: a row used by two steps is reported once."""

    def known_values(self, expr: ast.Expr, scope: Scope) -> list[Known] | None:
        """Every value ``expr`` can give, if the checker can tell (None: it cannot)."""
        match expr:
            case ast.TextLit() if expr.is_plain:
                return [Known(expr.plain, expr.span)]
            case ast.ListLit(items=items):
                found: list[Known] = []
                for item in items:
                    inner = self.known_values(item, scope)
                    if inner is None:
                        return None
                    found += inner
                return found
            case ast.Attribute(obj=ast.Name(id=name), name=field):
                rows = self._rows(name, field, scope)
                if rows is not None:
                    return rows
            case ast.Name(id=name):
                rows = self._rows(name, None, scope)
                if rows is not None:
                    return rows
        kind = self.type_of(expr, scope)
        if isinstance(kind, OneOf):
            return [Known(choice, expr.span) for choice in kind.choices]
        return None

    def _rows(self, name: str, field: str | None, scope: Scope) -> list[Known] | None:
        """The literal texts a decision's rows give for ``field`` (None: not all literal)."""
        symbol = scope.get(name)
        step = self.steps.get(name)
        if symbol is None or symbol.kind != "decide" or not isinstance(step, ast.Decide):
            return None
        if step.hit_policy == "collect":
            return None
        found: list[Known] = []
        for rule in step.rules:
            value = next((v for n, v in rule.outputs if n == field), None)
            if not isinstance(value, ast.TextLit) or not value.is_plain:
                return None
            found.append(Known(value.plain, value.span, rule))
        return found

    def chosen(
        self,
        expr: ast.Expr,
        scope: Scope,
        *,
        what: str,
        noun: str,
        known: Collection[str] | None,
        missing: Callable[[str], str],
        code: str,
        hint: str | None = None,
    ) -> None:
        """Check an expression that names a ``noun`` (a role, a person, a calendar).

        Args:
            what: How messages name the option (``role from``, ``calendar from``).
            known: The names that exist (None: not known, nothing to check against).
            missing: What is wrong with a value that names nothing.
            code: The code for such a value written at the expression (N012, N009).
            hint: What to do about a value that names nothing, if nothing is close.
        """
        kind = self.type_of(expr, scope)
        if not names_something(kind):
            self.error(
                "T002",
                f"'{what}' takes a text naming a {noun}; this is {kind}",
                expr.span,
                hint=f"give the name of a {noun} as a text, or a decision's result that gives one",
            )
            return
        values = self.known_values(expr, scope)
        if values is None or known is None:
            return
        for value in values:
            if value.value in known or (value.span, value.value) in self.reported:
                continue
            self.reported.add((value.span, value.value))
            fix = did_you_mean(value.value, known) or hint
            if value.row is not None:
                line = expr.span.line
                self.error(
                    "R005",
                    f"this row gives '{value.value}', a {noun} for '{what}' on line {line}, "
                    f"but {missing(value.value)}",
                    value.span,
                    hint=fix,
                )
            elif value.span == expr.span and not isinstance(expr, ast.TextLit | ast.ListLit):
                self.error(code, f"{missing(value.value)} (a value it can take)", value.span, fix)
            else:
                self.error(code, missing(value.value), value.span, hint=fix)

    def chosen_parties(self, parties: Iterable[ast.Party | ast.PartyFrom], scope: Scope) -> None:
        """``role from ...`` and ``person from ...`` of a step: types and known values."""
        directory = self.directory
        for party in parties:
            if not isinstance(party, ast.PartyFrom):
                continue
            names: Mapping[str, object] | None = None
            if directory is not None:
                names = directory.roles if party.kind == "role" else directory.people
            kind = party.kind

            def missing(value: str, kind: str = kind) -> str:
                return f"the team directory has no {kind} '{value}'"

            self.chosen(
                party.expr,
                scope,
                what=f"{party.kind} from",
                noun=party.kind,
                known=None if names is None else set(names),
                missing=missing,
                code="N012",
                hint=None if directory is None else f"add it to {directory.source}",
            )


def chosen_texts(process: ast.Process, expr: ast.Expr) -> list[str]:
    """The texts an expression can give, as its literal, a ``one of`` input or a
    decision's rows tell without the checker's scopes (the compiler pins the calendars
    they name; the plan counts in the longest)."""
    match expr:
        case ast.TextLit() if expr.is_plain:
            return [expr.plain]
        case ast.Name(id=name):
            kind = next((i.type.type for i in process.inputs if i.name == name), None)
            if isinstance(kind, OneOf):
                return list(kind.choices)
            return _row_texts(process, name, None)
        case ast.Attribute(obj=ast.Name(id=name), name=field):
            return _row_texts(process, name, field)
    return []


def _row_texts(process: ast.Process, name: str, field: str | None) -> list[str]:
    """The plain texts the rows of the decision ``name`` give for ``field``."""
    for statement in iter_steps(process.body):
        if isinstance(statement, ast.Decide) and statement.name == name:
            return [
                value.plain
                for rule in statement.rules
                for result, value in rule.outputs
                if result == field and isinstance(value, ast.TextLit) and value.is_plain
            ]
    return []
