"""The approve-by-email link a notice about a work item or approval carries into the
people's app, beside its task page (:mod:`workers.builtins._notice_text`): signed,
single-use and expiring, for the person it is sent to (the app shows a confirmation
page; only its button decides)."""

from __future__ import annotations

from pathlib import Path

from engine.client import email_link
from workers._action import ActionContext

_KEYS: dict[Path, bytes] = {}


def _key(path: Path) -> bytes | None:
    if path not in _KEYS:
        try:
            data = path.read_bytes()
        except OSError:
            return None  # the app has not made it yet: the notice carries the task link only
        if len(data) < 32:
            return None
        _KEYS[path] = data
    return _KEYS[path]


def email_link_lines(ctx: ActionContext, person: str | None) -> list[str]:
    """The approve-by-email line of a notice to ``person`` (none without the app, its
    link key or a person to sign the link for)."""
    app = ctx.config.app_url
    if ctx.notice is None or not app or person is None or not ctx.config.link_key_file:
        return []
    key = _key(ctx.config.link_key_file)
    if key is None:
        return []
    link = email_link(key, app, campaign=ctx.campaign_id, step=ctx.notice.step, person=person)
    return [f"Approve or reject from this e-mail (you confirm on the page): {link}"]
