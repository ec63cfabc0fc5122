"""Decision tables: gaps, overlapping rows, rows that never count, priority ties.

The analysis is exact for conditions built from comparisons of an input with
literals (``budget >= 100 EUR``, ``tier == "paid"``, ``vip``, ``x in [...]``)
joined by ``and``, ``or`` and ``not``. The literals of a table cut the value of
each input into a few *cells* (for numbers: every literal, and the open
intervals between them); no comparison can tell two values of one cell apart,
so evaluating every row on one value per combination of cells decides every
question about the table. Rows are bit sets over those combinations.

A row that mentions anything else (a function, arithmetic, a step's result, a
``set`` variable) cannot be analysed. Every claim made here stays true whatever
such a row does: a table with one is not checked for gaps, and is otherwise
checked only between rows that can be analysed. No false alarms.
"""

from __future__ import annotations

import functools
import math
import operator
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from dsl import _ast as ast
from dsl._check import iter_steps
from dsl._diagnostics import Diagnostic, Severity
from dsl._types import OneOf, Scalar, Type

MAX_CELLS = 10_000
"""Tables whose inputs combine into more cells than this are not analysed."""
MAX_GAPS_SHOWN = 3
UNIQUE_HINT = (
    "under 'hit policy unique' at most one row may match: narrow one of the conditions, "
    "or use 'hit policy first'"
)
PRIORITY_HINT = "give one of them a higher priority"

_TEXT_LIKE = {"text", "email", "url"}
_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}
_OTHER = object()  # the cell of every text no row names

Cond = tuple[Any, ...]
"""("const", bool) | ("cmp", name, op, value, unit) | ("not", c) | ("and" | "or", a, b)."""


def rule_problems(process: ast.Process, input_types: Mapping[str, Type]) -> list[Diagnostic]:
    """Gaps, overlaps, unreachable rows and priority ties in every ``decide`` step.

    Args:
        process: The parsed process.
        input_types: The declared type of each input, by name; only conditions
            on these inputs are analysed.
    """
    rebound = {_bound_name(s) for s in iter_steps(process.body)}
    types = {name: kind for name, kind in input_types.items() if name not in rebound}
    problems: list[Diagnostic] = []
    for step in iter_steps(process.body):
        if isinstance(step, ast.Decide):
            allowed = set(process.allowed) | set(step.allowed)
            found = _Table(step, types).problems()
            problems += [d for d in found if d.severity is Severity.ERROR or d.code not in allowed]
    return problems


def _bound_name(statement: ast.Statement) -> str | None:
    match statement:
        case ast.Task() | ast.Human() | ast.Decide() | ast.CallProcess() | ast.Set():
            return statement.name
        case ast.ForEach():
            return statement.variable
        case ast.WaitEvent():
            return statement.bind
    return None


# ---- conditions -> a small logic over comparisons with literals ---------------------


def _condition(expr: ast.Expr, types: Mapping[str, Type]) -> Cond | None:
    """The condition as logic over ``input op literal``, or None if it cannot be analysed."""
    match expr:
        case ast.BoolLit(value=value):
            return ("const", value)
        case ast.Name(id=name) if types.get(name) == Scalar("bool"):
            return ("cmp", name, "==", True, None)
        case ast.Unary(op="not", operand=operand):
            inner = _condition(operand, types)
            return None if inner is None else ("not", inner)
        case ast.Binary(op="and" | "or" as op, left=left, right=right):
            a, b = _condition(left, types), _condition(right, types)
            return None if a is None or b is None else (op, a, b)
        case ast.Binary(op="in" | "not in" as op, left=ast.Name(id=name), right=ast.ListLit()):
            assert isinstance(expr.right, ast.ListLit)
            values = [_literal(item, types.get(name)) for item in expr.right.items]
            if not values or None in values:
                return None
            any_of: Cond = ("const", False)
            for literal in values:
                any_of = ("or", any_of, ("cmp", name, "==", *literal))  # type: ignore[misc]
            return any_of if op == "in" else ("not", any_of)
        case ast.Binary(op=op, left=left, right=right) if op in _FLIP:
            if isinstance(right, ast.Name) and not isinstance(left, ast.Name):
                left, right, op = right, left, _FLIP[op]
            literal = _literal(right, types.get(left.id)) if isinstance(left, ast.Name) else None
            if literal is None or (op not in ("==", "!=") and literal[1] is None):
                return None
            return ("cmp", left.id, op, *literal)  # type: ignore[union-attr]
    return None


