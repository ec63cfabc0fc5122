"""Secrets: named in process files, resolved only inside the worker, bound to destinations.

A process refers to a secret by name (``secret("cms_token")``); the workflow
passes only the reference ``{"$secret": "cms_token"}``, so the value never
enters Temporal's history. The worker resolves references just before the
action runs, from an environment variable ``MOPS_SECRET_<NAME>`` or from the
secrets file, and scrubs the values out of every error message and log line
the action produces.

Each secret also names where it may be sent (see :mod:`workers._destinations`)::

    # the secrets file (TOML, chmod 600)
    [cms_token]
    value = "tok_live_..."
    send_to = ["https://cms.acme.com/api"]

    # or in the environment
    MOPS_SECRET_CMS_TOKEN=tok_live_...
    MOPS_SECRET_CMS_TOKEN_SEND_TO="https://cms.acme.com/api https://cms-eu.acme.com/api"

The older file format, ``cms_token = "tok_live_..."``, is still read: such a
secret is bound to no destination, and a connector refuses to send it anywhere
with a message that says how to bind it. The worker logs a warning naming
every such secret when it reads the file.
"""

from __future__ import annotations

import logging
import os
import stat
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from engine.contracts import SECRET_MARKER
from engine.errors import UserError
from workers._destinations import Destination, parse_destinations
from workers._redact import REDACTED, redact

__all__ = ["REDACTED", "SECRET_MARKER", "SecretMissing", "SecretStore", "redact"]

_ENV_PREFIX = "MOPS_SECRET_"
_SEND_TO = "_SEND_TO"
_ENTRY_KEYS = frozenset({"value", "send_to"})
_log = logging.getLogger("mops.worker")


class SecretMissing(LookupError):
    """A process names a secret this worker does not have."""

    def __init__(self, name: str) -> None:
        super().__init__(
            f"secret '{name}' is not configured on this worker: set {_ENV_PREFIX}{name.upper()} "
            "or add it to the secrets file"
        )
        self.name = name


class SecretStore:
    """Where a worker looks secrets up: the environment first, then the secrets file."""

    def __init__(self, *, env: Mapping[str, str] | None = None, file: Path | None = None) -> None:
        """Read the secrets and their destinations once.

        Raises:
            UserError: the secrets file is missing, unreadable, open to others or
                malformed, or a destination is not a valid URL.
        """
        self._env = dict(os.environ if env is None else env)
        self._file_values: dict[str, str] = {}
        self._file_destinations: dict[str, tuple[Destination, ...]] = {}
        if file is not None:
            self._file_values, self._file_destinations = _read_file(file)
        self._env_destinations = _env_destinations(self._env)
        self.file = file

    def get(self, name: str) -> str:
        """The value of secret ``name``.

        Raises:
            SecretMissing: no such secret.
        """
        value = self._env.get(_ENV_PREFIX + name.upper())
        if value is None:
            value = self._file_values.get(name)
        if value is None:
            raise SecretMissing(name)
        return value

    def destinations(self, name: str) -> tuple[Destination, ...]:
        """Where secret ``name`` may be sent; empty when it is bound nowhere.

        The destinations come from where the value comes from: a value from the
        environment takes ``MOPS_SECRET_<NAME>_SEND_TO``, one from the file its entry.
        """
        if _ENV_PREFIX + name.upper() in self._env:
            return self._env_destinations.get(name, ())
        return self._file_destinations.get(name, ())

    def names(self) -> list[str]:
        """Every secret name this worker can resolve (never their values)."""
        from_env = [
            k[len(_ENV_PREFIX) :].lower()
            for k in self._env
            if k.startswith(_ENV_PREFIX) and not k.endswith(_SEND_TO)
        ]
        return sorted({*from_env, *self._file_values})

    def resolve(self, value: Any, used: set[str], names: dict[str, str] | None = None) -> Any:
        """``value`` with every secret reference replaced by the secret.

        Args:
            value: Task arguments as JSON-like data.
            used: Receives every value resolved, so that it can be scrubbed from messages.
            names: Receives ``name -> value`` of every secret resolved, so that
                connectors can check where each may go.

        Raises:
            SecretMissing: a referenced secret is not configured.
        """
        if isinstance(value, dict):
            if set(value) == {SECRET_MARKER} and isinstance(value[SECRET_MARKER], str):
                name = value[SECRET_MARKER]
                secret = self.get(name)
                used.add(secret)
                if names is not None:
                    names[name] = secret
                return secret
            return {k: self.resolve(v, used, names) for k, v in value.items()}
        if isinstance(value, list):
            return [self.resolve(v, used, names) for v in value]
        return value


def _env_destinations(env: Mapping[str, str]) -> dict[str, tuple[Destination, ...]]:
    found = {}
    for variable, text in env.items():
        if variable.startswith(_ENV_PREFIX) and variable.endswith(_SEND_TO):
            name = variable[len(_ENV_PREFIX) : -len(_SEND_TO)].lower()
            try:
                found[name] = parse_destinations(text.replace(",", " ").split(), where=variable)
            except ValueError as error:
                raise UserError(
                    str(error), hint="write one or more URLs such as https://api.acme.com/v2"
                ) from None
    return found


def _read_file(path: Path) -> tuple[dict[str, str], dict[str, tuple[Destination, ...]]]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(f"secrets file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as error:
        raise UserError(f"secrets file {path} cannot be read: {error}") from None
    except tomllib.TOMLDecodeError as error:
        # The message names a line and column, never the file's content.
        raise UserError(f"secrets file {path} is not valid TOML: {error}") from None
    if os.name == "posix" and path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise UserError(
            f"secrets file {path} can be read by other users",
            hint=f"chmod 600 {path}",
        )
    table = data.get("secrets", data)
    values: dict[str, str] = {}
    destinations: dict[str, tuple[Destination, ...]] = {}
    bad: list[str] = []
    for name, entry in table.items():
        if isinstance(entry, str):  # the older format: bound nowhere
            values[name] = entry
        elif isinstance(entry, dict) and _is_entry(entry):
            values[name] = entry["value"]
            try:
                destinations[name] = parse_destinations(
                    entry.get("send_to", []), where=f"secrets file {path}: {name}.send_to"
                )
            except ValueError as error:
                raise UserError(str(error)) from None
        else:
            bad.append(name)
    if bad:
        raise UserError(
            f'secrets file {path}: each secret is text or a table with value = "..." and '
            f"send_to = [...]; not so for: {', '.join(bad)}"
        )
    unbound = sorted(n for n in values if not destinations.get(n))
    if unbound:
        _log.warning(
            "secrets file %s: %s bound to no destination, so no connector sends %s anywhere; "
            'write each as [name] value = "..." send_to = ["https://host/path"] '
            "(see docs/security.md)",
            path,
            ", ".join(unbound),
            "it" if len(unbound) == 1 else "them",
        )
    return values, destinations


def _is_entry(entry: dict[str, Any]) -> bool:
    return (
        set(entry) <= _ENTRY_KEYS
        and isinstance(entry.get("value"), str)
        and isinstance(entry.get("send_to", []), list)
        and all(isinstance(d, str) for d in entry.get("send_to", []))
    )
