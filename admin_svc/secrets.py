"""Passwords (argon2id) and the random bearer secrets the admin service hands out (refresh, reset, client)."""

import asyncio
import hashlib
import hmac
import secrets

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

# OWASP password storage minimum for argon2id: 19 MiB, 2 passes, 1 lane.
MEMORY_KIB, TIME_COST, PARALLELISM = 19_456, 2, 1


class Passwords:
    """argon2id with OWASP parameters; hashing runs in a thread so the event loop keeps serving."""

    def __init__(
        self, memory_kib: int = MEMORY_KIB, time_cost: int = TIME_COST, parallelism: int = PARALLELISM
    ) -> None:
        self._hasher = PasswordHasher(
            time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism, type=Type.ID
        )
        # Verified against when the account does not exist, so both paths cost the same.
        self._dummy = self._hasher.hash(secrets.token_urlsafe(16))

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self._hasher.hash, password)

    async def verify(self, stored: str | None, password: str) -> bool:
        return await asyncio.to_thread(self._verify, stored, password)

    def _verify(self, stored: str | None, password: str) -> bool:
        try:
            return self._hasher.verify(stored or self._dummy, password) and stored is not None
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored: str) -> bool:
        return self._hasher.check_needs_rehash(stored)


def new_secret() -> str:
    """32 random bytes, base64url without padding (43 chars)."""
    return secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    """Stored form of a high-entropy bearer secret: SHA-256 suffices (nothing to brute-force), and it is indexable."""
    return hashlib.sha256(secret.encode()).hexdigest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