def _literal(expr: ast.Expr, kind: Type | None) -> tuple[object, str | None] | None:
    """A literal of the input's own type, and its unit (None: the type has no order)."""
    sign = Decimal(1)
    if isinstance(expr, ast.Unary) and expr.op == "-":
        sign, expr = Decimal(-1), expr.operand
    match kind, expr:
        case Scalar("number"), ast.NumberLit(value=value):
            return sign * value, ""
        case Scalar("percent"), ast.PercentLit(value=value):
            return sign * value, "%"
        case Scalar("money"), ast.MoneyLit(amount=amount, currency=currency):
            return sign * amount, " " + currency
        case Scalar("bool"), ast.BoolLit(value=value) if sign > 0:
            return value, None
        case (OneOf() | Scalar(), ast.TextLit()) if sign > 0 and expr.is_plain:
            if isinstance(kind, OneOf) or str(kind) in _TEXT_LIKE:
                return expr.plain, None
    return None


def _atoms(cond: Cond) -> Iterator[Cond]:
    if cond[0] == "cmp":
        yield cond
    elif cond[0] != "const":
        for part in cond[1:]:
            yield from _atoms(part)


# ---- the cells of each input -------------------------------------------------------------


@dataclass(frozen=True)
class _Axis:
    """The cells of one input: for numbers 2k+1 (k literals and the gaps around them)."""

    name: str
    ordered: bool
    values: tuple[Any, ...]
    unit: str = ""

    @property
    def size(self) -> int:
        return 2 * len(self.values) + 1 if self.ordered else len(self.values)

    def holds(self, op: str, value: object) -> list[int]:
        """The cells where ``input op value`` is true."""
        if self.ordered:
            at = 2 * self.values.index(value) + 1
            tests = {"<": at.__gt__, "<=": at.__ge__, ">": at.__lt__, ">=": at.__le__}
            test = tests.get(op, at.__eq__ if op == "==" else at.__ne__)
            return [i for i in range(self.size) if test(i)]
        return [i for i, v in enumerate(self.values) if (v == value) == (op == "==")]

    def describe(self, cells: list[int]) -> str | None:
        """The cells in words (None when they are all of them: the input does not matter)."""
        if len(cells) == self.size:
            return None
        if not self.ordered:
            shown = [self._show(self.values[i]) for i in cells if self.values[i] is not _OTHER]
            if len(cells) > len(shown):  # the cell of every other text
                shown = [self._show(v) for i, v in enumerate(self.values) if i not in cells]
                return f"{self.name} is {_one_of(shown, 'not ', 'none of ')}"
            return f"{self.name} is {_one_of(shown, '', 'one of ')}"
        lo, hi, last = cells[0], cells[-1], self.size - 1
        low = self._show(self.values[(lo - 1) // 2]) if lo else ""
        high = self._show(self.values[hi // 2]) if hi < last else ""
        if lo == hi and lo % 2:
            return f"{self.name} is {low}"
        if not lo:
            return f"{self.name} is {high} or less" if hi % 2 else f"{self.name} is below {high}"
        if hi == last:
            return f"{self.name} is {low} or more" if lo % 2 else f"{self.name} is above {low}"
        both = lo % 2 and hi % 2
        note = " (both included)" if both else f" ({low} included)" if lo % 2 else ""
        note = note or (f" ({high} included)" if hi % 2 else "")
        return f"{self.name} is between {low} and {high}{note}"

    def _show(self, value: object) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, str):
            return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
        return f"{value}{self.unit}"


def _axes(conds: Sequence[Cond], types: Mapping[str, Type]) -> list[_Axis] | None:
    """The cells of every input the conditions name; None if amounts do not compare."""
    values: dict[str, set[Any]] = {}
    units: dict[str, set[str | None]] = {}
    for cond in conds:
        for _cmp, name, _op, value, unit in _atoms(cond):
            values.setdefault(name, set()).add(value)
            units.setdefault(name, set()).add(unit)
    axes: list[_Axis] = []
    for name, found in values.items():
        kind = types[name]
        if len(units[name]) > 1:
            return None  # amounts in several currencies do not compare
        if isinstance(kind, OneOf):
            axes.append(_Axis(name, False, tuple(dict.fromkeys(kind.choices))))
        elif kind == Scalar("bool"):
            axes.append(_Axis(name, False, (False, True)))
        elif str(kind) in _TEXT_LIKE:
            axes.append(_Axis(name, False, (*sorted(found), _OTHER)))
        else:
            axes.append(_Axis(name, True, tuple(sorted(found)), units[name].pop() or ""))
    return axes


class _Grid:
    """Every combination of the inputs' cells, numbered; sets of them are ints."""

    def __init__(self, axes: list[_Axis]) -> None:
        self.axes = axes
        self.strides: list[int] = []
        self.size = 1
        for axis in axes:
            self.strides.append(self.size)
            self.size *= axis.size
        self.everything = (1 << self.size) - 1
        self._slabs: dict[tuple[int, int], int] = {}

    def slab(self, a: int, index: int) -> int:
        """The combinations where axis ``a`` is in cell ``index``."""
        if (a, index) not in self._slabs:
            stride, period = self.strides[a], self.strides[a] * self.axes[a].size
            block = ((1 << stride) - 1) << (index * stride)
            self._slabs[a, index] = sum(block << start for start in range(0, self.size, period))
        return self._slabs[a, index]

    def evaluate(self, cond: Cond) -> int:
        match cond:
            case ("const", value):
                return self.everything if value else 0
            case ("not", inner):
                return self.everything & ~self.evaluate(inner)
            case ("and", a, b):
                return self.evaluate(a) & self.evaluate(b)
            case ("or", a, b):
                return self.evaluate(a) | self.evaluate(b)
            case ("cmp", name, op, value, _unit):
                a = next(i for i, axis in enumerate(self.axes) if axis.name == name)
                return _union(self.slab(a, index) for index in self.axes[a].holds(op, value))
        raise AssertionError(f"not a condition: {cond}")

    def box(self, target: int) -> list[list[int]]:
        """A box of combinations inside ``target`` around its first one, grown greedily."""
        first = (target & -target).bit_length() - 1
        box = [[(first // s) % axis.size] for s, axis in zip(self.strides, self.axes, strict=True)]
        for a, axis in enumerate(self.axes):
            if axis.ordered:  # an interval, grown outwards one cell at a time
                for direction in (range(box[a][0] + 1, axis.size), range(box[a][0] - 1, -1, -1)):
                    for index in direction:
                        if not self._inside(box, a, index, target):
                            break
                        box[a] = sorted([*box[a], index])
            else:
                box[a] += [i for i in range(axis.size) if self._inside(box, a, i, target)]
                box[a] = sorted(set(box[a]))
        return box

    def words(self, box: list[list[int]]) -> str:
        parts = [
            d for axis, cells in zip(self.axes, box, strict=True) if (d := axis.describe(cells))
        ]
        return "when " + " and ".join(parts) if parts else "whatever the inputs are"

    def box_bits(self, box: list[list[int]]) -> int:
        bits = self.everything
        for a, cells in enumerate(box):
            bits &= _union(self.slab(a, index) for index in cells)
        return bits

    def _inside(self, box: list[list[int]], a: int, index: int, target: int) -> bool:
        trial = [cells if i != a else [index] for i, cells in enumerate(box)]
        bits = self.box_bits(trial)
        return bits & target == bits


# ---- one table -----------------------------------------------------------------------------


class _Table:
    """One ``decide`` step: its rows up to ``otherwise``, as bit sets over a grid."""

    def __init__(self, step: ast.Decide, types: Mapping[str, Type]) -> None:
        self.step = step
        last = next((i for i, r in enumerate(step.rules) if r.condition is None), None)
        self.has_otherwise = last is not None  # rows after it are R002 already
        self.rows = step.rules[:last]
        self.conds = [_condition(r.condition, types) for r in self.rows if r.condition]
        axes = _axes([c for c in self.conds if c is not None], types)
        size = math.prod(axis.size for axis in axes or [])
        self.grid = None if axes is None or size > MAX_CELLS else _Grid(axes)

    def problems(self) -> list[Diagnostic]:
        if (grid := self.grid) is None:
            return []
        matches = [None if c is None else grid.evaluate(c) for c in self.conds]
        found: list[Diagnostic] = []
        for j, (row, bits) in enumerate(zip(self.rows, matches, strict=True)):
            earlier = [(self.rows[i], b) for i, b in enumerate(matches[:j]) if b is not None]
            if bits is None:
                continue
            if bits == 0:
                found.append(_never(row, "its condition can never be true"))
            elif self.step.hit_policy == "first" and bits & ~_union(b for _r, b in earlier) == 0:
                hidden = [r.span.line for r, b in earlier if b & bits]
                found.append(_never(row, f"{_rows(hidden)} first whenever it would"))
            elif self.step.hit_policy in ("unique", "priority"):
                found += self._clash(grid, row, bits, earlier)
        gaps = grid.everything & ~_union(b or 0 for b in matches)
        # No gaps under 'collect' (no match collects nothing) or with a row we cannot read.
        if gaps and self.step.hit_policy != "collect" and not self.has_otherwise:
            found += [self._gaps(grid, gaps)] if None not in matches else []
        return found

    def _clash(
        self, grid: _Grid, row: ast.Rule, bits: int, earlier: list[tuple[ast.Rule, int]]
    ) -> list[Diagnostic]:
        """Under 'unique' two rows that can both match; under 'priority', two equal ones."""
        assert row.condition is not None
        unique = self.step.hit_policy == "unique"
        for other, other_bits in earlier:
            if not bits & other_bits or (not unique and other.priority != row.priority):
                continue
            where = f"both match {grid.words(grid.box(bits & other_bits))}"
            if unique:
                code, hint = "R004", UNIQUE_HINT
            else:
                same = "no priority" if row.priority is None else f"priority {row.priority}"
                code, hint, where = "R006", PRIORITY_HINT, f"both have {same} and {where}"
            message = f"this row and the row at line {other.span.line} {where}"
            return [Diagnostic(code, message, row.condition.span, hint=hint)]  # one is enough
        return []

    def _gaps(self, grid: _Grid, gaps: int) -> Diagnostic:
        cases: list[str] = []
        while gaps and len(cases) < MAX_GAPS_SHOWN:
            box = grid.box(gaps)
            cases.append(grid.words(box))
            gaps &= ~grid.box_bits(box)
        more = ", and in other cases" if gaps else ""
        return Diagnostic(
            "R003",
            f"no row matches {', or '.join(cases)}{more}",
            self.step.name_span,
            hint="add a row for it, or an 'otherwise' row",
        )


def _never(row: ast.Rule, why: str) -> Diagnostic:
    assert row.condition is not None
    return Diagnostic(
        "R101",
        f"this row never matches: {why}",
        row.condition.span,
        Severity.WARNING,
        hint="correct the condition, move the row up, or remove it",
    )


def _rows(lines: list[int]) -> str:
    if len(lines) == 1:
        return f"the row at line {lines[0]} matches"
    return f"the rows at lines {', '.join(map(str, lines[:-1]))} and {lines[-1]} match"


def _union(sets: Iterable[int]) -> int:
    return functools.reduce(operator.or_, sets, 0)


def _one_of(shown: list[str], single: str, several: str) -> str:
    return single + shown[0] if len(shown) == 1 else several + ", ".join(shown)
