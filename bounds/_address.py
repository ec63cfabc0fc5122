"""E-mail addresses as people write them, checked in one pass over the text.

The one address check of MOps Flow: the language checker (an ``email`` default
or literal, the team directory), the campaign (an ``email`` input or result)
and the workers (``email.send``) all use it.

``jane@acme.com`` or ``Jane Doe <jane@acme.com>`` (the name may be quoted). A
length limit comes first and the rest is a single scan, so a hostile value of
any size is refused in time proportional to it: the standard library's
``getaddresses`` recurses once per ``(`` (a ``RecursionError`` at about 1,000),
and a regular expression with nested repeats can take quadratic time.
"""

from __future__ import annotations

import re

__all__ = ["CONTROL", "excerpt", "is_email", "mailbox"]

CONTROL = re.compile(r"[\x00-\x1f\x7f]")
"""A control character: never in an address, a name or a subject."""

_ADDRESS_LIMIT = 254  # RFC 5321: the longest path a server must take
_LOCAL_LIMIT = 64
_MAILBOX_LIMIT = 998  # RFC 5322: the longest header line
_SPECIALS = frozenset('()<>[]:;@\\,"')
_LOCAL_REFUSED = _SPECIALS | frozenset(" \t")
_LABEL_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-")
_SHOWN = 80  # characters of a refused value quoted back


def _is_address(address: str) -> bool:
    """``local@domain`` with a plain local part and a domain of DNS labels (one pass)."""
    if len(address) > _ADDRESS_LIMIT or address.count("@") != 1:
        return False
    local, domain = address.split("@")
    if not local or len(local) > _LOCAL_LIMIT or any(c in _LOCAL_REFUSED for c in local):
        return False
    labels = domain.split(".")
    return all(
        0 < len(label) <= 63
        and label[0] != "-"
        and label[-1] != "-"
        and all(c in _LABEL_CHARS for c in label)
        for label in labels
    )


def is_email(text: str) -> bool:
    """Whether ``text`` is a bare address of the language's ``email`` type.

    ``local@domain.tld``: the one-pass check of :func:`mailbox` with a dot in the
    domain, as the type has always asked. Linear in the length of ``text``.
    """
    return CONTROL.search(text) is None and _is_address(text) and "." in text.rpartition("@")[2]


def _is_display_name(name: str) -> bool:
    """A quoted string, or words without the characters RFC 5322 reserves (one pass)."""
    if len(name) >= 2 and name[0] == name[-1] == '"':
        escaped = False
        for char in name[1:-1]:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                return False
        return not escaped
    return not any(c in _SPECIALS for c in name)


def excerpt(text: str, limit: int = _SHOWN) -> str:
    """``text`` as a message quotes it: cut after ``limit`` characters, saying how long."""
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} characters)"


def _refused(value: str) -> ValueError:
    return ValueError(f"'{excerpt(value)}' is not an e-mail address")


def mailbox(value: str) -> str:
    """The bare address in ``value`` (``a@b.com`` or ``Name <a@b.com>``).

    Linear in the length of ``value``, and refused at once beyond 998 characters.

    Raises:
        ValueError: ``value`` is not exactly one e-mail address.
    """
    if len(value) > _MAILBOX_LIMIT or CONTROL.search(value):
        raise _refused(value)
    text = value.strip()
    if text.endswith(">"):
        opening = text.rfind("<")
        if opening < 0:
            raise _refused(value)
        name, address = text[:opening].strip(), text[opening + 1 : -1]
        if not _is_display_name(name):
            raise _refused(value)
    else:
        address = text
    if not _is_address(address):
        raise _refused(value)
    return address
