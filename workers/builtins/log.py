"""``log.info``: write a line to the worker's log from a process."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from workers._action import ActionContext, action

__all__ = ["LogParams", "LogResult", "info"]


class LogParams(BaseModel):
    """Arguments of ``log.info``."""

    model_config = ConfigDict(extra="forbid")

    message: str = Field(description="The line to write.")
    fields: dict[str, Any] | None = Field(
        default=None, description="Structured values logged with the line."
    )


class LogResult(BaseModel):
    """What ``log.info`` returns."""

    logged: bool = Field(description="False when the worker's log level drops info lines.")
    logged_at: datetime = Field(description="When the line was written.")


@action("log.info", description="Write a line to the worker's log")
async def info(params: LogParams, ctx: ActionContext) -> LogResult:
    """Log ``message`` at info level with the step's context and ``fields``."""
    # Under one key, so a user's field can never clash with a LogRecord attribute.
    ctx.logger.info("%s", params.message, extra={"fields": params.fields or {}})
    return LogResult(
        logged=ctx.logger.isEnabledFor(logging.INFO),
        logged_at=datetime.now(UTC),
    )
