"""The SSRF guard: URL syntax, address classification, and connecting only to checked addresses.

No external DNS: literal IPs, `localhost` (from /etc/hosts), numeric host forms the resolver parses
itself, and a monkeypatched `getaddrinfo` for host names.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import socket
import ssl
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from nexo.webhooks.ssrf import (
    InvalidWebhookURL,
    ResolvedTarget,
    UnsafeDestination,
    pinned_transport,
    resolve_and_check,
    validate_webhook_url,
)

# --- validate_webhook_url -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.example.com/nexo",
        "https://hooks.example.com:8443/a/b?x=1",
        "https://[2606:4700::1111]/hook",
        "https://campaña.example/hook",
    ],
)
def test_valid_https_urls_are_accepted(url: str) -> None:
    assert validate_webhook_url(url, require_https=True) == url


def test_surrounding_spaces_are_trimmed() -> None:
    assert validate_webhook_url("  https://a.example/h ", require_https=True) == "https://a.example/h"


def test_http_is_accepted_only_when_https_is_not_required() -> None:
    assert validate_webhook_url("http://a.example/h", require_https=False) == "http://a.example/h"
    with pytest.raises(InvalidWebhookURL, match="must start with https://"):
        validate_webhook_url("http://a.example/h", require_https=True)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "empty"),
        ("ftp://a.example/h", "must start with http:// or https://"),
        ("a.example/h", "must start with"),
        ("https://user:pw@a.example/h", "user name or password"),
        ("https://user@a.example/h", "user name or password"),
        ("https:///path-only", "no host"),
        ("https://a.example:99999/h", "invalid port"),
        ("https://a.example:0/h", "invalid port"),
        ("https://a.example:abc/h", "invalid port"),
        ("https://a.exa mple/h", "spaces or control characters"),
        ("https://a.exa\tmple/h", "spaces or control characters"),
        ("https://a.example/\x00h", "spaces or control characters"),
        ("https://a.example/h#frag", "fragment"),
        ("https://[::1/h", "malformed"),
    ],
)
def test_invalid_urls_get_a_clear_message(url: str, message: str) -> None:
    with pytest.raises(InvalidWebhookURL, match=message):
        validate_webhook_url(url, require_https=False)


# --- resolve_and_check on literal addresses ----------------------------------------------------------


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "127.8.9.10",
        "10.1.2.3",
        "172.16.5.4",
        "172.31.255.255",
        "192.168.1.1",
        "[::1]",
        "[fc00::1]",
        "[fd12:3456::1]",
        "[::ffff:127.0.0.1]",
        "[::ffff:10.0.0.1]",
    ],
)
async def test_loopback_and_private_need_allow_private(host: str) -> None:
    url = f"http://{host}:8080/hook"
    with pytest.raises(UnsafeDestination, match="loopback or private"):
        await resolve_and_check(url, allow_private=False)
    target = await resolve_and_check(url, allow_private=True)
    assert target.port == 8080
    assert len(target.addresses) == 1


@pytest.mark.parametrize(
    ("host", "reason"),
    [
        ("0.0.0.0", "unspecified"),  # noqa: S104 - an address to refuse, nothing binds to it
        ("0.1.2.3", "unspecified"),
        ("[::]", "unspecified"),
        ("169.254.169.254", "metadata"),
        ("169.254.1.1", "link-local"),
        ("[fe80::1]", "link-local"),
        ("[fd00:ec2::254]", "metadata"),
        ("168.63.129.16", "metadata"),
        ("100.64.0.1", "carrier-grade NAT"),
        ("100.127.255.254", "carrier-grade NAT"),
        ("224.0.0.1", "multicast"),
        ("[ff02::1]", "multicast"),
        ("240.0.0.1", "reserved"),
        ("255.255.255.255", "reserved"),
        ("192.0.2.10", "special-purpose"),
        ("[2001:db8::1]", "special-purpose"),
        ("[::ffff:169.254.169.254]", "metadata"),
        ("[::ffff:0.0.0.0]", "unspecified"),
        ("[::ffff:100.64.0.1]", "carrier-grade NAT"),
        ("[64:ff9b::a9fe:a9fe]", "metadata"),
        ("[2002:7f00:1::]", "loopback or private"),
    ],
)
async def test_always_refused_even_with_allow_private(host: str, reason: str) -> None:
    url = f"https://{host}/hook"
    for allow_private in (False, True):
        if reason == "loopback or private" and allow_private:
            continue  # 6to4 of 127.0.0.1 is loopback: admitted with allow_private, like 127.0.0.1
        with pytest.raises(UnsafeDestination, match=reason):
            await resolve_and_check(url, allow_private=allow_private)


@pytest.mark.parametrize(
    ("url", "port", "address"),
    [
        ("https://8.8.8.8/hook", 443, "8.8.8.8"),
        ("http://8.8.8.8/hook", 80, "8.8.8.8"),
        ("https://8.8.8.8:8443/hook", 8443, "8.8.8.8"),
        ("https://[2606:4700::1111]/hook", 443, "2606:4700::1111"),
        ("https://[::ffff:8.8.8.8]/hook", 443, "::ffff:8.8.8.8"),
    ],
)
async def test_public_addresses_pass_with_default_or_explicit_port(url: str, port: int, address: str) -> None:
    target = await resolve_and_check(url, allow_private=False)
    assert target.url == url
    assert target.port == port
    assert target.addresses == (ipaddress.ip_address(address),)


@pytest.mark.parametrize("host", ["localhost", "LOCALHOST.", "2130706433", "0x7f.1", "127.1"])
async def test_names_that_resolve_to_loopback_are_refused(host: str) -> None:
    with pytest.raises(UnsafeDestination, match=r"resolves to an unsafe address: 127\.0\.0\.1 is a loopback"):
        await resolve_and_check(f"http://{host}/hook", allow_private=False)


async def test_localhost_is_allowed_with_allow_private() -> None:
    target = await resolve_and_check("http://localhost:9000/hook", allow_private=True)
    assert target.host == "localhost"
    assert ipaddress.ip_address("127.0.0.1") in target.addresses


@pytest.mark.parametrize("url", ["ftp://8.8.8.8/", "https://u:p@8.8.8.8/", "https://8.8.8.8:70000/"])
async def test_malformed_urls_are_unsafe_destinations(url: str) -> None:
    with pytest.raises(UnsafeDestination):
        await resolve_and_check(url, allow_private=True)


# --- resolve_and_check on host names (monkeypatched resolver) --------------------------------------

Resolver = Callable[..., Any]
Dns = tuple[dict[str, list[str]], list[str]]  # (answers by host name, names looked up)


def _fake_resolver(answers: dict[str, list[str]], calls: list[str]) -> Resolver:
    async def getaddrinfo(host: str, port: int, **_: object) -> list[tuple[Any, ...]]:
        calls.append(host)
        if host not in answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
            for a in answers[host]
        ]

    return getaddrinfo


@pytest.fixture
async def dns(monkeypatch: pytest.MonkeyPatch) -> Dns:
    answers: dict[str, list[str]] = {}
    calls: list[str] = []
    monkeypatch.setattr(asyncio.get_running_loop(), "getaddrinfo", _fake_resolver(answers, calls))
    return answers, calls


async def test_any_internal_address_refuses_the_host(dns: Dns) -> None:
    answers, _ = dns
    answers["rebind.example"] = ["93.184.216.34", "10.0.0.7"]
    with pytest.raises(
        UnsafeDestination, match=r"rebind\.example resolves to an unsafe address: 10\.0\.0\.7 is"
    ):
        await resolve_and_check("https://rebind.example/hook", allow_private=False)


async def test_all_public_addresses_are_returned_once(dns: Dns) -> None:
    answers, calls = dns
    answers["hooks.example"] = ["93.184.216.34", "2606:2800:220:1::1", "93.184.216.34"]
    target = await resolve_and_check("https://Hooks.Example./hook", allow_private=False)
    assert calls == ["hooks.example"]
    assert target.host == "hooks.example"
    assert target.addresses == (
        ipaddress.ip_address("93.184.216.34"),
        ipaddress.ip_address("2606:2800:220:1::1"),
    )


@pytest.mark.parametrize("host", ["metadata.google.internal", "METADATA.GOOGLE.INTERNAL.", "metadata"])
async def test_metadata_hosts_are_refused_before_resolving(dns: Dns, host: str) -> None:
    answers, calls = dns
    answers[host.lower().rstrip(".")] = ["8.8.8.8"]
    with pytest.raises(UnsafeDestination, match="metadata host"):
        await resolve_and_check(f"http://{host}/computeMetadata/v1/", allow_private=True)
    assert calls == []


async def test_unresolvable_host_is_a_retryable_os_error(dns: Dns) -> None:
    with pytest.raises(OSError, match="not known"):
        await resolve_and_check("https://nowhere.example/hook", allow_private=False)


# --- pinned_transport -----------------------------------------------------------------------------


class _Recorder:
    """A one-response-per-connection HTTP/1.1 server that records request heads and bodies."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, bytes]] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
        length = next(
            (
                int(line.split(":", 1)[1])
                for line in head.split("\r\n")
                if line.lower().startswith("content-length:")
            ),
            0,
        )
        self.requests.append((head, await reader.readexactly(length)))
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
        await writer.drain()
        writer.close()


