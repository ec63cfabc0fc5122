"""Run-time values: how typed values look inside a campaign and as JSON.

Inside the interpreter a number is a ``Decimal`` (exact: money never drifts by
a cent), money is :class:`Money`, a date is a ``datetime.date``. At the edges
(workflow input and output, activity arguments) everything is JSON: money is
``{"amount": "12.50", "currency": "EUR"}``, a date ``"2026-11-22"``, a
duration its seconds.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from bounds import MAX_DIGITS, excerpt, is_currency, is_email
from engine.ir import Duration, DurationUnit, ListType, OneOfType, ScalarType, TypeRef, type_text


@dataclass(frozen=True, order=True)
class Money:
    """An amount in one currency (ISO 4217 code)."""

    amount: Decimal
    currency: str

    def __str__(self) -> str:
        return f"{self.amount:,.2f} {self.currency}"


@dataclass(frozen=True, order=True)
class Percent:
    """A percentage: ``Percent(Decimal(15))`` is 15 %; ``x * 15%`` is 15 percent of x."""

    value: Decimal

    @property
    def fraction(self) -> Decimal:
        return self.value / 100

    def __str__(self) -> str:
        return f"{display(self.value)}%"


_DURATION_TEXT = re.compile(
    r"^\s*(\d+(?:\.\d+)?)\s*(business\s+)?(second|minute|hour|day|week|s|m|h|d|w)s?\s*$"
)
_UNIT_SECONDS = {
    "second": 1,
    "s": 1,
    "minute": 60,
    "m": 60,
    "hour": 3600,
    "h": 3600,
    "day": 86400,
    "d": 86400,
    "week": 604800,
    "w": 604800,
}


def parse_duration(text: str) -> Any:
    """``"3 days"``, ``"90 minutes"``, ``"1h"``, ``"2 business days"`` as a run-time duration.

    Raises:
        ValueProblem: the text is not a duration.
    """
    match = _DURATION_TEXT.match(text)
    if match is None:
        raise ValueProblem(f"'{text}' is not a duration such as '3 days' or '2 business days'")
    amount, business, unit = Decimal(match.group(1)), match.group(2), match.group(3)
    if business:
        if unit not in ("day", "d", "hour", "h"):
            raise ValueProblem(f"'{text}': business time is counted in days or hours")
        kind: DurationUnit = "business_days" if unit in ("day", "d") else "business_hours"
        return Duration(amount=amount, unit=kind)
    return dt.timedelta(seconds=float(amount * _UNIT_SECONDS[unit]))


class ValueProblem(ValueError):
    """A value that does not fit its declared type; the message says why."""


_URL = re.compile(r"^https?://[^\s/$.?#].[^\s]*$", re.IGNORECASE)
_MONEY = re.compile(
    r"^\s*(-?\d+(?:\.\d+)?)\s*([A-Z]{3})\s*$|^\s*([A-Z]{3})\s*(-?\d+(?:\.\d+)?)\s*$"
)
_TOO_LONG_TO_READ = "holds a number too long to read (more than 4,300 digits)"
_TRUE = {"true", "yes", "y", "1", "on"}
_FALSE = {"false", "no", "n", "0", "off"}


def parse_text(text: str, type_: TypeRef) -> Any:
    """Read a value typed on a command line (``--input budget=5000 EUR``) as JSON.

    Raises:
        ValueProblem: the text is not a valid value of the type.
    """
    match type_:
        case ListType():
            stripped = text.strip()
            if stripped.startswith("["):
                try:
                    items = json.loads(stripped)
                except json.JSONDecodeError as error:
                    raise ValueProblem(
                        f"'{_short(text)}' is not a JSON list: {error.msg}"
                    ) from None
                except ValueError:  # a number of more than 4,300 digits
                    raise ValueProblem(_TOO_LONG_TO_READ) from None
                return check_json(items, type_)
            parts = [p.strip() for p in text.split(",") if p.strip()]
            return [parse_text(p, type_.item) for p in parts]
        case ScalarType(name="number"):
            return to_json(_exact(_decimal(text)))
        case ScalarType(name="bool"):
            word = text.strip().lower()
            if word in _TRUE | _FALSE:
                return word in _TRUE
            raise ValueProblem(f"'{text}' is not true or false")
        case ScalarType(name="money"):
            match = _MONEY.match(text)
            if match is None:
                raise ValueProblem(f"'{text}' is not an amount with a currency, such as '5000 EUR'")
            amount = match.group(1) or match.group(4)
            currency = match.group(2) or match.group(3)
            return to_json(_exact(Money(_decimal(amount), currency)))
        case ScalarType(name="record" | "any"):
            try:
                value = json.loads(text)
            except json.JSONDecodeError:
                if type_.name == "any":
                    return text
                raise ValueProblem(f"'{excerpt(text)}' is not a JSON object") from None
            except ValueError:  # a number of more than 4,300 digits
                raise ValueProblem(_TOO_LONG_TO_READ) from None
            return check_json(value, type_)
        case _:
            return check_json(text, type_)


def check_json(value: Any, type_: TypeRef) -> Any:
    """Validate a JSON value against a type and return it in canonical JSON form.

    Raises:
        ValueProblem: the value does not fit the type.
    """
    try:
        return to_json(_exact(from_json(value, type_)))
    except (InvalidOperation, TypeError, ValueError) as error:
        if isinstance(error, ValueProblem):
            raise
        raise ValueProblem(f"{_show(value)} is not a valid {type_text(type_)}") from None


def from_json(value: Any, type_: TypeRef) -> Any:
    """A JSON value as the run-time value of a declared type.

    Raises:
        ValueProblem: the value does not fit the type.
    """
    match type_:
        case ListType(item=item):
            if not isinstance(value, list):
                raise ValueProblem(f"{_show(value)} is not a list")
            return [from_json(v, item) for v in value]
        case OneOfType(choices=choices):
            if value not in choices:
                raise ValueProblem(f"{_show(value)} is not one of: " + ", ".join(choices))
            return value
        case ScalarType(name=name):
            try:
                return _scalar(value, name)
            except ArithmeticError:  # a duration of a billion days, a date past 9999
                raise ValueProblem(f"{_show(value)} is too large a {name}") from None


def _scalar(value: Any, name: str) -> Any:
    if name == "any":
        return from_plain_json(value)
    if name == "record":
        if not isinstance(value, dict):
            raise ValueProblem(f"{_show(value)} is not a record")
        return value
    if name == "number":
        if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
            raise ValueProblem(f"{_show(value)} is not a number")
        return _decimal(str(value))
    if name == "bool":
        if not isinstance(value, bool):
            raise ValueProblem(f"{_show(value)} is not true or false")
        return value
    if name == "money":
        if isinstance(value, dict) and set(value) == {"amount", "currency"}:
            currency = str(value["currency"])
            if not re.fullmatch(r"[A-Z]{3}", currency):
                raise ValueProblem(f"'{currency}' is not a currency code such as EUR")
            return Money(_decimal(str(value["amount"])), currency)
        if isinstance(value, str):
            return from_json(parse_text(value, ScalarType(name="money")), ScalarType(name="money"))
        raise ValueProblem(f"{_show(value)} is not an amount with a currency")
    if name == "date":
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            raise ValueProblem(f"{_show(value)} is not a date (YYYY-MM-DD)") from None
    if name == "datetime":
        try:
            moment = dt.datetime.fromisoformat(str(value))
        except ValueError:
            raise ValueProblem(f"{_show(value)} is not a date and time (ISO 8601)") from None
        if moment.tzinfo is None:
            raise ValueProblem(f"{_show(value)} has no time zone offset, e.g. +01:00 or Z")
        return moment
    if name == "duration":
        if isinstance(value, dict):
            try:
                written = Duration.model_validate(value)
            except ValueError:
                raise ValueProblem(f"{_show(value)} is not a duration") from None
            if written.unit.startswith("business_"):
                return written
            return dt.timedelta(seconds=float(written.amount * _UNIT_SECONDS[written.unit[:-1]]))
        if isinstance(value, str) and not _is_number(value):
            return parse_duration(value)
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise ValueProblem(f"{_show(value)} is not a duration in seconds")
        return dt.timedelta(seconds=float(_decimal(str(value))))
    if name == "secret":
        # A secret input holds the *name* of a worker's secret, never its value:
        # inputs are stored in the campaign's history.
        if isinstance(value, dict) and set(value) == {"$secret"}:
            value = value["$secret"]
        if not isinstance(value, str) or not re.fullmatch(r"[a-z][a-z0-9_]*", value):
            raise ValueProblem(
                "a secret input takes the name of a worker's secret (e.g. cms_token), "
                "never the secret itself"
            )
        return {"$secret": value}
    if name == "percent":
        if isinstance(value, str) and value.strip().endswith("%"):
            value = value.strip()[:-1]
        if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
            raise ValueProblem(f'{_show(value)} is not a percentage such as 15 or "15%"')
        return Percent(_decimal(str(value)))
    if not isinstance(value, str):
        raise ValueProblem(f"{_show(value)} is not {_article(name)} {name}")
    if name == "email" and not is_email(value):
        raise ValueProblem(f"'{excerpt(value)}' is not an e-mail address")
    if name == "url" and not _URL.match(value):
        raise ValueProblem(f"'{excerpt(value)}' is not a web address (http:// or https://)")
    return value


def from_plain_json(value: Any) -> Any:
    """A JSON value of no declared type (such as an action result) as a run-time value."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return _decimal(str(value))
    if isinstance(value, list):
        return [from_plain_json(v) for v in value]
    if isinstance(value, dict):
        if set(value) == {"amount", "currency"}:
            try:
                return _scalar(value, "money")
            except ValueProblem:
                pass
        return {str(k): from_plain_json(v) for k, v in value.items()}
    return value


