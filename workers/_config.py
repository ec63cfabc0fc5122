"""How a worker reaches the outside world: SMTP, the export folder, secrets, egress.

One validated object, read once when the worker starts; actions see it as
``ctx.config``. Every setting comes from an environment variable so that a
worker is configured the same way on a laptop, in a container or in CI.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator

from engine.errors import UserError

__all__ = ["EgressConfig", "SmtpConfig", "WorkerConfig", "settings_problem"]


_VARIABLES = {
    ("smtp", "host"): "MOPS_SMTP_HOST",
    ("smtp", "port"): "MOPS_SMTP_PORT",
    ("smtp", "security"): "MOPS_SMTP_SECURITY",
    ("smtp", "username"): "MOPS_SMTP_USERNAME",
    ("smtp", "password_secret"): "MOPS_SMTP_PASSWORD_SECRET",
    ("smtp", "sender"): "MOPS_SMTP_SENDER",
    ("smtp", "timeout_seconds"): "MOPS_SMTP_TIMEOUT",
    ("export_dir",): "MOPS_EXPORT_DIR",
    ("export_mode",): "MOPS_EXPORT_MODE",
    ("egress", "allow"): "MOPS_EGRESS_ALLOW",
    ("secrets_file",): "MOPS_SECRETS_FILE",
    ("webhook_secret",): "MOPS_WEBHOOK_SECRET",
    ("directory_file",): "MOPS_DIRECTORY",
    ("app_url",): "MOPS_APP_URL",
    ("link_key_file",): "MOPS_LINK_KEY_FILE",
}


def settings_problem(error: ValidationError) -> str:
    """The first invalid worker setting, named by its environment variable."""
    detail = error.errors(include_url=False)[0]
    # A list item's index is not part of the variable's name.
    location = tuple(str(part) for part in detail["loc"] if not isinstance(part, int))
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


def _split(value: object) -> object:
    # The environment gives one text: entries separated by commas or spaces.
    return tuple(value.replace(",", " ").split()) if isinstance(value, str) else value


def _octal(value: object) -> object:
    if isinstance(value, str):
        try:
            return int(value, 8)
        except ValueError:
            raise ValueError("must be an octal file mode such as 600 or 640") from None
    return value


class EgressConfig(BaseModel):
    """Where built-in connectors may connect beyond the public internet.

    Every built-in connector (HTTP, webhooks, SMTP, chat notifications) refuses
    loopback, private, link-local, carrier-grade NAT, multicast, unspecified,
    reserved and cloud metadata addresses, after resolving the host name, unless
    an entry here allows them. An entry is an address or network
    (``127.0.0.1``, ``10.20.0.0/16``, ``fd00::/8``) or a host name
    (``crm.internal``; ``*.corp.acme.com`` for every host below it). A name
    allows whatever it resolves to except cloud metadata addresses, which only
    an address or network entry can allow.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    allow: Annotated[tuple[str, ...], BeforeValidator(_split)] = ()

    @field_validator("allow")
    @classmethod
    def _entries(cls, entries: tuple[str, ...]) -> tuple[str, ...]:
        for entry in entries:
            try:
                ipaddress.ip_network(entry, strict=False)
                continue
            except ValueError:
                pass
            name = entry.lower().removeprefix("*.").rstrip(".")
            labels = name.split(".")
            if not name or not all(
                label and len(label) <= 63 and label.replace("-", "").isalnum() and label.isascii()
                for label in labels
            ):
                raise ValueError(
                    f"'{entry}' is neither an address, a network (10.0.0.0/8) nor a host name"
                )
        return tuple(entries)


class WorkerConfig(BaseModel):
    """Everything a worker's built-in actions need to know about their environment."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    smtp: SmtpConfig = SmtpConfig()
    export_dir: Path = Path("exports")
    """Where ``export.csv`` and ``export.json`` write their files."""
    export_mode: Annotated[int, BeforeValidator(_octal)] = 0o600
    """The permissions of export files (the folder gets the matching x bits)."""
    egress: EgressConfig = EgressConfig()
    """Which non-public addresses the built-in connectors may reach."""
    secrets_file: Path | None = None
    webhook_secret: str | None = None
    """The name of the secret that signs ``webhook.post`` requests by default."""
    directory_file: Path | None = None
    """The team directory (people, roles, preferences) notifications use."""
    app_url: str | None = None
    """Where people reach the people's app (``mops serve``): notices about a work item
    or approval then carry a link to its task page, and an approve-by-email link."""
    link_key_file: Path | None = None
    """The key approve-by-email links are signed with, shared with the app (default:
    ``keys/links.key`` in the state folder, which the app makes)."""

    @field_validator("app_url")
    @classmethod
    def _app_url(cls, url: str | None) -> str | None:
        if url is None:
            return None
        scheme, sep, rest = url.partition("://")
        if scheme not in ("http", "https") or not sep or not rest.strip("/") or " " in url:
            raise ValueError("must be the web address of the people's app, https://...")
        return url.rstrip("/")

    notify_mode: Literal["send", "log"] = "send"
    """``log`` (``MOPS_NOTIFY=log``): notices are written to the worker's log, not sent."""

    @field_validator("export_mode")
    @classmethod
    def _mode(cls, mode: int) -> int:
        if not 0 <= mode <= 0o777:
            raise ValueError("must be an octal file mode from 000 to 777")
        if mode & 0o600 != 0o600:
            raise ValueError("must let the owner read and write (6 in the first digit)")
        return mode

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
        if env.get("MOPS_EGRESS_ALLOW"):
            values["egress"] = {"allow": env["MOPS_EGRESS_ALLOW"]}
        for key, variable in (
            ("export_dir", "MOPS_EXPORT_DIR"),
            ("export_mode", "MOPS_EXPORT_MODE"),
            ("secrets_file", "MOPS_SECRETS_FILE"),
            ("webhook_secret", "MOPS_WEBHOOK_SECRET"),
            ("directory_file", "MOPS_DIRECTORY"),
            ("app_url", "MOPS_APP_URL"),
            ("link_key_file", "MOPS_LINK_KEY_FILE"),
            ("notify_mode", "MOPS_NOTIFY"),
        ):
            if env.get(variable):
                values[key] = env[variable]
        if "app_url" in values and "link_key_file" not in values:
            from engine.client import Settings, link_key_path

            with contextlib.suppress(UserError):
                values["link_key_file"] = link_key_path(Settings.from_env(env).state_dir, env)
        return cls.model_validate(values)
