"""The failures an action reports on purpose, each with a kind the workflow sees.

A kind is the ``type`` of the Temporal ``ApplicationError`` the step fails
with, so an operator (and a process's ``on error``) can tell a refused
destination from a receiver that answered 404 without reading the sentence.
"""

from __future__ import annotations

from datetime import timedelta
from typing import ClassVar

__all__ = ["ActionFailed", "EgressRefused", "SecretNotAllowed"]


class ActionFailed(Exception):
    """A failure the action understands, e.g. the webhook answered 404.

    Raise it from an action instead of a bare exception: the message reaches
    the user prefixed with the step and its ``.mops`` line, and ``retryable``
    decides whether Temporal tries again. Any other exception is retried per
    the step's retry policy.
    """

    kind: ClassVar[str] = "ActionFailed"
    """The ``type`` of the ``ApplicationError`` the step fails with."""

    def __init__(
        self, message: str, *, retryable: bool, next_retry_delay: timedelta | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        self.next_retry_delay = next_retry_delay


class EgressRefused(ActionFailed):
    """The worker's egress policy refuses the address a connector was about to reach.

    Never retried: the same address will be refused again until an operator
    allows it in the worker's settings.
    """

    kind: ClassVar[str] = "EgressRefused"

    def __init__(self, message: str) -> None:
        super().__init__(message, retryable=False)


class SecretNotAllowed(ActionFailed):
    """A secret the step uses is not bound to the destination it was about to go to.

    The message names the secret and the destination, never the value.
    """

    kind: ClassVar[str] = "SecretNotAllowed"

    def __init__(self, message: str) -> None:
        super().__init__(message, retryable=False)
