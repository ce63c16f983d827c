"""Webhook rules: target URL and address checks, Stripe-style signatures, one delivery attempt.

An attempt resolves the host once, refuses the whole target when any address is private, loopback,
link-local, multicast, reserved, or an IPv4-mapped/6to4/Teredo IPv6 address (loopback only when the
development setting allows it), then connects to that checked address (Host header and TLS SNI keep the
name), so a DNS answer cannot change between the check and the connection. Redirects are never followed.
"""

import asyncio
import hashlib
import hmac
import ipaddress
import socket
import time
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit, urlunsplit

from voketag.errors import InvalidArgument

MAX_URL_CHARS = 2048
SIGNATURE_HEADER = "VokeTag-Signature"
TIMESTAMP_HEADER = "VokeTag-Timestamp"
EVENT_HEADER = "VokeTag-Event-Id"
_ERROR_CHARS = 500


class RefusedTarget(ValueError):
    """The URL or one of the addresses it resolves to may not receive webhooks."""


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The VokeTag-Signature header value: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def address_allowed(address: str, allow_loopback: bool) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and (ip.ipv4_mapped or ip.sixtofour or ip.teredo):
        return False
    if ip.is_loopback:
        return allow_loopback
    # NAT64 (64:ff9b::/96) reaches IPv4 addresses, private ones included, on networks that route it.
    if ip.is_reserved or (isinstance(ip, ipaddress.IPv6Address) and (ip.is_site_local or ip in _NAT64)):
        return False
    return ip.is_global and not ip.is_multicast


def parse_url(url: str, allow_loopback: bool) -> SplitResult:
    """Syntax rules of a webhook URL (no DNS): https (http only for development), a host, no credentials."""
    if len(url) > MAX_URL_CHARS:
        raise RefusedTarget(f"the URL is longer than {MAX_URL_CHARS} chars")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise RefusedTarget("the URL is malformed") from None
    allowed_schemes = ("https", "http") if allow_loopback else ("https",)
    if parts.scheme not in allowed_schemes:
        raise RefusedTarget("the URL must use https")
    if not parts.hostname or parts.username or parts.password:
        raise RefusedTarget("the URL needs a host and must not carry credentials")
    return parts


async def resolve(parts: SplitResult, allow_loopback: bool) -> str:
    """The one address to connect to; every address the name resolves to must be allowed."""
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise RefusedTarget(f"the host {host!r} does not resolve") from None
    addresses = [str(info[4][0]) for info in infos]
    refused = [address for address in addresses if not address_allowed(address, allow_loopback)]
    if not addresses or refused:
        raise RefusedTarget(f"the host {host!r} resolves to a private, loopback or link-local address")
    return addresses[0]


async def check_target(url: str, allow_loopback: bool) -> None:
    """Registration-time check; the worker checks again (DNS may change) before every attempt."""
    try:
        await resolve(parse_url(url, allow_loopback), allow_loopback)
    except RefusedTarget as exc:
        raise InvalidArgument("WEBHOOK_URL_FORBIDDEN", str(exc), fields={"url": str(exc)}) from None


@dataclass(frozen=True)
class Attempt:
    status_code: int  # 0 when no response arrived
    error: str
    duration_ms: int

    @property
    def succeeded(self) -> bool:
        return 200 <= self.status_code < 300


async def post(url: str, secret: str, event_id: str, body: bytes, allow_loopback: bool, timeout_s: float) -> Attempt:
    """One signed POST to the checked address; never raises for network or HTTP failures."""
    # Imported on the first delivery (in the worker), not at start: the factory service only checks targets.
    import httpx

    started = time.monotonic()
    try:
        parts = parse_url(url, allow_loopback)
        address = await resolve(parts, allow_loopback)
        host = f"[{address}]" if ":" in address else address
        netloc = f"{host}:{parts.port}" if parts.port else host
        timestamp = int(time.time())
        headers = {
            "Host": parts.netloc,
            "Content-Type": "application/json",
            "User-Agent": "VokeTag-Webhooks/1",
            SIGNATURE_HEADER: signature(secret, timestamp, body),
            TIMESTAMP_HEADER: str(timestamp),
            EVENT_HEADER: event_id,
        }
        # The answer is streamed and never read: a receiver cannot push an unbounded body into the worker.
        async with (
            httpx.AsyncClient(follow_redirects=False, trust_env=False, timeout=timeout_s) as client,
            client.stream(
                "POST",
                urlunsplit(parts._replace(netloc=netloc)),
                content=body,
                headers=headers,
                extensions={"sni_hostname": parts.hostname},
            ) as reply,
        ):
            pass
        error = "" if 200 <= reply.status_code < 300 else f"HTTP {reply.status_code}"
        return Attempt(reply.status_code, error, _elapsed_ms(started))
    except RefusedTarget as exc:
        return Attempt(0, f"refused: {exc}"[:_ERROR_CHARS], _elapsed_ms(started))
    except httpx.HTTPError as exc:
        return Attempt(0, f"{type(exc).__name__}: {exc}"[:_ERROR_CHARS], _elapsed_ms(started))


def _elapsed_ms(started: float) -> int:
    return round((time.monotonic() - started) * 1000)
