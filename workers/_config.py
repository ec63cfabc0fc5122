"""How a worker reaches the outside world: SMTP, the export folder, secrets.

One validated object, read once when the worker starts; actions see it as
``ctx.config``. Every setting comes from an environment variable so that a
worker is configured the same way on a laptop, in a container or in CI.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

__all__ = ["SmtpConfig", "WorkerConfig", "settings_problem"]


_VARIABLES = {
    ("smtp", "host"): "MOPS_SMTP_HOST",
    ("smtp", "port"): "MOPS_SMTP_PORT",
    ("smtp", "security"): "MOPS_SMTP_SECURITY",
    ("smtp", "username"): "MOPS_SMTP_USERNAME",
    ("smtp", "password_secret"): "MOPS_SMTP_PASSWORD_SECRET",
    ("smtp", "sender"): "MOPS_SMTP_SENDER",
    ("smtp", "timeout_seconds"): "MOPS_SMTP_TIMEOUT",
    ("export_dir",): "MOPS_EXPORT_DIR",
    ("secrets_file",): "MOPS_SECRETS_FILE",
    ("webhook_secret",): "MOPS_WEBHOOK_SECRET",
    ("directory_file",): "MOPS_DIRECTORY",
}


def settings_problem(error: ValidationError) -> str:
    """The first invalid worker setting, named by its environment variable."""
    detail = error.errors(include_url=False)[0]
    location = tuple(str(part) for part in detail["loc"])
    variable = _VARIABLES.get(location, ".".join(location) or "the settings")
    shown = detail.get("input")
    return (
        f"{variable}={shown!r}: {detail['msg']}"
        if isinstance(shown, str)
        else (f"{variable}: {detail['msg']}")
    )


class SmtpConfig(BaseModel):
    """The mail server ``email.send`` and e-mail notifications use."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    host: str = "127.0.0.1"
    port: int = Field(default=25, ge=1, le=65535)
    security: Literal["none", "starttls", "tls"] = "none"
    username: str | None = None
    password_secret: str | None = None
    """The *name* of the secret holding the password (never the password itself)."""
    sender: str = "MOps Flow <mops@localhost>"
    timeout_seconds: float = Field(default=30.0, gt=0)


class WorkerConfig(BaseModel):
    """Everything a worker's built-in actions need to know about their environment."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    smtp: SmtpConfig = SmtpConfig()
    export_dir: Path = Path("exports")
    """Where ``export.csv`` and ``export.json`` write their files."""
    secrets_file: Path | None = None
    webhook_secret: str | None = None
    """The name of the secret that signs ``webhook.post`` requests by default."""
    directory_file: Path | None = None
    """The team directory (people, roles, preferences) notifications use."""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> WorkerConfig:
        """The configuration from ``MOPS_*`` environment variables.

        Raises:
            pydantic.ValidationError: a variable has an invalid value.
        """
        env = os.environ if env is None else env
        smtp: dict[str, object] = {}
        for key, variable in (
            ("host", "MOPS_SMTP_HOST"),
            ("port", "MOPS_SMTP_PORT"),
            ("security", "MOPS_SMTP_SECURITY"),
            ("username", "MOPS_SMTP_USERNAME"),
            ("password_secret", "MOPS_SMTP_PASSWORD_SECRET"),
            ("sender", "MOPS_SMTP_SENDER"),
            ("timeout_seconds", "MOPS_SMTP_TIMEOUT"),
        ):
            if variable in env:
                smtp[key] = env[variable]
        values: dict[str, object] = {"smtp": smtp}
        for key, variable in (
            ("export_dir", "MOPS_EXPORT_DIR"),
            ("secrets_file", "MOPS_SECRETS_FILE"),
            ("webhook_secret", "MOPS_WEBHOOK_SECRET"),
            ("directory_file", "MOPS_DIRECTORY"),
        ):
            if env.get(variable):
                values[key] = env[variable]
        return cls.model_validate(values)
