"""Decision tables: gaps, overlapping rows, rows that never count, priority ties.

The analysis is exact for conditions built from comparisons of an input with
literals (``budget >= 100 EUR``, ``tier == "paid"``, ``vip``, ``x in [...]``)
joined by ``and``, ``or`` and ``not``. The literals of a table cut the value of
each input into a few *cells* (for numbers: every literal, and the open
intervals between them); no comparison can tell two values of one cell apart,
so evaluating every row on one value per combination of cells decides every
question about the table. Rows are bit sets over those combinations.

A row may also read the result of an earlier ``decide`` whose rows all give
literals: its values are exactly those (its *outcomes*, :mod:`dsl._rules_logic`),
one cell per row of that table, so ``segment != "smb"`` or ``team.sla_hours >
4`` are analysed like inputs, and combinations no row of it gives are never
reported as gaps.

A row that mentions anything else (a function, arithmetic, a task's result, a
``set`` variable) cannot be analysed. Every claim made here stays true whatever
such a row does: a table with one is not checked for gaps, and is otherwise
checked only between rows that can be analysed. No false alarms; but a table
whose gaps (or, under ``unique``, overlaps) could not be ruled out says so
(R102, a warning).
"""

from __future__ import annotations

import functools
import math
import operator
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dsl import _ast as ast
from dsl._diagnostics import Diagnostic, Severity
from dsl._rules_logic import COMPARE, Cond, Outcomes, atoms, condition, outcomes_of
from dsl._types import BOOL, OneOf, Type
from dsl._walk import iter_steps

MAX_CELLS = 10_000
"""Tables whose inputs combine into more cells than this are not analysed."""
MAX_GAPS_SHOWN = 3
UNIQUE_HINT = (
    "under 'hit policy unique' at most one row may match: narrow one of the conditions, "
    "or use 'hit policy first'"
)
PRIORITY_HINT = "give one of them a higher priority"

_TEXT_LIKE = {"text", "email", "url"}
_OTHER = object()  # the cell of every text no row names


def rule_problems(
    process: ast.Process,
    input_types: Mapping[str, Type],
    *,
    already: Iterable[Diagnostic] = (),
) -> list[Diagnostic]:
    """Gaps, overlaps, unreachable rows and priority ties in every ``decide`` step.

    Args:
        process: The parsed process.
        input_types: The declared type of each input, by name; only conditions
            on these inputs (and on earlier decisions' literal results) are analysed.
        already: Diagnostics the checker reported: a table with an error in it
            is not analysed (its rows would only repeat that error in other words).
    """
    broken = {d.span.line for d in already if d.severity is Severity.ERROR}
    bound = Counter(_bound_name(s) for s in iter_steps(process.body))
    types = {name: kind for name, kind in input_types.items() if name not in bound}
    decisions = [s for s in iter_steps(process.body) if isinstance(s, ast.Decide)]
    outcomes = {
        d.name: found
        for d in decisions
        if bound[d.name] == 1 and d.name not in input_types and (found := outcomes_of(d))
    }
    problems: list[Diagnostic] = []
    for step in decisions:
        if any(step.span.line <= line <= step.span.end_line for line in broken):
            continue
        allowed = set(process.allowed) | set(step.allowed)
        # A table does not read its own result. Taken out and put back rather than
        # copied: a copy per table made 10,000 steps take quadratic time.
        own = outcomes.pop(step.name, None)
        try:
            table = _Table(step, types, outcomes).problems()
        finally:
            if own is not None:
                outcomes[step.name] = own
        problems += [d for d in table if d.severity is Severity.ERROR or d.code not in allowed]
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


# ---- the cells of each input -------------------------------------------------------------


