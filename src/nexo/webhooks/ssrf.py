"""Keep webhook deliveries away from internal networks (SSRF guard).

A webhook URL is chosen by a tenant, and our workers run inside our network, so without a guard a
tenant could make us POST to `http://169.254.169.254/` (cloud credentials), to an admin port on
localhost or to anything on the private LAN. Checking the URL text is not enough: a public-looking
name can resolve to `10.0.0.5`, and a name can resolve differently on the next lookup (DNS
rebinding). So, at delivery time, `resolve_and_check` resolves the host once, refuses the target if
ANY address is internal, and returns the checked addresses; the caller must then connect to one of
those addresses instead of letting the HTTP client look the name up again.

`pinned_transport(target)` does that for httpx: it rewrites each request's URL to a checked IP
while keeping the original `Host` header and, for https, sending the original name as SNI and
verifying the certificate against it. Use it with `httpx.AsyncClient(transport=...,
trust_env=False, follow_redirects=False)`: with `trust_env` on, proxy settings from the environment
would route requests around the transport, and redirects are never followed (see `retry`).

`allow_private=True` (for self-hosters delivering inside their own LAN) admits loopback and private
ranges (RFC 1918, fc00::/7) only. Unspecified addresses, link-local (cloud metadata lives there),
carrier-grade NAT, multicast, reserved ranges and the known metadata endpoints stay refused.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
import string
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

METADATA_HOSTS = frozenset({"metadata.google.internal", "metadata.goog", "metadata"})
# AWS/GCP/Azure instance metadata (IPv4 is link-local anyway, IPv6 sits in fc00::/7) and Azure's
# WireServer, a public address that only means something inside Azure.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "168.63.129.16")
)
_PRIVATE = tuple(
    ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")
)
_THIS_NETWORK = ipaddress.ip_network("0.0.0.0/8")
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_DEFAULT_PORTS = {"http": 80, "https": 443}


class InvalidWebhookURL(ValueError):
    """The URL text cannot be a webhook endpoint; the message says why, for the API client."""


class UnsafeDestination(Exception):
    """Delivery refused because the destination is, or resolves to, an internal address."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ResolvedTarget:
    """A destination whose addresses passed the guard; connect only to `addresses`."""

    url: str
    host: str
    port: int
    addresses: tuple[IPAddress, ...]


def _parse(url: str, *, require_https: bool) -> tuple[str, int]:
    """Check the URL's syntax, returning its lower-cased host (no trailing dot) and port."""
    if not url:
        raise InvalidWebhookURL("the webhook URL is empty")
    if any(ch in string.whitespace or not ch.isprintable() for ch in url):
        raise InvalidWebhookURL("the webhook URL contains spaces or control characters")
    try:
        parts = urlsplit(url)
    except ValueError:
        raise InvalidWebhookURL("the webhook URL is malformed (check the host name and brackets)") from None
    allowed = ("https",) if require_https else ("http", "https")
    if parts.scheme not in allowed:
        raise InvalidWebhookURL(f"the webhook URL must start with {' or '.join(s + '://' for s in allowed)}")
    if "@" in parts.netloc:
        raise InvalidWebhookURL("the webhook URL must not contain a user name or password")
    if not parts.hostname:
        raise InvalidWebhookURL("the webhook URL has no host name")
    if parts.fragment:
        raise InvalidWebhookURL("the webhook URL must not contain a '#fragment'")
    try:
        port = parts.port
    except ValueError:  # out of range or not a number
        port = 0
    if port == 0:
        raise InvalidWebhookURL("the webhook URL has an invalid port (use 1-65535)")
    return parts.hostname.rstrip("."), port or _DEFAULT_PORTS[parts.scheme]


def validate_webhook_url(url: str, *, require_https: bool) -> str:
    """Check a URL when a subscription is created; return it stripped of surrounding spaces.

    Syntax only: addresses are checked at delivery time, because DNS answers change.
    """
    cleaned = url.strip()
    _parse(cleaned, require_https=require_https)
    return cleaned


