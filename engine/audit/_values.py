"""Values as a person reads them: one way of printing, everywhere a person reads one.

``mops status``, ``mops run``, ``mops history``, the HTML report and the texts of
an audit export print a campaign's values (inputs, outputs, rule results, the
values a work item handed in) with :func:`readable`; so does the people's app.
Values arrive as JSON, the form they travel in through Temporal:

=========================================  ==============================
JSON                                       printed
=========================================  ==============================
``{"amount": "25000", "currency": "EUR"}``  ``25,000.00 EUR``
``{"queue": "partner_desk", "tier": 2}``    ``queue: partner_desk, tier: 2``
``["newsletter", "linkedin"]``              ``newsletter, linkedin``
``{"amount": 2, "unit": "business_days"}``  ``2 business days``
``true`` / ``null`` / ``""``                ``true`` / ``nothing`` / ``""``
=========================================  ==============================

A list or record inside another is put in parentheses, so that its commas cannot be
read as the outer one's. Amounts are never rounded: an amount with more decimals
than its currency uses shows them all.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

__all__ = ["clean", "readable", "readable_pairs"]

# fmt: off
_NO_DECIMALS = frozenset((
    "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND",
    "VUV", "XAF", "XOF", "XPF",
))
# fmt: on
_THREE_DECIMALS = frozenset(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"])
_UNITS = frozenset(
    ("seconds", "minutes", "hours", "days", "weeks", "business_days", "business_hours")
)


def readable(value: Any, *, quote: bool = False) -> str:
    """``value`` (as JSON) the way a person reads it.

    Args:
        value: a JSON value: what a campaign's inputs, outputs and results are.
        quote: put a text in double quotes, so that it stands out inside a sentence
            (``decided "paid" by the row at ...``); other values are never quoted.
    """
    if isinstance(value, str):
        return f'"{value}"' if quote or value == "" else value
    return _shown(value, nested=False)


def readable_pairs(values: Mapping[str, Any], *, separator: str = "; ") -> str:
    """``name = value`` for each entry, on one line: ``budget = 5,000.00 EUR; channels =
    newsletter, linkedin`` (the separator keeps a list's commas apart from the pairs)."""
    return separator.join(f"{name} = {readable(value)}" for name, value in values.items())


def _shown(value: Any, *, nested: bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "nothing"
    if isinstance(value, str):
        return '""' if value == "" else value
    if isinstance(value, int | float | Decimal):
        return _number(value)
    if isinstance(value, Mapping):
        special = _money(value) or _duration(value)
        if special is not None:
            return special
        inner = ", ".join(f"{k}: {_shown(v, nested=True)}" for k, v in value.items())
        return f"({inner})" if nested else inner
    if isinstance(value, list | tuple):
        inner = ", ".join(_shown(v, nested=True) for v in value)
        return f"({inner})" if nested else inner
    return str(value)


def _number(value: int | float | Decimal) -> str:
    if isinstance(value, float) and not value.is_integer():
        return repr(value)  # the shortest text that reads back as the same number
    exact = Decimal(value) if not isinstance(value, float) else Decimal(repr(value))
    return str(int(exact)) if exact == exact.to_integral_value() else f"{exact.normalize():f}"


def _money(value: Mapping[str, Any]) -> str | None:
    if set(value) != {"amount", "currency"} or not isinstance(value["currency"], str):
        return None
    try:
        amount = Decimal(str(value["amount"]))
    except InvalidOperation:
        return None
    if not amount.is_finite():
        return None
    currency = value["currency"]
    places = 0 if currency in _NO_DECIMALS else 3 if currency in _THREE_DECIMALS else 2
    exponent = amount.normalize().as_tuple().exponent
    shown = -exponent if isinstance(exponent, int) and -exponent > places else places
    return f"{amount:,.{shown}f} {currency}"


def _duration(value: Mapping[str, Any]) -> str | None:
    unit = value.get("unit")
    if set(value) != {"amount", "unit"} or unit not in _UNITS:
        return None
    amount = value["amount"]
    try:
        count = _number(Decimal(str(amount)))
    except InvalidOperation:
        return None
    words = str(unit).replace("business_", "business ")
    return f"{count} {words[:-1] if count == '1' else words}"


_CONTROLS = {ord(c): f"\\u{ord(c):04x}" for c in map(chr, [*range(32), *range(127, 160)])}
_CONTROLS |= {ord("\n"): "\\n", ord("\r"): "\\r", ord("\t"): "\\t"}
_CONTROLS |= {
    c: f"\\u{c:04x}" for c in (0x2028, 0x2029, *range(0x202A, 0x202F), *range(0x2066, 0x206A))
}


def clean(text: str) -> str:
    """Text a person wrote, made safe to print on one line: control characters (a newline
    that would forge a line of the timeline, a bidi override) shown as escapes."""
    return text.translate(_CONTROLS)