_ISO_DURATION = re.compile(
    r"(-)?P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?", re.ASCII
)


def from_result(value: Any, type_: TypeRef) -> Any:
    """A field of a step's result, as the step sent it, as a value of its declared type.

    Actions, people's forms and called processes send JSON, and
    :func:`from_plain_json` cannot tell a datetime from a text: a date or a
    datetime arrives as ISO text, a duration as ISO 8601 (``PT1H``, what
    pydantic writes) or seconds, an exact number as text. An empty optional
    field (None) stays None.

    Raises:
        ValueProblem: the value does not fit the type.
    """
    if value is None:
        return None
    match type_:
        case ListType(item=item) if isinstance(value, list):
            return [from_result(v, item) for v in value]
        case ScalarType(name="duration"):
            if isinstance(value, dt.timedelta | Duration):
                return value
            iso = _ISO_DURATION.fullmatch(value) if isinstance(value, str) else None
            if iso is not None and value not in ("P", "-P") and not value.endswith("T"):
                sign, days, hours, minutes, seconds = iso.groups()
                span = dt.timedelta(
                    days=int(days or 0),
                    hours=int(hours or 0),
                    minutes=int(minutes or 0),
                    seconds=float(seconds or 0),
                )
                return -span if sign else span
            if isinstance(value, Decimal):
                return dt.timedelta(seconds=float(value))
        case ScalarType(name="money" | "percent") if isinstance(value, Money | Percent):
            return value
        case ScalarType(name="date" | "datetime") if isinstance(value, dt.date):
            return value
    return from_json(value, type_)