def _embedded_ipv4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 form carries (mapped, NAT64, 6to4), which is what gets reached."""
    if isinstance(ip, ipaddress.IPv4Address):
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip.sixtofour


def address_problem(ip: IPAddress, *, allow_private: bool) -> str | None:
    """Say why `ip` is not an acceptable destination, or return None if it is."""
    if ip in METADATA_ADDRESSES:
        return f"{ip} is a cloud metadata address"
    inner = _embedded_ipv4(ip)
    if inner is not None:
        problem = address_problem(inner, allow_private=allow_private)
        return None if problem is None else f"{ip} embeds an IPv4 address: {problem}"
    if ip.is_unspecified or ip in _THIS_NETWORK:
        return f"{ip} is an unspecified address"
    if ip.is_loopback or any(ip in net for net in _PRIVATE):
        return None if allow_private else f"{ip} is a loopback or private address"
    if ip.is_link_local:
        return f"{ip} is a link-local address"
    if ip in _CGNAT:
        return f"{ip} is a carrier-grade NAT address"
    if ip.is_multicast:
        return f"{ip} is a multicast address"
    if ip.is_reserved or not ip.is_global:
        return f"{ip} is a reserved or special-purpose address"
    return None


def _literal_ip(host: str) -> IPAddress | None:
    """The address a host written as an IP literal denotes, else None."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


async def _resolve(host: str, port: int) -> tuple[IPAddress, ...]:
    """Resolve without blocking the event loop, keeping each address once, in resolver order."""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except UnicodeError:
        raise UnsafeDestination(f"{host!r} is not a valid host name") from None
    found = dict.fromkeys(ipaddress.ip_address(str(info[4][0])) for info in infos)
    return tuple(found)


async def resolve_and_check(url: str, *, allow_private: bool) -> ResolvedTarget:
    """Resolve the URL's host and refuse it if any address is internal.

    Raises `UnsafeDestination` for a malformed URL or an internal destination (do not deliver),
    and `OSError` (`socket.gaierror`) when the name does not resolve, a failure worth retrying.
    """
    try:
        host, port = _parse(url, require_https=False)
    except InvalidWebhookURL as exc:
        raise UnsafeDestination(str(exc)) from None
    if host in METADATA_HOSTS:
        raise UnsafeDestination(f"{host} is a cloud metadata host")
    literal = _literal_ip(host)
    addresses = (literal,) if literal is not None else await _resolve(host, port)
    if not addresses:
        raise UnsafeDestination(f"{host} resolved to no address")
    for ip in addresses:
        problem = address_problem(ip, allow_private=allow_private)
        if problem is not None:
            raise UnsafeDestination(
                problem if literal is not None else f"{host} resolves to an unsafe address: {problem}"
            )
    return ResolvedTarget(url=url, host=host, port=port, addresses=addresses)


class _PinnedTransport(httpx.AsyncHTTPTransport):
    """Send every request to the target's checked addresses, never to a fresh DNS answer."""

    def __init__(self, target: ResolvedTarget, *, verify: ssl.SSLContext | bool) -> None:
        super().__init__(verify=verify, retries=0)
        self._target = target

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        port = request.url.port or _DEFAULT_PORTS.get(request.url.scheme)
        if request.url.host.rstrip(".") != self._target.host or port != self._target.port:
            raise UnsafeDestination(f"{request.url.host} is not the checked destination {self._target.host}")
        if request.url.scheme == "https":
            request.extensions = {**request.extensions, "sni_hostname": self._target.host}
        original = request.url
        last_error: httpx.ConnectError | None = None
        for ip in self._target.addresses:  # the Host header was set from the original URL already
            request.url = original.copy_with(host=str(ip))
            try:
                return await super().handle_async_request(request)
            except httpx.ConnectError as exc:
                last_error = exc
            finally:
                request.url = original
        raise last_error or UnsafeDestination(f"{self._target.host} has no checked address")


def pinned_transport(
    target: ResolvedTarget, *, verify: ssl.SSLContext | bool = True
) -> httpx.AsyncHTTPTransport:
    """An httpx transport that connects only to `target.addresses`, trying them in order.

    `verify` is passed to httpx (an `ssl.SSLContext` lets tests trust a local certificate).
    """
    return _PinnedTransport(target, verify=verify)
