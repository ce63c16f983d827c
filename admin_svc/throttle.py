"""Failed-login throttling in Redis, per account and per client address (fixed window)."""

import hashlib
from dataclasses import dataclass

import redis.asyncio as redis

from voketag.errors import ResourceExhausted

# Count a failure on both keys; the first failure of a window starts its expiry (Redis 6 has no EXPIRE NX).
_COUNT_FAILURE = """
for _, key in ipairs(KEYS) do
    if redis.call('INCR', key) == 1 then redis.call('EXPIRE', key, ARGV[1]) end
end
return 1
"""


@dataclass(frozen=True)
class Limits:
    per_account: int
    per_address: int
    window_s: int


def client_host(address: str) -> str:
    """'203.0.113.7' from Envoy's header, or the host part of a gRPC peer like 'ipv4:127.0.0.1:5123'."""
    kind, _, rest = address.partition(":")
    if kind == "ipv4":
        return rest.rpartition(":")[0]
    if kind == "ipv6":
        return rest.rpartition(":")[0].strip("[]")
    return address


class LoginThrottle:
    def __init__(self, kv: redis.Redis, limits: Limits, scope: str = "login") -> None:
        self._kv = kv
        self._limits = limits
        self._scope = scope

    def _keys(self, account: str, address: str) -> tuple[str, str]:
        # Hashed: Redis then holds no email addresses or client IPs in clear.
        def hashed(value: str) -> str:
            return hashlib.sha256(value.encode()).hexdigest()[:32]

        return (
            f"throttle:{self._scope}:acct:{hashed(account)}",
            f"throttle:{self._scope}:addr:{hashed(client_host(address))}",
        )

    async def check(self, account: str, address: str) -> None:
        """Refuse with RESOURCE_EXHAUSTED (and when to retry) while either counter is over its limit."""
        account_key, address_key = self._keys(account, address)
        async with self._kv.pipeline(transaction=False) as pipe:
            pipe.get(account_key).get(address_key).ttl(account_key).ttl(address_key)
            by_account, by_address, account_ttl, address_ttl = await pipe.execute()
        blocked = [
            ttl
            for count, limit, ttl in (
                (by_account, self._limits.per_account, account_ttl),
                (by_address, self._limits.per_address, address_ttl),
            )
            if count is not None and int(count) >= limit
        ]
        if blocked:
            raise ResourceExhausted(
                "TOO_MANY_FAILED_LOGINS",
                "too many failed attempts; try again later",
                retry_after_s=float(max(max(blocked), 1)),
            )

    async def failed(self, account: str, address: str) -> None:
        await self._kv.eval(_COUNT_FAILURE, 2, *self._keys(account, address), self._limits.window_s)

    async def succeeded(self, account: str, address: str) -> None:
        await self._kv.delete(self._keys(account, address)[0])
