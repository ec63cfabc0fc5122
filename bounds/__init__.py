"""Bounds on what people and scripts hand MOps Flow: size limits and linear-time checks.

The lowest layer: it imports nothing of ours (nor anything outside the standard
library), so the language checker, the campaign inside Temporal's workflow
sandbox, the client side and the workers all use the same checks and the same
limits (docs/security.md, "Limits"). Every check here takes time in proportion
to its input, whatever the input.
"""

from bounds._address import CONTROL, excerpt, is_email, mailbox
from bounds._currency import ISO_4217, is_currency
from bounds._limits import (
    EARLY_EVENT_BYTES,
    EARLY_EVENTS,
    MAX_COMMENT,
    MAX_DEPTH,
    MAX_DIGITS,
    MAX_ITEMS,
    MAX_MAGNITUDE,
    MAX_NAME,
    MAX_PAYLOAD,
    MAX_TEXT,
    MAX_TITLE,
    RENEW_HISTORY_BYTES,
    TooLarge,
    size_problem,
    sized,
)

__all__ = [
    "CONTROL",
    "EARLY_EVENTS",
    "EARLY_EVENT_BYTES",
    "ISO_4217",
    "MAX_COMMENT",
    "MAX_DEPTH",
    "MAX_DIGITS",
    "MAX_ITEMS",
    "MAX_MAGNITUDE",
    "MAX_NAME",
    "MAX_PAYLOAD",
    "MAX_TEXT",
    "MAX_TITLE",
    "RENEW_HISTORY_BYTES",
    "TooLarge",
    "excerpt",
    "is_currency",
    "is_email",
    "mailbox",
    "size_problem",
    "sized",
]
