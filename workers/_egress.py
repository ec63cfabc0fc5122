"""The egress policy: which addresses built-in connectors may connect to.

Server-side request forgery turns a worker into a proxy into its own network: a
process that may call any URL could reach the embedded server's API on
loopback, a database on a private address, or the cloud metadata service that
hands out the machine's credentials. So every built-in connector connects
through this module, which

1. resolves the host name itself (``getaddrinfo``),
2. refuses when *any* address it resolves to is loopback, private, link-local,
   carrier-grade NAT, multicast, unspecified, reserved or a cloud metadata
   address (IPv4 and IPv6; IPv4 inside IPv6 — mapped, compatible, NAT64, 6to4 —
   is judged as the IPv4 address it carries) and the worker's settings do not
   allow it (:class:`~workers.EgressConfig`), and
3. connects to the very address it checked, so a DNS answer that changes between
   the check and the connection (DNS rebinding) changes nothing. TLS still checks
   the certificate against the host *name*.

Redirects are never followed by the built-in connectors, and proxies from the
environment (``HTTP_PROXY``) are not used: through a proxy the worker could not
know where a request really goes.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
import typing
from collections.abc import Iterable
from functools import lru_cache

import httpcore
import httpx

from workers._config import EgressConfig
from workers._failures import EgressRefused

__all__ = ["connect_checked", "egress_client", "refusal"]

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

_METADATA = "a cloud metadata address"
# Order matters: the first network that holds an address names its kind.
_REFUSED: tuple[tuple[str, str], ...] = (
    ("169.254.169.254/32", _METADATA),  # AWS, GCP, Azure, OpenStack, Oracle, ...
    ("169.254.170.2/32", _METADATA),  # AWS ECS task credentials
    ("100.100.100.200/32", _METADATA),  # Alibaba Cloud
    ("fd00:ec2::254/128", _METADATA),  # AWS over IPv6
    ("0.0.0.0/8", "an unspecified address"),
    ("127.0.0.0/8", "a loopback address"),
    ("169.254.0.0/16", "a link-local address"),
    ("10.0.0.0/8", "a private address"),
    ("172.16.0.0/12", "a private address"),
    ("192.168.0.0/16", "a private address"),
    ("100.64.0.0/10", "a carrier-grade NAT address"),
    ("224.0.0.0/4", "a multicast address"),
    ("255.255.255.255/32", "a broadcast address"),
    ("::/128", "an unspecified address"),
    ("::1/128", "a loopback address"),
    ("fe80::/10", "a link-local address"),
    ("fec0::/10", "a site-local address"),
    ("fc00::/7", "a private (unique local) address"),
    ("ff00::/8", "a multicast address"),
    ("64:ff9b:1::/48", "a private NAT64 address"),
)
_NETWORKS: tuple[tuple[Network, str], ...] = tuple(
    (ipaddress.ip_network(net), kind) for net, kind in _REFUSED
)
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_COMPATIBLE = ipaddress.IPv6Network("::/96")


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries to an IPv4 host, if it does."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64 or (address in _COMPATIBLE and int(address) > 1):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _kind(address: Address) -> str | None:
    """Why ``address`` is refused by default, or None for a public address."""
    for network, kind in _NETWORKS:
        if address.version == network.version and address in network:
            return kind
    if not address.is_global:
        return "a reserved or non-public address"
    return None


@lru_cache(maxsize=32)
def _allowed_networks(allow: tuple[str, ...]) -> tuple[Network, ...]:
    networks = []
    for entry in allow:
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            continue
    return tuple(networks)


def _name_allowed(host: str, allow: Iterable[str]) -> bool:
    host = host.lower().rstrip(".")
    for entry in allow:
        entry = entry.lower().rstrip(".")
        if entry.startswith("*.") and host.endswith(entry[1:]):
            return True
        if host == entry:
            return True
    return False


def refusal(host: str, address: Address, policy: EgressConfig) -> str | None:
    """Why connecting to ``address`` (which ``host`` resolved to) is refused, or None.

    Args:
        host: The host name as the request names it (or the address itself).
        address: One address it resolved to.
        policy: The worker's egress settings.
    """
    inner = _embedded_ipv4(address) if isinstance(address, ipaddress.IPv6Address) else None
    judged: Address = inner if inner is not None else address
    kind = _kind(judged)
    if kind is None:
        return None
    networks = _allowed_networks(policy.allow)
    for candidate in {address, judged}:
        if any(candidate.version == n.version and candidate in n for n in networks):
            return None
    if kind != _METADATA and _name_allowed(host, policy.allow):
        return None
    shown = f"{address} (IPv4 {inner} inside IPv6)" if inner is not None else str(address)
    if _literal(host) == address:
        return f"{shown} is {kind}"
    return f"{host} resolves to {shown}, {kind}"


def _hint(host: str, address: Address) -> str:
    """How an operator would allow it: the address (IPv4 for IPv4 inside IPv6), or the name."""
    inner = _embedded_ipv4(address) if isinstance(address, ipaddress.IPv6Address) else None
    shown = inner or address
    by_name = _literal(host) is None and _kind(shown) != _METADATA
    return (
        f"a worker reaches it only when its settings allow it, e.g. MOPS_EGRESS_ALLOW={shown}"
        + (f" or MOPS_EGRESS_ALLOW={host}" if by_name else "")
    )


def _literal(host: str) -> Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def _checked(host: str, infos: Iterable[tuple[typing.Any, ...]], policy: EgressConfig) -> list[str]:
    """The distinct addresses of ``getaddrinfo`` results, if every one is allowed."""
    addresses: list[str] = []
    for info in infos:
        text = str(info[4][0]).split("%", 1)[0]  # drop an IPv6 scope
        if text not in addresses:
            addresses.append(text)
    for text in addresses:
        address = ipaddress.ip_address(text)
        reason = refusal(host, address, policy)
        if reason is not None:
            raise EgressRefused(f"{reason}; {_hint(host, address)}")
    return addresses


async def resolve_checked(host: str, port: int, policy: EgressConfig) -> list[str]:
    """The addresses of ``host``, each one allowed by ``policy``.

    Raises:
        EgressRefused: an address ``host`` resolves to is refused.
        OSError: the name does not resolve.
    """
    literal = _literal(host)
    if literal is not None:
        return _checked(host, [(0, 0, 0, "", (str(literal), port))], policy)
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return _checked(host, infos, policy)


def connect_checked(host: str, port: int, *, timeout: float, policy: EgressConfig) -> socket.socket:
    """A TCP connection to an allowed address of ``host`` (blocking; for smtplib).

    Raises:
        EgressRefused: an address ``host`` resolves to is refused.
        OSError: the name does not resolve, or no address answers.
    """
    literal = _literal(host)
    infos = (
        [(0, 0, 0, "", (str(literal), port))]
        if literal is not None
        else socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    )
    last: OSError | None = None
    for address in _checked(host, infos, policy):
        try:
            return socket.create_connection((address, port), timeout=timeout)
        except OSError as error:
            last = error
    raise last or OSError(f"{host} has no address")


class _CheckedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend, connecting only to addresses the policy allows."""

    def __init__(self, policy: EgressConfig) -> None:
        self._policy = policy
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            addresses = await resolve_checked(host, port, self._policy)
        except OSError as error:  # httpx reports it as a ConnectError: retried
            raise httpcore.ConnectError(f"cannot resolve {host}: {error}") from None
        last: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as error:
                last = error
        raise last or httpcore.ConnectError(f"{host} has no address")

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise EgressRefused("a Unix socket is never a destination of a built-in connector")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


@lru_cache(maxsize=1)
def _tls() -> ssl.SSLContext:
    # Loading the system's certificates takes tens of milliseconds: once per worker.
    return ssl.create_default_context()


class _CheckedTransport(httpx.AsyncHTTPTransport):
    def __init__(self, policy: EgressConfig) -> None:
        super().__init__(verify=_tls(), trust_env=False)
        # httpx has no argument for the network backend; its pool has. The pool
        # is built as httpx builds it, with the checking backend in it.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=_tls(),
            max_connections=10,
            network_backend=_CheckedBackend(policy),
        )


def egress_client(policy: EgressConfig, *, timeout: float) -> httpx.AsyncClient:
    """An HTTP client that connects only where ``policy`` allows, never redirects,
    and ignores proxy settings from the environment.

    A refused address raises :class:`~workers.EgressRefused` from the request.
    """
    return httpx.AsyncClient(
        transport=_CheckedTransport(policy),
        timeout=timeout,
        follow_redirects=False,
        trust_env=False,
    )
