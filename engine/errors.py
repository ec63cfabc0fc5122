"""Errors that are the user's to fix, shown as one clear line by the CLI."""

from __future__ import annotations


class UserError(Exception):
    """A mistake in a file, an input, an argument or the environment.

    The CLI prints ``str(error)`` (no traceback) and exits with ``exit_code``.
    """

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if self.hint is None else f"{self.message}\n  hint: {self.hint}"


class ServerUnreachable(UserError):
    """No Temporal server answers at the configured (or embedded) address."""

    exit_code = 3