def to_json(value: Any) -> Any:
    """A run-time value as JSON (the inverse of :func:`from_json`)."""
    if isinstance(value, bool) or value is None or isinstance(value, str | int | float):
        return value
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, Money):
        return {"amount": str(value.amount), "currency": value.currency}
    if isinstance(value, Percent):
        return to_json(value.value)
    if isinstance(value, Duration):
        return value.model_dump(mode="json")
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    raise TypeError(f"no JSON form for {type(value).__name__}")


def display(value: Any) -> str:
    """A run-time value as a designer would write it in a text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        # Exact and without an exponent: 0.0000001, not 1e-07; all digits kept.
        return str(int(value)) if value == value.to_integral_value() else f"{value.normalize():f}"
    if isinstance(value, list):
        return ", ".join(display(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(to_json(value), ensure_ascii=False)
    if isinstance(value, dt.timedelta):
        return _show_timedelta(value)
    if isinstance(value, Duration):
        unit = value.unit.replace("business_", "business ")
        return f"{display(value.amount)} {unit[:-1] if value.amount == 1 else unit}"
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if value is None:
        return ""
    return str(value)


def _show_timedelta(span: dt.timedelta) -> str:
    seconds = int(span.total_seconds())
    sign, seconds = ("-" if seconds < 0 else ""), abs(seconds)
    parts = []
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count} {unit}{'s' if count != 1 else ''}")
    return sign + (" ".join(parts) or "0 seconds")


def _is_number(text: str) -> bool:
    try:
        Decimal(text.strip())
    except InvalidOperation:
        return False
    return True


def _decimal(text: str) -> Decimal:
    try:
        number = Decimal(text.strip())
    except InvalidOperation:
        raise ValueProblem(f"'{text}' is not a number") from None
    if not number.is_finite():
        raise ValueProblem(f"'{text}' is not a finite number")
    # Far beyond any budget or count, and beyond what JSON and the history hold.
    if number and not -30 <= number.adjusted() <= 30:
        raise ValueProblem(f"'{_short(text)}' is too large or too small a number")
    return number


def _exact(value: Any) -> Any:
    """``value``, if a campaign can hold it exactly: an amount in an ISO 4217 currency,
    a number or amount of at most 28 significant digits (never rounded on the way in).

    Checked where values come in (the command line, a script's start), not when a
    campaign reads its own history: campaigns started before these checks go on.

    Raises:
        ValueProblem: it cannot be held exactly, or its currency does not exist.
    """
    if isinstance(value, list):
        return [_exact(item) for item in value]
    number = value
    if isinstance(value, Money):
        if not is_currency(value.currency):
            raise ValueProblem(_not_a_currency(value.currency))
        number = value.amount
    if isinstance(number, Percent):
        number = number.value
    if isinstance(number, Decimal) and len(number.as_tuple().digits) > MAX_DIGITS:
        raise ValueProblem(
            f"'{_short(display(number))}' has more than {MAX_DIGITS} significant digits, "
            "more than a campaign keeps exactly"
        )
    return value


def _not_a_currency(code: str) -> str:
    return f"'{excerpt(code, 10)}' is not an ISO 4217 currency code such as EUR or USD"


def _short(text: str) -> str:
    text = text.strip()
    return text if len(text) <= 20 else text[:17] + "..."


def _show(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def _article(name: str) -> str:
    return "an" if name[0] in "aeiou" else "a"
