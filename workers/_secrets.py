"""Secrets: named in process files, resolved only inside the worker.

A process refers to a secret by name (``secret("cms_token")``); the workflow
passes only the reference ``{"$secret": "cms_token"}``, so the value never
enters Temporal's history. The worker resolves references just before the
action runs, from an environment variable ``MOPS_SECRET_<NAME>`` or from the
secrets file (TOML, ``name = "value"``), and scrubs the values out of every
error message and log line the action produces.
"""

from __future__ import annotations

import os
import stat
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from engine.contracts import SECRET_MARKER
from engine.errors import UserError

__all__ = ["SECRET_MARKER", "SecretMissing", "SecretStore", "redact"]

_ENV_PREFIX = "MOPS_SECRET_"
REDACTED = "[secret]"


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
        self._env = dict(os.environ if env is None else env)
        self._file_values: dict[str, str] = _read_file(file) if file is not None else {}
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

    def names(self) -> list[str]:
        """Every secret name this worker can resolve (never their values)."""
        from_env = [k[len(_ENV_PREFIX) :].lower() for k in self._env if k.startswith(_ENV_PREFIX)]
        return sorted({*from_env, *self._file_values})

    def resolve(self, value: Any, used: set[str]) -> Any:
        """``value`` with every secret reference replaced by the secret; the values
        used are added to ``used`` so that they can be scrubbed from messages.

        Raises:
            SecretMissing: a referenced secret is not configured.
        """
        if isinstance(value, dict):
            if set(value) == {SECRET_MARKER} and isinstance(value[SECRET_MARKER], str):
                secret = self.get(value[SECRET_MARKER])
                used.add(secret)
                return secret
            return {k: self.resolve(v, used) for k, v in value.items()}
        if isinstance(value, list):
            return [self.resolve(v, used) for v in value]
        return value


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret value replaced by ``[secret]``."""
    # Longest first, so a secret that contains another is hidden whole.
    for secret in sorted(secrets, key=len, reverse=True):
        if secret:
            text = text.replace(secret, REDACTED)
    return text


def _read_file(path: Path) -> dict[str, str]:
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
    bad = [k for k, v in table.items() if not isinstance(v, str)]
    if bad:
        raise UserError(f"secrets file {path}: values must be text, not for: {', '.join(bad)}")
    return dict(table)
