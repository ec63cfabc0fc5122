"""Links into the people's app that notices carry: the task page, and approve-by-email.

An approve-by-email link is signed (HMAC-SHA256 with the installation's link key,
which the workers that send notices and the app share), names one person, one
campaign and one step, expires, and carries a single-use id that the app records
when the link decides. Opening it shows a confirmation page; only the button on
that page decides (mail scanners open links).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, ValidationError

LINK_DAYS = 7.0
"""How long an approve-by-email link stays valid unless the app says otherwise."""


class LinkClaim(BaseModel):
    """What an approve-by-email link vouches for."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    campaign: str
    step: str
    person: str
    nonce: str
    expires: dt.datetime


class BadLink(Exception):
    """A link that was changed, is not ours, or has expired; the reason in words."""


def link_key_path(state_dir: Path, env: Mapping[str, str] | None = None) -> Path:
    """Where the link key is: ``MOPS_LINK_KEY_FILE``, else ``keys/links.key`` in the state
    folder (made on first use by the app)."""
    env = os.environ if env is None else env
    named = env.get("MOPS_LINK_KEY_FILE")
    return Path(named).expanduser() if named else state_dir / "keys" / "links.key"


def task_url(base_url: str, campaign: str, step: str) -> str:
    """The task page of an open step."""
    return f"{base_url.rstrip('/')}/tasks/{quote(campaign, safe='')}/{quote(step, safe='')}"


def email_link(
    key: bytes,
    base_url: str,
    *,
    campaign: str,
    step: str,
    person: str,
    now: dt.datetime | None = None,
    days: float = LINK_DAYS,
) -> str:
    """A signed, expiring, single-use approve-by-email link for ``person``."""
    claim = LinkClaim(
        campaign=campaign,
        step=step,
        person=person,
        nonce=secrets.token_hex(12),
        expires=(now or dt.datetime.now(dt.UTC)) + dt.timedelta(days=days),
    )
    body = _b64(json.dumps(claim.model_dump(mode="json"), separators=(",", ":")).encode())
    return f"{base_url.rstrip('/')}/email/{body}.{_b64(_mac(key, body))}"


def read_link(key: bytes, token: str, *, now: dt.datetime | None = None) -> LinkClaim:
    """The claim of a link token (the last part of its URL).

    Raises:
        BadLink: changed, not signed with this key, unreadable or expired.
    """
    body, dot, mac = token.partition(".")
    if not dot or not hmac.compare_digest(_b64(_mac(key, body)), mac):
        raise BadLink("this link is not valid: it was changed or is not from this app")
    try:
        claim = LinkClaim.model_validate_json(
            base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        )
    except (ValueError, ValidationError):
        raise BadLink("this link cannot be read") from None
    if (now or dt.datetime.now(dt.UTC)) >= claim.expires:
        raise BadLink("this link has expired: open the task in the app instead")
    return claim


def _mac(key: bytes, body: str) -> bytes:
    return hmac.new(key, b"mops-link:" + body.encode(), hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")
