"""Redaction: a secret is hidden in every form a receiver or a message may echo it in.

A careless API answers ``{"error": "bad token \\"s3cr\\u00e9t\\""}``, a proxy
puts the token into a URL-encoded ``Location``, an HTML error page escapes it,
a log line lower-cases it, an ``Authorization: Basic`` header carries it in
base64. :func:`redact` hides each of those forms, not only the value as written.

Callers redact *before* they cut a text to a length: a cut made first can leave
all but one character of a secret that no form matches any more.
"""

from __future__ import annotations

import base64
import functools
import html
import json
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, quote_plus

__all__ = ["REDACTED", "forms", "holds_secret", "redact"]

REDACTED = "[secret]"

# A base64 run shorter than this says next to nothing about a secret, and
# hiding it would blank out ordinary words.
_SHORTEST_BASE64 = 6


def _text_forms(value: str) -> set[str]:
    """``value`` as JSON (ASCII-escaped or not), URL and HTML would write it."""
    found = {
        json.dumps(value, ensure_ascii=True)[1:-1],
        json.dumps(value, ensure_ascii=False)[1:-1],
        quote(value, safe=""),
        quote(value),
        quote_plus(value),
        html.escape(value),
        html.escape(value, quote=False),
        # Other spellings of the same HTML entities.
        html.escape(value).replace("&#x27;", "&#39;").replace("&quot;", "&#34;"),
    }
    return found


def _base64_cores(value: str) -> set[str]:
    """The base64 characters that depend on ``value`` alone, at each of the three
    alignments it can have inside a longer encoded text (``user:secret``)."""
    raw = value.encode("utf-8")
    found: set[str] = set()
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + raw).decode("ascii")
        first = -(-8 * offset // 6)  # the first character made of secret bits only
        last = 8 * (offset + len(raw)) // 6  # one past the last such character
        core = encoded[first:last]
        if len(core) >= _SHORTEST_BASE64:
            found.add(core)
            found.add(core.translate(str.maketrans("+/", "-_")))
    return found


@functools.lru_cache(maxsize=256)
def forms(secret: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Every form of ``secret`` to hide: (text forms matched ignoring case, base64 runs).

    Text forms are the value, its lower, upper and case-folded spellings, and
    each of them escaped as JSON, URL (also twice, and inside JSON) and HTML.
    """
    if not secret:
        return (), ()
    cased = {secret, secret.lower(), secret.upper(), secret.casefold()}
    text: set[str] = set(cased)
    for each in cased:
        once = _text_forms(each)
        text |= once
        for escaped in once:  # e.g. URL-encoded inside a JSON string
            text |= _text_forms(escaped)
    longest_first = tuple(sorted((t for t in text if t), key=len, reverse=True))
    return longest_first, tuple(sorted(_base64_cores(secret), key=len, reverse=True))


@functools.lru_cache(maxsize=64)
def _pattern(secrets: frozenset[str]) -> re.Pattern[str] | None:
    text: list[str] = []
    encoded: list[str] = []
    for secret in secrets:
        more_text, more_encoded = forms(secret)
        text += more_text
        encoded += more_encoded
    if not text:
        return None
    # Longest first, so that a form containing another is hidden whole. The
    # pattern is a list of literals: linear in the text, whatever the text is.
    parts = [re.escape(t) for t in sorted(set(text), key=len, reverse=True)]
    parts += [f"(?-i:{re.escape(e)})" for e in sorted(set(encoded), key=len, reverse=True)]
    return re.compile("|".join(parts), re.IGNORECASE)


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every form of every secret replaced by ``[secret]``."""
    pattern = _pattern(frozenset(s for s in secrets if s))
    return text if pattern is None else pattern.sub(REDACTED, text)


def holds_secret(value: Any, secrets: Iterable[str]) -> bool:
    """Whether any text in a JSON-like ``value`` (keys included) holds a form of a secret."""
    pattern = _pattern(frozenset(s for s in secrets if s))
    if pattern is None:
        return False
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if pattern.search(item):
                return True
        elif isinstance(item, dict):
            pending += item.keys()
            pending += item.values()
        elif isinstance(item, list | tuple):
            pending += item
    return False
