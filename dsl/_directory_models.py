"""The team directory's entries as pydantic models: how a person's entry is validated.

:mod:`dsl._directory` reads an entry written the plain way itself; any other
comes here, to be coerced where pydantic can and otherwise told what is wrong
in pydantic's words (the messages the directory has always given).
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bounds import excerpt, is_email
from dsl._zones import is_zone


class AbsenceModel(BaseModel):
    """A period someone is away, and who acts for them meanwhile."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    start: dt.date = Field(alias="from")
    until: dt.date
    """The last day away (inclusive)."""
    delegate: str | None = None


class PersonModel(BaseModel):
    """Someone who can be assigned work, approve, or be notified."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    name: str
    email: str
    roles: tuple[str, ...] = ()
    notify: Literal["email", "webhook"] = "email"
    webhook_secret: str | None = None
    time_zone: str = "UTC"
    away: tuple[AbsenceModel, ...] = ()

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, value: str) -> str:
        if not is_zone(value):
            raise ValueError(f"'{value}' is not a time zone such as Europe/Berlin")
        return value

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        if not is_email(value):
            raise ValueError(f"'{excerpt(value)}' is not an e-mail address")
        return value
