"""Verify VokeTag webhook signatures (stdlib only, so a receiver can copy this file as is).

Header: ``VokeTag-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>``. Several
v1 entries may appear (during a secret rotation); one match is enough.
"""

import hashlib
import hmac
import time


def verify_signature(
    secret: str, header: str, body: bytes | str, tolerance_s: float = 300, now: float | None = None
) -> bool:
    """True when ``header`` signs exactly ``body`` (the raw request bytes) with ``secret`` and its timestamp
    is within ``tolerance_s`` seconds of ``now`` (default: the current time), which stops replays."""
    timestamp = None
    candidates = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1":
            candidates.append(value)
    if timestamp is None or not candidates:
        return False
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance_s:
        return False
    raw = body.encode() if isinstance(body, str) else body
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + raw, hashlib.sha256).hexdigest()
    return any(hmac.compare_digest(expected, candidate) for candidate in candidates)
