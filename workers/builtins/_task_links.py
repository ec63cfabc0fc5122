"""The links a notice about a work item or approval carries into the people's app: its
task page, and a signed, single-use, expiring approve-by-email link for the person it
is sent to (the app shows a confirmation page; only its button decides)."""

from __future__ import annotations

from pathlib import Path

from engine.client import email_link, task_url
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


def task_links(ctx: ActionContext, person: str | None) -> list[str]:
    """Lines to add to a notice about a work item or approval (none without the app)."""
    app = ctx.config.app_url
    if ctx.notice is None or not app:
        return []
    lines = ["", f"Open the task: {task_url(app, ctx.campaign_id, ctx.notice.step)}"]
    key = _key(ctx.config.link_key_file) if ctx.config.link_key_file else None
    if person is not None and key is not None:
        link = email_link(key, app, campaign=ctx.campaign_id, step=ctx.notice.step, person=person)
        lines.append(f"Approve or reject from this e-mail (you confirm on the page): {link}")
    return lines