@dataclass(frozen=True)
class _Axis:
    """The cells of one input: for numbers 2k+1 (k literals and the gaps around them).

    For an earlier decision (``outcomes``), one cell per value it can give.
    """

    name: str
    ordered: bool
    values: tuple[Any, ...]
    unit: str = ""
    outcomes: Outcomes | None = None

    @property
    def size(self) -> int:
        return 2 * len(self.values) + 1 if self.ordered else len(self.values)

    def holds(self, op: str, value: object, field: str | None = None) -> list[int]:
        """The cells where ``input op value`` (or ``decision.field op value``) is true."""
        if self.outcomes is not None:
            compare = COMPARE[op]
            return [i for i, row in enumerate(self.values) if compare(row[field][0], value)]
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
        if self.outcomes is not None:
            shown = [self.outcomes.show(self.values[i]) for i in cells]
            if len(shown) == 1:
                return f"{self.name} is {shown[0]}"
            return f"{self.name} is one of {'; '.join(shown)}"
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


def _axes(
    conds: Sequence[Cond], types: Mapping[str, Type], outcomes: Mapping[str, Outcomes]
) -> list[_Axis] | None:
    """The cells of every input the conditions name; None if amounts do not compare."""
    values: dict[str, set[Any]] = {}
    units: dict[str, set[str | None]] = {}
    for cond in conds:
        for _cmp, key, _op, value, unit in atoms(cond):
            values.setdefault(key, set()).add(value)
            units.setdefault(key, set()).add(unit)
    axes: list[_Axis] = []
    decided: dict[str, Outcomes] = {}
    for key, key_units in units.items():
        name, _dot, field = key.partition(".")
        if name in outcomes:
            given = {row[field or None][1] for row in outcomes[name].rows}
            if key_units != given:
                return None  # amounts in another currency than the decision gives
            decided[name] = outcomes[name]
    axes += [_Axis(name, False, found.rows, outcomes=found) for name, found in decided.items()]
    for name, found in values.items():
        if name not in types:
            continue
        kind = types[name]
        if len(units[name]) > 1:
            return None  # amounts in several currencies do not compare
        if isinstance(kind, OneOf):
            axes.append(_Axis(name, False, tuple(dict.fromkeys(kind.choices))))
        elif kind == BOOL:
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
            case ("cmp", key, op, value, _unit):
                name, _dot, field = key.partition(".")
                a = next(i for i, axis in enumerate(self.axes) if axis.name == name)
                cells = self.axes[a].holds(op, value, field or None)
                return _union(self.slab(a, index) for index in cells)
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

    def __init__(
        self, step: ast.Decide, types: Mapping[str, Type], outcomes: Mapping[str, Outcomes]
    ) -> None:
        self.step = step
        last = next((i for i, r in enumerate(step.rules) if r.condition is None), None)
        self.has_otherwise = last is not None  # rows after it are R002 already
        self.rows = step.rules[:last]
        self.conds = [condition(r.condition, types, outcomes) for r in self.rows if r.condition]
        axes = _axes([c for c in self.conds if c is not None], types, outcomes)
        size = math.prod(axis.size for axis in axes or [])
        self.grid = None if axes is None or size > MAX_CELLS else _Grid(axes)
        self.why_not = (
            "it compares amounts in different currencies"
            if axes is None
            else "it combines too many values to try them all"
        )

    def problems(self) -> list[Diagnostic]:
        unproven = self._unproven()
        if (grid := self.grid) is None:
            return unproven
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
        return found + unproven

    def _unproven(self) -> list[Diagnostic]:
        """R102 when gaps (or overlaps under 'unique') could not be ruled out."""
        questions = []
        if self.step.hit_policy != "collect" and not self.has_otherwise:
            questions.append("inputs that no row matches")
        if self.step.hit_policy == "unique":
            questions.append("two rows that both match")
        if not questions or (self.grid is not None and None not in self.conds):
            return []
        unread = [r.span.line for r, c in zip(self.rows, self.conds, strict=True) if c is None]
        why = (
            self.why_not
            if self.grid is None and not unread
            else (f"the checker cannot follow the condition on line {unread[0]}")
        )
        hint = "add an 'otherwise' row" if "inputs" in questions[0] else "use 'hit policy first'"
        return [
            Diagnostic(
                "R102",
                f"'{self.step.name}' could not be checked for {' or '.join(questions)}: {why}",
                self.step.name_span,
                Severity.WARNING,
                hint=f"{hint}, or make the conditions compare inputs or decisions with "
                "values (or silence it: allow R102)",
            )
        ]

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
