"""Files ``mops`` writes for auditors: private, and free of the worker's secrets.

An export holds every campaign's inputs, decisions and comments. It is written
``0600`` whatever the umask, or with the mode ``MOPS_EXPORT_MODE`` gives (the
worker's ``export.csv`` and ``export.json`` take the same setting), and each text
in it passes through the worker's redaction of the secrets this machine holds
(``MOPS_SECRET_*``, ``MOPS_SECRETS_FILE``), so that a secret that reached a
history by some other way than a worker (pasted by a person as a comment) does
not reach the file either.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from pydantic import ValidationError

from engine.errors import UserError
from workers import SecretStore, WorkerConfig, settings_problem


def export_mode() -> int:
    """The mode of export files: ``MOPS_EXPORT_MODE`` (octal), else 0600.

    Raises:
        UserError: the setting is not a mode the owner can read and write.
    """
    try:
        return WorkerConfig.from_env().export_mode
    except ValidationError as error:
        raise UserError(f"worker setting: {settings_problem(error)}") from None


def known_secrets() -> list[str]:
    """The values of every secret this machine holds (never printed)."""
    file = os.environ.get("MOPS_SECRETS_FILE")
    store = SecretStore(file=Path(file) if file else None)
    return [store.get(name) for name in store.names()]


def write_export(path: Path, text: str, *, mode: int) -> None:
    """Write ``text`` to ``path`` with exactly ``mode``, whole or not at all."""
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="\n") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        temporary.chmod(mode)  # exactly: the umask plays no part
        temporary.replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
