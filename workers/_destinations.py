"""Where a secret may be sent: destinations written as URLs, and the check before sending.

Each secret names the destinations it may go to, e.g. ``https://cms.acme.com/api``:

* the **scheme** must be the same (a secret bound to ``https`` never goes out over
  ``http``);
* the **host** must be the same, ignoring case; ``*.acme.com`` stands for every
  host under ``acme.com`` (not ``acme.com`` itself);
* the **port**, when written, must be the same; when not, it is the scheme's
  standard port (80, 443; for ``smtp`` any of 25, 465 and 587), as for a web origin;
* a **path**, when written, is a prefix that ends at a ``/``: ``/api`` allows
  ``/api`` and ``/api/v2/posts``, not ``/apix``. A request path with a ``.`` or
  ``..`` segment (also percent-encoded) matches no prefix.

A secret with no destination goes nowhere: the step fails with a message that
says how to bind it. Messages name the secret and the refused destination,
never the value.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import unquote, urlsplit

import httpx

from workers._failures import SecretNotAllowed

__all__ = ["Destination", "check_secrets_may_go", "parse_destinations", "shown_target"]

_DEFAULT_PORTS: dict[str, frozenset[int]] = {
    "http": frozenset({80}),
    "https": frozenset({443}),
    "smtp": frozenset({25, 465, 587}),
}
_ENV_PREFIX = "MOPS_SECRET_"
_SEND_TO = "_SEND_TO"


@dataclass(frozen=True, kw_only=True)
class Destination:
    """One place a secret may be sent: scheme, host, optional port and path prefix."""

    scheme: str
    host: str
    """ASCII (IDNA) and lower case; ``*.`` in front stands for any host below."""
    port: int | None
    path: str
    """A prefix without a trailing ``/``; empty for every path."""

    @classmethod
    def parse(cls, text: str) -> Destination:
        """A destination from its URL form, e.g. ``https://api.acme.com/v2``.

        Raises:
            ValueError: ``text`` is not such a URL; the message says why.
        """
        parts = urlsplit(text.strip())
        scheme = parts.scheme.lower()
        if scheme not in _DEFAULT_PORTS:
            raise ValueError(f"'{text}' must start with http://, https:// or smtp://")
        if parts.username is not None or parts.query or parts.fragment:
            raise ValueError(f"'{text}' must not have a user, a query or a fragment")
        try:
            port = parts.port
        except ValueError:
            raise ValueError(f"'{text}' has an invalid port") from None
        host = (parts.hostname or "").rstrip(".")
        wildcard = host.startswith("*.")
        bare = host[2:] if wildcard else host
        if not bare or "*" in bare:
            raise ValueError(f"'{text}' has no host ('*.' may only start it)")
        try:
            ascii_host = httpx.URL(f"http://{_bracketed(bare)}/").raw_host.decode("ascii")
        except (httpx.InvalidURL, UnicodeError):
            raise ValueError(f"'{text}' has an invalid host") from None
        if scheme == "smtp" and parts.path not in ("", "/"):
            raise ValueError(f"'{text}': an smtp destination has no path")
        return cls(
            scheme=scheme,
            host=("*." if wildcard else "") + ascii_host.lower(),
            port=port,
            path=parts.path.rstrip("/"),
        )

    def allows(self, *, scheme: str, host: str, port: int, path: str) -> bool:
        """Whether a request to ``scheme://host:port/path`` may carry the secret."""
        if scheme != self.scheme:
            return False
        if self.host.startswith("*."):
            if not host.endswith(self.host[1:]):
                return False
        elif host != self.host:
            return False
        if port not in ({self.port} if self.port is not None else _DEFAULT_PORTS[scheme]):
            return False
        if not self.path:
            return True
        segments = unquote(path).split("/")
        if "." in segments or ".." in segments:
            return False
        return path == self.path or path.startswith(self.path + "/")

    def __str__(self) -> str:
        port = f":{self.port}" if self.port is not None else ""
        return f"{self.scheme}://{_bracketed(self.host)}{port}{self.path}"


def _bracketed(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def parse_destinations(texts: Iterable[str], *, where: str) -> tuple[Destination, ...]:
    """Every destination in ``texts``, or a ValueError prefixed with ``where``."""
    found = []
    for text in texts:
        try:
            found.append(Destination.parse(text))
        except ValueError as error:
            raise ValueError(f"{where}: {error}") from None
    return tuple(found)


class Bindings(Protocol):
    """What the check needs of a secret store: each secret's destinations."""

    def destinations(self, name: str) -> tuple[Destination, ...]: ...


def shown_target(url: httpx.URL) -> tuple[str, str, int, str, str]:
    """(scheme, host, port, path, text) of a request target; the text has no query."""
    scheme = url.scheme
    host = url.raw_host.decode("ascii").lower().rstrip(".")
    port = url.port or min(_DEFAULT_PORTS.get(scheme, frozenset({0})))
    path = url.raw_path.decode("ascii").split("?", 1)[0] or "/"
    return scheme, host, port, path, f"{scheme}://{_bracketed(host)}:{port}{path}"


def check_secrets_may_go(
    store: Bindings,
    secrets: Mapping[str, str] | Iterable[str],
    target: str | httpx.URL,
    *,
    show_path: bool = True,
) -> None:
    """Refuse when a named secret is not bound to ``target`` (a URL; ``smtp://host:port``).

    Args:
        store: Where each secret's destinations are written.
        secrets: The names of the secrets the request uses.
        target: Where the request goes.
        show_path: Name the path in the message (not when the URL is a secret).

    Raises:
        SecretNotAllowed: the first secret that may not go there.
    """
    url = httpx.URL(target) if isinstance(target, str) else target
    scheme, host, port, path, shown = shown_target(url)
    if not show_path:
        shown = shown.removesuffix(path)
    for name in sorted(secrets):
        bound = store.destinations(name)
        if not bound:
            variable = f"{_ENV_PREFIX}{name.upper()}{_SEND_TO}"
            raise SecretNotAllowed(
                f"secret '{name}' is not bound to any destination, so this worker sends it "
                f'nowhere (refused: {shown}): bind it with {variable}="{scheme}://{host}" '
                f"or send_to = [...] in its entry of the secrets file"
            )
        if not any(d.allows(scheme=scheme, host=host, port=port, path=path) for d in bound):
            allowed = ", ".join(str(d) for d in bound)
            raise SecretNotAllowed(
                f"secret '{name}' may not be sent to {shown}: it is bound to {allowed}"
            )