async def _serve(recorder: _Recorder, ssl_context: ssl.SSLContext | None = None) -> asyncio.Server:
    return await asyncio.start_server(recorder.handle, "127.0.0.1", 0, ssl=ssl_context)


def _port(server: asyncio.Server) -> int:
    return int(server.sockets[0].getsockname()[1])


def _target(url: str, host: str, port: int, *addresses: str) -> ResolvedTarget:
    return ResolvedTarget(
        url=url, host=host, port=port, addresses=tuple(map(ipaddress.ip_address, addresses))
    )


async def test_pinned_http_request_goes_to_the_checked_ip_with_the_original_host() -> None:
    recorder = _Recorder()
    async with await _serve(recorder) as server:
        port = _port(server)
        url = f"http://hooks.example.test:{port}/hook?x=1"  # a name no resolver here knows
        target = _target(url, "hooks.example.test", port, "127.0.0.1")
        async with httpx.AsyncClient(transport=pinned_transport(target), trust_env=False) as client:
            response = await client.post(url, content=b'{"a":1}')
    assert response.status_code == 200
    assert response.text == "ok"
    assert str(response.request.url) == url
    head, body = recorder.requests[0]
    assert head.startswith("POST /hook?x=1 HTTP/1.1\r\n")
    assert f"host: hooks.example.test:{port}\r\n" in head.lower()
    assert body == b'{"a":1}'


