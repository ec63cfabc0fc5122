"""Rendering pages: the Jinja2 templates, and values as a person reads them."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

HERE = Path(__file__).resolve().parent
TEMPLATES = Jinja2Templates(directory=str(HERE / "templates"))


# joins: replace with the people branch's reader function for values (engine/audit or
# engine/client: money as `25,000.00 EUR`, records as `queue: partner_desk`) after the merge.
def shown(value: Any) -> str:
    """A value as a person reads it: ``25,000.00 EUR``, ``queue: partner_desk``."""
    if isinstance(value, dict):
        if set(value) == {"amount", "currency"}:
            try:
                amount = Decimal(str(value["amount"]))
            except InvalidOperation:
                return f"{value['amount']} {value['currency']}"
            return f"{amount:,.2f} {value['currency']}"
        return ", ".join(f"{k}: {shown(v)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(shown(v) for v in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None:
        return "-"
    return str(value)


def moment(value: dt.datetime | None, zone: str = "UTC") -> str:
    if value is None:
        return "-"
    try:
        local = value.astimezone(zoneinfo.ZoneInfo(zone))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        local = value.astimezone(dt.UTC)
    return f"{local:%a %d %b %Y %H:%M} {local.tzname()}"


_PAST = {
    "approve": "approved",
    "reject": "rejected",
    "request_changes": "requested changes",
    "complete": "completed",
    "delegate": "delegated",
}


def past(action: str) -> str:
    """What a person did, in words: ``rejected``, ``requested changes``."""
    return _PAST.get(action, action.replace("_", " "))


TEMPLATES.env.filters["shown"] = shown
TEMPLATES.env.filters["past"] = past
TEMPLATES.env.filters["moment"] = moment


def page(request: Request, template: str, *, code: int = 200, **context: Any) -> HTMLResponse:
    """A page from its template; ``who`` (the signed-in person) is in ``context``."""
    context.setdefault("who", None)
    response: HTMLResponse = TEMPLATES.TemplateResponse(
        request, template, context, status_code=code
    )
    return response
