"""Sign-in throttling in Redis that slows guessing without letting a third party lock anyone out.

Password logins count failures per (account, client address) pair and per client address (fixed windows):
guessing from one place stops there, while the owner elsewhere still signs in. Across all addresses each
account has a slower backoff (GCRA over failures): a burst, then one more failure per interval, so a guesser
spread over many addresses is slowed to that rate and the owner waits at most one interval, never a window.
Service-account secrets are 256-bit random: there is no guessing to slow down, only noise. A right secret is
therefore never refused for failures (the check is cheap, so it runs first); failures are counted per client
address and answered 429 beyond its limit, so nobody sharing the MES's address, even knowing its client id,
can stop it. Successful exchanges are rate limited per credential.
"""

import hashlib
from dataclasses import dataclass

import redis.asyncio as redis

from voketag.errors import ResourceExhausted

# KEYS: ARGV[1] fixed-window counters, then optionally one GCRA key. ARGV: the counters' limits, then the GCRA's
# emission interval (ms) and burst. Returns how long (ms) the caller must wait; 0 = go ahead. Reads only.
_CHECK = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local counters = tonumber(ARGV[1])
local wait = 0
for i = 1, counters do
  if tonumber(redis.call('GET', KEYS[i]) or '0') >= tonumber(ARGV[i + 1]) then
    wait = math.max(wait, redis.call('PTTL', KEYS[i]))
  end
end
if #KEYS > counters then
  local interval, burst = tonumber(ARGV[counters + 2]), tonumber(ARGV[counters + 3])
  local tat = tonumber(redis.call('GET', KEYS[counters + 1]) or now)
  wait = math.max(wait, tat - now - interval * (burst - 1))
end
return wait
"""

# KEYS: ARGV[1] fixed-window counters, then optionally one GCRA key. ARGV: window (s), GCRA interval (ms).
# Counts one failure on every key; the first failure of a window starts its expiry.
_FAILED = """
local counters = tonumber(ARGV[1])
for i = 1, counters do
  if redis.call('INCR', KEYS[i]) == 1 then redis.call('EXPIRE', KEYS[i], ARGV[2]) end
end
if #KEYS > counters then
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  local tat = math.max(tonumber(redis.call('GET', KEYS[counters + 1]) or now), now) + tonumber(ARGV[3])
  redis.call('SET', KEYS[counters + 1], tat, 'PX', tat - now)
end
return 1
"""

# GCRA that admits and counts in one step. KEYS[1]; ARGV: interval (ms), burst. Returns the wait (ms), 0 = taken.
_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local tat = math.max(tonumber(redis.call('GET', KEYS[1]) or now), now)
local wait = tat - now - interval * (burst - 1)
if wait > 0 then return wait end
redis.call('SET', KEYS[1], tat + interval, 'PX', tat + interval - now)
return 0
"""


@dataclass(frozen=True)
class Limits:
    # Failed password logins per (account, address) pair and per address within window_s, then 429; failed
    # service-account exchanges per address (per_address) too.
    per_pair: int
    per_address: int
    window_s: int
    # Failed password logins per account from all addresses: account_burst, then one per account_interval_s.
    account_burst: int
    account_interval_s: float
    # Service-account token exchanges per credential: exchange_burst, then one per exchange_interval_s.
    exchange_burst: int
    exchange_interval_s: float


def client_host(address: str) -> str:
    """'203.0.113.7' from Envoy's header, or the host part of a gRPC peer like 'ipv4:127.0.0.1:5123'."""
    kind, _, rest = address.partition(":")
    if kind == "ipv4":
        return rest.rpartition(":")[0]
    if kind == "ipv6":
        return rest.rpartition(":")[0].strip("[]")
    return address


def _hashed(value: str) -> str:
    # Redis then holds no email addresses, client ids or client IPs in clear.
    return hashlib.sha256(value.encode()).hexdigest()[:32]


def _too_many(wait_ms: int) -> ResourceExhausted:
    return ResourceExhausted(
        "TOO_MANY_FAILED_LOGINS",
        "too many failed attempts; try again later",
        retry_after_s=float(max(1, -(-wait_ms // 1000))),
    )


class LoginThrottle:
    def __init__(self, kv: redis.Redis, limits: Limits) -> None:
        self._kv = kv
        self._limits = limits
        self._check = kv.register_script(_CHECK)
        self._failed = kv.register_script(_FAILED)
        self._take = kv.register_script(_TAKE)

    def _password_keys(self, email: str, address: str) -> list[str]:
        host = _hashed(client_host(address))
        account = _hashed(email)
        return [
            f"throttle:login:pair:{account}:{host}",
            f"throttle:login:addr:{host}",
            f"throttle:login:acct:{account}",
        ]

    async def _refuse_if_waiting(self, keys: list[str], args: list[int | float]) -> None:
        wait = int(await self._check(keys=keys, args=args))
        if wait > 0:
            raise _too_many(wait)

    async def check_login(self, email: str, address: str) -> None:
        """Refuse with RESOURCE_EXHAUSTED (and when to retry) while this pair, address or account must wait."""
        limits = self._limits
        await self._refuse_if_waiting(
            self._password_keys(email, address),
            [2, limits.per_pair, limits.per_address, round(limits.account_interval_s * 1000), limits.account_burst],
        )

    async def login_failed(self, email: str, address: str) -> None:
        limits = self._limits
        keys = self._password_keys(email, address)
        await self._failed(keys=keys, args=[2, limits.window_s, round(limits.account_interval_s * 1000)])

    async def login_succeeded(self, email: str, address: str) -> None:
        """The owner got in from here: this pair starts afresh (the account's backoff runs its course)."""
        await self._kv.delete(self._password_keys(email, address)[0])

    async def exchange_failed(self, address: str) -> None:
        """Count a refused exchange; beyond the address's limit refuse with 429 rather than 401."""
        key = [f"throttle:exchange:addr:{_hashed(client_host(address))}"]
        await self._failed(keys=key, args=[1, self._limits.window_s])
        await self._refuse_if_waiting(key, [1, self._limits.per_address + 1])

    async def exchange_admitted(self, client_id: str) -> None:
        """Count a successful exchange against its credential's rate; over it, refuse with RATE_LIMITED."""
        limits = self._limits
        wait = int(
            await self._take(
                keys=[f"throttle:exchange:credential:{_hashed(client_id)}"],
                args=[round(limits.exchange_interval_s * 1000), limits.exchange_burst],
            )
        )
        if wait > 0:
            raise ResourceExhausted(
                "RATE_LIMITED",
                "too many token requests for this service account; reuse the token until it expires",
                metadata={"limit": "service_token"},
                retry_after_s=float(max(1, -(-wait // 1000))),
            )
