"""Who is scanning, without storing who: keyed device fingerprints, the client network, bot detection."""

import functools
import hashlib
import hmac
import ipaddress
import re
from dataclasses import dataclass

# Attributes that are stable for one device and browser but carry no identity on their own.
_FINGERPRINT_HEADERS = ("user-agent", "accept-language")


@dataclass(frozen=True)
class Client:
    """The caller as the scan service sees it: a keyed device hash and the network its address is in."""

    device_hash: str
    network: str
    is_bot: bool


@functools.lru_cache(maxsize=65536)  # ipaddress is slow and the same clients come back
def network_of(address: str) -> str:
    """The /24 (IPv4) or /48 (IPv6) network of an address, the unit of per-IP limits; '' when unknown.

    Envoy hands over "1.2.3.4" or a gRPC peer like "ipv4:1.2.3.4:5678" / "ipv6:[::1]:5678".
    """
    text = address.strip()
    for prefix in ("ipv4:", "ipv6:"):
        if text.startswith(prefix):
            text = text[len(prefix) :].rsplit(":", 1)[0].strip("[]")
    try:
        ip = ipaddress.ip_address(text.split(",")[0].strip())
    except ValueError:
        return ""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    # Loopback keeps the full address: local tests and benchmarks run many "clients" on 127.0.0.0/8.
    bits = 32 if ip.is_loopback and ip.version == 4 else (24 if ip.version == 4 else 48)
    return str(ipaddress.ip_network(f"{ip}/{bits}", strict=False))


class ClientIdentifier:
    def __init__(self, salt: bytes, bot_pattern: str) -> None:
        self._salt = salt
        self._bots = re.compile(bot_pattern, re.IGNORECASE)

    def identify(self, metadata: dict[str, str], address: str, device_hint: str) -> Client:
        network = network_of(address)
        if device_hint:
            material = "hint|" + device_hint
        else:
            material = "|".join(["attrs", network, *(metadata.get(name, "") for name in _FINGERPRINT_HEADERS)])
        digest = hmac.digest(self._salt, material.encode(), hashlib.sha256).hex()
        return Client(
            device_hash=digest[:32],
            network=self.keyed(network),
            is_bot=bool(self._bots.search(metadata.get("user-agent", ""))),
        )

    def keyed(self, value: str) -> str:
        """A keyed hash for Redis keys, so no raw address is stored even there."""
        return hmac.digest(self._salt, value.encode(), hashlib.sha256).hex()[:24]