async def test_pinned_transport_falls_back_to_the_next_checked_address() -> None:
    recorder = _Recorder()
    async with await _serve(recorder) as server:
        port = _port(server)
        url = f"http://hooks.example.test:{port}/hook"
        # Nothing listens on 127.0.0.2 (the server is bound to 127.0.0.1 only): connection refused.
        target = _target(url, "hooks.example.test", port, "127.0.0.2", "127.0.0.1")
        async with httpx.AsyncClient(transport=pinned_transport(target), trust_env=False) as client:
            response = await client.get(url)
    assert response.status_code == 200
    assert len(recorder.requests) == 1


async def test_pinned_transport_refuses_any_other_destination() -> None:
    target = _target("http://hooks.example.test:8080/h", "hooks.example.test", 8080, "127.0.0.1")
    async with httpx.AsyncClient(transport=pinned_transport(target), trust_env=False) as client:
        with pytest.raises(UnsafeDestination, match="not the checked destination"):
            await client.get("http://169.254.169.254/latest/meta-data/")
        with pytest.raises(UnsafeDestination, match="not the checked destination"):
            await client.get("http://hooks.example.test:8081/h")


def _tls_pair(tmp_path: Path, name: str) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A throwaway CA and a server certificate for `name`: (server context, client context)."""
    now = dt.datetime.now(dt.UTC)

    def cert(
        subject: str,
        key: ec.EllipticCurvePrivateKey,
        issuer: str,
        signer: ec.EllipticCurvePrivateKey,
        *,
        ca: bool,
    ) -> x509.Certificate:
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(hours=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if not ca:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.DNSName(subject)]), critical=False
            )
        return builder.sign(signer, hashes.SHA256())

    ca_key, leaf_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_cert = cert("Nexo test CA", ca_key, "Nexo test CA", ca_key, ca=True)
    leaf = cert(name, leaf_key, "Nexo test CA", ca_key, ca=False)
    cert_file, key_file = tmp_path / "leaf.pem", tmp_path / "leaf.key"
    cert_file.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        leaf_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert_file, key_file)
    client = ssl.create_default_context(cadata=ca_cert.public_bytes(serialization.Encoding.PEM).decode())
    return server, client


async def test_pinned_https_sends_sni_and_verifies_the_original_name(tmp_path: Path) -> None:
    server_ctx, client_ctx = _tls_pair(tmp_path, "hooks.example.test")
    recorder = _Recorder()
    async with await _serve(recorder, server_ctx) as server:
        port = _port(server)
        url = f"https://hooks.example.test:{port}/hook"
        target = _target(url, "hooks.example.test", port, "127.0.0.1")
        transport = pinned_transport(target, verify=client_ctx)
        async with httpx.AsyncClient(transport=transport, trust_env=False) as client:
            response = await client.post(url, content=b"{}")
    assert response.status_code == 200
    assert f"host: hooks.example.test:{port}\r\n" in recorder.requests[0][0].lower()


async def test_pinned_https_rejects_a_certificate_for_another_name(tmp_path: Path) -> None:
    server_ctx, client_ctx = _tls_pair(tmp_path, "someone-else.test")
    async with await _serve(_Recorder(), server_ctx) as server:
        port = _port(server)
        url = f"https://hooks.example.test:{port}/hook"
        target = _target(url, "hooks.example.test", port, "127.0.0.1")
        async with httpx.AsyncClient(
            transport=pinned_transport(target, verify=client_ctx), trust_env=False
        ) as c:
            with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
                await c.post(url, content=b"{}")
