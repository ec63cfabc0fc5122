"""Our own expression evaluator: walks IR expressions, never calls Python ``eval``.

Pure and deterministic, so it runs inside the workflow sandbox. Every problem
raises :class:`EvaluationError` carrying the span of the expression at fault,
whatever went wrong underneath (an overflow, a date past the year 9999): an
error of any other kind would fail the campaign's workflow task for ever.

Bounded evaluation (the default; campaigns recorded before the limits keep the
old behaviour through a patch) also refuses what would grow past the limits of
:mod:`bounds`: a text longer than ``MAX_TEXT``, a number with more than
``MAX_MAGNITUDE + 1`` digits before its point, and a sum, difference or product
that needs more than ``MAX_DIGITS`` significant digits (never rounded silently;
a division rounds, as division must).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import (
    ROUND_HALF_EVEN,
    Decimal,
    DivisionByZero,
    Inexact,
    InvalidOperation,
    localcontext,
)
from typing import Any, assert_never

from bounds import MAX_DIGITS, MAX_MAGNITUDE, MAX_TEXT
from engine import ir
from engine.workflow.campaign import SECRET_MARKER
from engine.workflow.time_values import (
    TimeProblem,
    add_months,
    is_time_value,
    months_between,
    time_arith,
    zone_of,
)
from engine.workflow.values import (
    Money,
    Percent,
    ValueProblem,
    display,
    from_json,
    from_plain_json,
    from_result,
)

_is_time = is_time_value

Env = Mapping[str, Any]


class EvaluationError(Exception):
    """An expression that cannot be evaluated with the values at hand."""

    def __init__(self, message: str, span: ir.Span) -> None:
        super().__init__(message)
        self.message = message
        self.span = span


class _NotExact(ArithmeticError):
    """A sum, difference or product that needs more digits than a campaign keeps."""


@dataclass(frozen=True)
class _Context:
    calendar: ir.Calendar | None
    now: dt.datetime | None
    bounded: bool = True


def evaluate(
    expr: ir.Expr,
    env: Env,
    calendar: ir.Calendar | None = None,
    *,
    now: dt.datetime | None = None,
    bounded: bool = True,
) -> Any:
    """The value of ``expr`` with names looked up in ``env``.

    ``calendar`` is the process's business calendar: date arithmetic with
    business days and hours counts in it, and ``today()`` is the date in its
    time zone. ``now`` is the campaign's current time (``workflow.now()``
    in the workflow): ``today()`` and ``now()`` read it, never a clock.
    ``bounded``: refuse values past the limits (see the module's docstring).

    Raises:
        EvaluationError: whatever the problem, with the span of the expression.
    """
    try:
        return _value(expr, env, _Context(calendar, now, bounded))
    except EvaluationError:
        raise
    except RecursionError:
        deep = "the expression is nested too deeply to work out"
        raise EvaluationError(deep, expr.span) from None
    except (ArithmeticError, ValueError, LookupError, TypeError) as error:
        raise EvaluationError(_reason(error), expr.span) from None


def _reason(error: BaseException) -> str:
    """What went wrong, for a person: never a class name in brackets."""
    if isinstance(error, OverflowError):
        return "a date or time past the year 9999 (or before the year 1)"
    if isinstance(error, ArithmeticError):
        return "a number too large to work out"
    text = (str(error).strip() or type(error).__name__).splitlines()[0]
    return text if len(text) <= 200 else text[:200] + "..."


def _value(expr: ir.Expr, env: Env, ctx: _Context) -> Any:
    match expr:
        case ir.Literal_(value=value, type=kind):
            if kind is None:
                return from_plain_json(value)
            return from_json(value, ir.ScalarType(name=kind))
        case ir.Ref(name=name):
            if name not in env:
                raise EvaluationError(f"'{name}' has no value yet", expr.span)
            return env[name]
        case ir.Attr(obj=obj, name=name, type=declared):
            container = _value(obj, env, ctx)
            if not isinstance(container, dict) or name not in container:
                raise EvaluationError(f"the value has no field '{name}'", expr.span)
            if declared is None:
                return container[name]
            try:
                return from_result(container[name], declared)
            except ValueProblem as problem:
                raise EvaluationError(f"the field '{name}': {problem}", expr.span) from None
        case ir.Index(obj=obj, index=index):
            return _index(_value(obj, env, ctx), _value(index, env, ctx), expr.span)
        case ir.Call(func=func, args=args):
            result = _call(func, [_value(a, env, ctx) for a in args], expr.span, ctx)
            return _bounded(result, expr.span, ctx)
        case ir.Unary(op=op, operand=operand):
            value = _value(operand, env, ctx)
            if op == "not":
                return not _truth(value, operand.span)
            return _arith("*", value, Decimal(-1), expr.span, ctx)
        case ir.Binary(op=op):
            return _binary(expr, env, ctx)
        case ir.ListExpr(items=items):
            return [_value(item, env, ctx) for item in items]
        case ir.Record(fields=fields):
            return {name: _value(value, env, ctx) for name, value in fields.items()}
        case ir.Text(parts=parts):
            text = "".join(p if isinstance(p, str) else display(_value(p, env, ctx)) for p in parts)
            return _bounded(text, expr.span, ctx)
        case _:
            assert_never(expr)


def _truth(value: Any, span: ir.Span) -> bool:
    if not isinstance(value, bool):
        raise EvaluationError(f"expected true or false, got {display(value)!r}", span)
    return value


def _binary(expr: ir.Binary, env: Env, ctx: _Context) -> Any:
    op = expr.op
    if op == "and":
        return _truth(_value(expr.left, env, ctx), expr.left.span) and _truth(
            _value(expr.right, env, ctx), expr.right.span
        )
    if op == "or":
        return _truth(_value(expr.left, env, ctx), expr.left.span) or _truth(
            _value(expr.right, env, ctx), expr.right.span
        )
    left = _value(expr.left, env, ctx)
    right = _value(expr.right, env, ctx)
    match op:
        case "==":
            return _equal(left, right)
        case "!=":
            return not _equal(left, right)
        case "<" | "<=" | ">" | ">=" if isinstance(left, Percent) != isinstance(right, Percent):
            raise EvaluationError(
                f"cannot compare {display(left)!r} with {display(right)!r}", expr.span
            )
        case "<" | "<=" | ">" | ">=":
            return _order(op, left, right, expr.span)
        case "in" | "not in":
            found = _member(left, right, expr.span)
            return found if op == "in" else not found
        case "+" | "-" | "*" | "/":
            return _arith(op, left, right, expr.span, ctx)
        case _:
            assert_never(op)


def _equal(left: Any, right: Any) -> bool:
    return bool(left == right)


def _order(op: str, left: Any, right: Any, span: ir.Span) -> bool:
    if isinstance(left, Money) and isinstance(right, Money) and left.currency != right.currency:
        raise EvaluationError(f"cannot compare {left} with {right}: the currencies differ", span)
    try:
        if op == "<":
            return bool(left < right)
        if op == "<=":
            return bool(left <= right)
        if op == ">":
            return bool(left > right)
        return bool(left >= right)
    except TypeError:
        raise EvaluationError(
            f"cannot compare {display(left)!r} with {display(right)!r}", span
        ) from None


def _member(item: Any, container: Any, span: ir.Span) -> bool:
    if isinstance(container, list):
        return item in container
    if isinstance(container, str) and isinstance(item, str):
        return item in container
    raise EvaluationError(f"'in' needs a list or a text, got {display(container)!r}", span)


def _arith(op: str, left: Any, right: Any, span: ir.Span, ctx: _Context) -> Any:
    exact = ctx.bounded
    try:
        if isinstance(left, Percent) or isinstance(right, Percent):
            return _bounded(_percent_arith(op, left, right, span, exact), span, ctx)
        if _is_time(left) or _is_time(right):
            return time_arith(op, left, right, ctx.calendar)
        if isinstance(left, Money) or isinstance(right, Money):
            return _bounded(_money_arith(op, left, right, span, exact), span, ctx)
        if isinstance(left, Decimal) and isinstance(right, Decimal):
            return _bounded(_numeric(op, left, right, exact), span, ctx)
        if op == "+" and isinstance(left, str) and isinstance(right, str):
            if ctx.bounded and len(left) + len(right) > MAX_TEXT:
                raise EvaluationError(_long_text(len(left) + len(right)), span)
            return left + right
    except (DivisionByZero, InvalidOperation, ZeroDivisionError):
        raise EvaluationError("division by zero", span) from None
    except _NotExact:
        raise EvaluationError(
            f"the result needs more than {MAX_DIGITS} significant digits, "
            "and a campaign never rounds a sum, difference or product",
            span,
        ) from None
    except TimeProblem as problem:
        raise EvaluationError(str(problem), span) from None
    except ArithmeticError as error:  # decimal.Overflow, OverflowError of a date
        raise EvaluationError(_reason(error), span) from None
    raise EvaluationError(f"'{op}' does not work on {display(left)!r} and {display(right)!r}", span)


def _long_text(length: int) -> str:
    return f"the text would be {length:,} characters long (at most {MAX_TEXT:,})"


def _bounded(value: Any, span: ir.Span, ctx: _Context) -> Any:
    """``value``, unless bounded evaluation refuses it (too long a text, too large a number)."""
    if not ctx.bounded:
        return value
    number = value.amount if isinstance(value, Money) else value
    number = number.value if isinstance(number, Percent) else number
    if isinstance(number, Decimal) and number and number.adjusted() > MAX_MAGNITUDE:
        raise EvaluationError(
            f"the number is too large: more than {MAX_MAGNITUDE + 1} digits before the point",
            span,
        )
    if isinstance(value, str) and len(value) > MAX_TEXT:
        raise EvaluationError(_long_text(len(value)), span)
    return value


def _percent_arith(op: str, left: Any, right: Any, span: ir.Span, exact: bool) -> Any:
    if isinstance(left, Percent) and isinstance(right, Percent):
        if op in "+-":
            return Percent(_numeric(op, left.value, right.value, exact))
        if op == "*":
            return Percent(_numeric("*", left.value, right.fraction, exact))
    if op == "*":
        share, whole = (left, right) if isinstance(left, Percent) else (right, left)
        if isinstance(whole, Decimal):
            return _numeric("*", whole, share.fraction, exact)
        if isinstance(whole, Money):
            return Money(_numeric("*", whole.amount, share.fraction, exact), whole.currency)
    raise EvaluationError(f"'{op}' does not work on {display(left)!r} and {display(right)!r}", span)


def _numeric(op: str, left: Decimal, right: Decimal, exact: bool = False) -> Decimal:
    if op == "/":
        return left / right
    if not exact:
        return _plain(op, left, right)
    # Exactly, or not at all: 28 significant digits hold every amount of money
    # there is, and an amount rounded without a word loses cents.
    with localcontext() as context:
        context.prec = MAX_DIGITS
        context.traps[Inexact] = True
        try:
            return _plain(op, left, right)
        except Inexact:
            raise _NotExact from None


def _plain(op: str, left: Decimal, right: Decimal) -> Decimal:
    if op == "+":
        return left + right
    if op == "-":
        return left - right
    return left * right


def _money_arith(op: str, left: Any, right: Any, span: ir.Span, exact: bool) -> Any:
    if isinstance(left, Money) and isinstance(right, Money):
        if left.currency != right.currency:
            raise EvaluationError(f"cannot combine {left} and {right}: the currencies differ", span)
        if op in "+-":
            return Money(_numeric(op, left.amount, right.amount, exact), left.currency)
        if op == "/":
            return left.amount / right.amount
    if isinstance(left, Money) and isinstance(right, Decimal) and op in "*/":
        return Money(_numeric(op, left.amount, right, exact), left.currency)
    if isinstance(left, Decimal) and isinstance(right, Money) and op == "*":
        return Money(_numeric("*", left, right.amount, exact), right.currency)
    raise EvaluationError(f"'{op}' does not work on {display(left)!r} and {display(right)!r}", span)


def _index(container: Any, index: Any, span: ir.Span) -> Any:
    if isinstance(container, list) and isinstance(index, Decimal) and index == int(index):
        position = int(index)
        if -len(container) <= position < len(container):
            return container[position]
        raise EvaluationError(f"position {position} is outside a list of {len(container)}", span)
    if isinstance(container, dict) and isinstance(index, str):
        if index in container:
            return container[index]
        raise EvaluationError(f"the record has no field '{index}'", span)
    raise EvaluationError(f"cannot take [{display(index)}] of {display(container)!r}", span)


def _round(value: Any, places: Any = Decimal(0)) -> Any:
    quantum = Decimal(1).scaleb(-int(places))
    if isinstance(value, Money):
        return Money(value.amount.quantize(quantum, rounding=ROUND_HALF_EVEN), value.currency)
    return Decimal(value).quantize(quantum, rounding=ROUND_HALF_EVEN)


def _smallest(*values: Any) -> Any:
    return min(_same_currency(values))


def _largest(*values: Any) -> Any:
    return max(_same_currency(values))


def _same_currency(values: Sequence[Any]) -> Sequence[Any]:
    # Money orders by amount first, so 3 USD < 5 EUR would otherwise "work".
    money = [v for v in values if isinstance(v, Money)]
    for other in money[1:]:
        if other.currency != money[0].currency:
            raise ValueError(f"cannot compare {money[0]} with {other}: the currencies differ")
    return values


def _join(items: Any, separator: Any) -> str:
    return str(separator).join(display(i) for i in items)


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "len": lambda v: Decimal(len(v)),
    "lower": lambda v: str(v).lower(),
    "upper": lambda v: str(v).upper(),
    "trim": lambda v: str(v).strip(),
    "round": _round,
    "min": _smallest,
    "max": _largest,
    "join": _join,
    "contains": lambda text, part: str(part) in str(text),
    "text": display,
    # Only the reference travels; the worker resolves it (see SECRET_MARKER).
    "secret": lambda name: {SECRET_MARKER: str(name)},
}


def _today(ctx: _Context) -> dt.date:
    return _clock(ctx).astimezone(zone_of(ctx.calendar)).date()


def _now(ctx: _Context) -> dt.datetime:
    return _clock(ctx)


def _clock(ctx: _Context) -> dt.datetime:
    if ctx.now is None:
        raise ValueError("there is no current date here (only a running campaign has one)")
    return ctx.now


def _add_months(ctx: _Context, start: Any, count: Any) -> Any:
    return add_months(start, _whole(count), ctx.calendar)


def _months_between(ctx: _Context, start: Any, end: Any) -> Decimal:
    return Decimal(months_between(start, end, ctx.calendar))


def _whole(count: Any) -> int:
    if not isinstance(count, Decimal) or count != count.to_integral_value():
        raise ValueError(f"the number of months must be a whole number, not {display(count)}")
    return int(count)


_IN_CONTEXT: dict[str, Callable[..., Any]] = {
    "today": _today,
    "now": _now,
    "add_months": _add_months,
    "months_between": _months_between,
}
"""Functions that also read the campaign's calendar or current time."""
FUNCTIONS.update(_IN_CONTEXT)


def _call(func: str, args: Sequence[Any], span: ir.Span, ctx: _Context) -> Any:
    implementation = FUNCTIONS.get(func)
    if implementation is None:
        raise EvaluationError(f"there is no function '{func}'", span)
    if func in _IN_CONTEXT:
        args = [ctx, *args]
    try:
        return implementation(*args)
    except (TypeError, ValueError, InvalidOperation, ArithmeticError) as error:
        raise EvaluationError(f"{func}(...) failed: {_reason(error)}", span) from None


def uses_clock(expr: ir.Expr) -> bool:
    """Whether ``expr`` reads the current time (``today()``, ``now()``)."""
    match expr:
        case ir.Call(func="today" | "now"):
            return True
        case ir.Call(args=items) | ir.ListExpr(items=items):
            return any(uses_clock(item) for item in items)
        case ir.Attr(obj=inner) | ir.Unary(operand=inner):
            return uses_clock(inner)
        case ir.Index(obj=left, index=right) | ir.Binary(left=left, right=right):
            return uses_clock(left) or uses_clock(right)
        case ir.Record(fields=fields):
            return any(uses_clock(value) for value in fields.values())
        case ir.Text(parts=parts):
            return any(uses_clock(p) for p in parts if not isinstance(p, str))
        case _:
            return False
