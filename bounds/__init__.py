"""Bounds on what people and scripts hand MOps Flow: size limits and linear-time checks.

The lowest layer: it imports nothing of ours (nor anything outside the standard
library), so the language checker, the campaign inside Temporal's workflow
sandbox, the client side and the workers all use the same checks and the same
limits (docs/security.md, "Limits"). Every check here takes time in proportion
to its input, whatever the input.
"""

from bounds._address import CONTROL, excerpt, is_email, mailbox

__all__ = ["CONTROL", "excerpt", "is_email", "mailbox"]
