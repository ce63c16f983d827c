"""Product tokens: key id + serial + truncated HMAC-SHA256, as uppercase base32 for QR alphanumeric mode.

Layout (21 bytes): key id (1 byte) | serial (8 bytes, big-endian) | tag (12 bytes = 96 bits,
HMAC-SHA256 over DOMAIN | key id | serial, truncated; RFC 2104 allows half the hash and >= 80 bits).
Text: RFC 4648 base32 without padding, 34 characters A-Z and 2-7.

Decoding rule (one, documented): the text is case-insensitive; lower-case letters are normalised to
upper-case, anything else outside A-Z2-7, any other length, or non-zero trailing pad bits is refused.
The tag comparison is constant-time. A token signed by a retired key id, or an id the ring does not
know, is refused; rotating the signing key leaves tokens of the older keys valid until retired.
"""

import base64
import binascii
import hashlib
import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

DOMAIN = b"voketag/token/v1|"
FINGERPRINT_DOMAIN = b"voketag/token-fingerprint/v1|"
FINGERPRINT_CHARS = 16
SERIAL_BYTES = 8
TAG_BYTES = 12
RAW_LENGTH = 1 + SERIAL_BYTES + TAG_BYTES
TEXT_LENGTH = 34
ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
# Secrets shorter than the hash output weaken HMAC (RFC 2104 section 3).
MIN_KEY_BYTES = 32
MAX_SERIAL = (1 << (8 * SERIAL_BYTES)) - 1
_SHA256_BLOCK = 64
# 21 bytes = 168 bits; base32 pads them with 2 zero bits to 34 characters = 17 pairs of 10 bits.
_PAD_BITS = 5 * TEXT_LENGTH - 8 * RAW_LENGTH
_B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_PAIRS = [first + second for first in _B32 for second in _B32]
_PAIR_SHIFTS = tuple(range(5 * TEXT_LENGTH - 10, -1, -10))


class TokenError(ValueError):
    """A token that must not be trusted; ``reason`` is MALFORMED, UNKNOWN_KEY, RETIRED_KEY or BAD_TAG."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class TokenClaims:
    key_id: int
    serial: int


class KeyRing:
    """One signing key and the verification keys, by key id (0-255)."""

    def __init__(self, keys: Mapping[int, bytes], signing_key_id: int, retired: Iterable[int] = ()) -> None:
        self._retired = frozenset(retired)
        for key_id, secret in keys.items():
            if not 0 <= key_id <= 255:
                raise ValueError(f"token key id {key_id} is outside 0-255")
            if len(secret) < MIN_KEY_BYTES:
                raise ValueError(f"token key {key_id} is shorter than {MIN_KEY_BYTES} bytes")
        if signing_key_id not in keys or signing_key_id in self._retired:
            raise ValueError(f"the signing key id {signing_key_id} is missing or retired")
        self._keys = dict(keys)
        # HMAC (RFC 2104) with the keyed inner and outer hash states prepared once per key: a tag then
        # costs two hash copies instead of a full key set-up (about 2.5x faster than hmac.digest).
        self._pads = {key_id: _keyed_pads(secret, DOMAIN) for key_id, secret in keys.items()}
        self.signing_key_id = signing_key_id

    @classmethod
    def from_config(cls, keys_b64: Mapping[str, str], signing_key_id: int, retired: Iterable[int] = ()) -> "KeyRing":
        """Keys as configured: {"<key id>": "<base64 secret>"}."""
        return cls({int(kid): base64.b64decode(secret) for kid, secret in keys_b64.items()}, signing_key_id, retired)

    def _tag(self, key_id: int, serial_bytes: bytes) -> bytes:
        inner_pad, outer_pad = self._pads[key_id]
        inner = inner_pad.copy()
        inner.update(bytes((key_id,)) + serial_bytes)
        outer = outer_pad.copy()
        outer.update(inner.digest())
        return outer.digest()[:TAG_BYTES]

    def issue(self, serial: int, key_id: int | None = None) -> str:
        """The token text for ``serial`` (signed with ``key_id``, by default the signing key)."""
        kid = self.signing_key_id if key_id is None else key_id
        if not 0 <= serial <= MAX_SERIAL:
            raise ValueError(f"serial {serial} does not fit in {SERIAL_BYTES} bytes")
        if kid not in self._keys:
            raise ValueError(f"unknown token key id {kid}")
        serial_bytes = serial.to_bytes(SERIAL_BYTES, "big")
        return _encode(bytes((kid,)) + serial_bytes + self._tag(kid, serial_bytes))

    def verify(self, text: str) -> TokenClaims:
        """Decode and authenticate ``text``; raise TokenError without touching any storage."""
        raw = decode(text)
        key_id = raw[0]
        if key_id in self._retired:
            raise TokenError("RETIRED_KEY")
        if key_id not in self._keys:
            raise TokenError("UNKNOWN_KEY")
        serial_bytes = raw[1 : 1 + SERIAL_BYTES]
        if not hmac.compare_digest(raw[1 + SERIAL_BYTES :], self._tag(key_id, serial_bytes)):
            raise TokenError("BAD_TAG")
        return TokenClaims(key_id=key_id, serial=int.from_bytes(serial_bytes, "big"))


def _keyed_pads(secret: bytes, prefix: bytes) -> tuple["hashlib._Hash", "hashlib._Hash"]:
    """SHA-256 states after absorbing (key XOR ipad) + prefix and (key XOR opad), RFC 2104 section 2."""
    block = hashlib.sha256(secret).digest() if len(secret) > _SHA256_BLOCK else secret
    block = block.ljust(_SHA256_BLOCK, b"\0")
    inner = hashlib.sha256(bytes(byte ^ 0x36 for byte in block) + prefix)
    outer = hashlib.sha256(bytes(byte ^ 0x5C for byte in block))
    return inner, outer


def _encode(raw: bytes) -> str:
    """RFC 4648 base32 of the 21 raw bytes without padding, two characters per table look-up.

    Same text as base64.b32encode(raw).rstrip("="), which costs twice as much in Python 3.11.
    """
    bits = int.from_bytes(raw, "big") << _PAD_BITS
    return "".join([_PAIRS[bits >> shift & 0x3FF] for shift in _PAIR_SHIFTS])


def decode(text: str) -> bytes:
    """Strictly decode token text to its 21 raw bytes (no authentication)."""
    # ASCII first: str.upper() maps some non-ASCII letters (e.g. dotless i) onto A-Z.
    if len(text) != TEXT_LENGTH or not text.isascii():
        raise TokenError("MALFORMED")
    normal = text.upper()
    if not ALPHABET.issuperset(normal):
        raise TokenError("MALFORMED")
    try:
        raw = base64.b32decode(normal + "======")
    except binascii.Error as exc:
        raise TokenError("MALFORMED") from exc
    # Two spare bits at the end must be zero, so that exactly one text encodes each token.
    if len(raw) != RAW_LENGTH or base64.b32encode(raw).decode("ascii").rstrip("=") != normal:
        raise TokenError("MALFORMED")
    return raw


def fingerprint(text: str) -> str:
    """A token's public stand-in for staff who may not read tokens: it tells which code is meant (the same
    text always gives the same fingerprint, in either case) but cannot be printed as a working label."""
    digest = hashlib.sha256(FINGERPRINT_DOMAIN + text.upper().encode()).hexdigest()
    return digest[:FINGERPRINT_CHARS]


def link(base_url: str, token: str) -> str:
    """The printed link, upper-cased so the whole URL stays in QR alphanumeric mode."""
    return f"{base_url.rstrip('/')}/R/{token}".upper()
