"""Redis-backed state of the scan service: GCRA rate limits and the per-code / per-device signals.

Redis is optional at run time: every call fails open. After a failure Redis is skipped for a short
while (no timeout per request), the caller gets None and marks the dependent risk factors unavailable.
"""

import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import redis.asyncio as redis

from scan_svc.metrics import REDIS_UNAVAILABLE
from scan_svc.settings import Limit

log = logging.getLogger("scan_svc.redis")
T = TypeVar("T")

# One round trip per request. GCRA over several keys at once, all or nothing: a request passes only if every
# limit admits it, and only then does every key advance. KEYS[1..n] are the limits, with ARGV[2i-1] =
# emission interval (ms) and ARGV[2i] = burst. When the request is a genuine scan, KEYS[n+1] (HyperLogLog of
# the code's devices) and KEYS[n+2] (the device's codes by time) follow, and ARGV carries the device, the
# code and the velocity window (ms) after the limits; the scan is recorded only when admitted.
# Returns {1, 0, 0, distinct devices, codes by device} when admitted, else {0, retry_after_ms, tightest key}.
ADMIT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limits = tonumber(ARGV[1])
local new_tats = {}
local wait, which = 0, 0
for i = 1, limits do
  local interval = tonumber(ARGV[2 * i])
  local burst = tonumber(ARGV[2 * i + 1])
  local tat = tonumber(redis.call('GET', KEYS[i]) or now)
  if tat < now then tat = now end
  local new_tat = tat + interval
  local allow_at = new_tat - interval * burst
  if allow_at > now and allow_at - now > wait then wait, which = allow_at - now, i end
  new_tats[i] = new_tat
end
if which > 0 then return {0, wait, which, 0, 0} end
for i = 1, limits do
  redis.call('SET', KEYS[i], new_tats[i], 'PX', math.max(1, new_tats[i] - now))
end
if #KEYS == limits then return {1, 0, 0, 0, 0} end
local devices, codes = KEYS[limits + 1], KEYS[limits + 2]
local device, code, window = ARGV[2 * limits + 2], ARGV[2 * limits + 3], tonumber(ARGV[2 * limits + 4])
redis.call('PFADD', devices, device)
redis.call('ZADD', codes, now, code)
redis.call('ZREMRANGEBYSCORE', codes, 0, now - window)
redis.call('PEXPIRE', codes, window)
return {1, 0, 0, redis.call('PFCOUNT', devices), redis.call('ZCARD', codes)}
"""


@dataclass(frozen=True)
class Rejection:
    limit: str
    retry_after_s: float


class Guard:
    """Runs Redis calls; after a failure, skips Redis for ``pause_s`` and answers None."""

    def __init__(self, client: redis.Redis, pause_s: float) -> None:
        self.client = client
        self._pause_s = pause_s
        self._down_until = 0.0

    async def run(self, operation: str, call: Callable[[], Awaitable[T]]) -> T | None:
        if time.monotonic() < self._down_until:
            REDIS_UNAVAILABLE.labels(operation).inc()
            return None
        try:
            return await call()
        except (redis.RedisError, OSError, TimeoutError) as exc:
            self._down_until = time.monotonic() + self._pause_s
            REDIS_UNAVAILABLE.labels(operation).inc()
            log.warning("redis unavailable, failing open", extra={"operation": operation, "error": repr(exc)})
            return None


@dataclass(frozen=True)
class CodeSignals:
    distinct_devices: int
    codes_by_device: int | None


@dataclass(frozen=True)
class Admission:
    """A request's fate: refused by a limit, or admitted (with the scan's signals when it recorded one).

    signals is None when nothing was recorded or Redis was unreachable.
    """

    rejection: Rejection | None
    signals: CodeSignals | None


class Gate:
    """Rate limits and the per-code / per-device signals, in one Lua script call per request."""

    def __init__(self, guard: Guard, limits: dict[str, Limit], window_s: int) -> None:
        self._guard = guard
        self._script = guard.client.register_script(ADMIT)
        self._limits = limits
        self._window_ms = window_s * 1000

    async def admit(self, limits: Sequence[tuple[str, str]], scan: tuple[int, str] | None = None) -> Admission:
        """Admit one request against each (limit name, subject) pair; ``scan`` = (serial, device) records a scan."""
        keys = [f"scan:rl:{name}:{subject}" for name, subject in limits]
        argv: list[int | str] = [len(limits)]
        for name, _ in limits:
            limit = self._limits[name]
            argv += [max(1, round(1000 / limit.rate_per_s)), limit.burst]
        if scan is not None:
            serial, device = scan
            keys += [f"scan:code:{serial}:devices", f"scan:device:{device}:codes"]
            argv += [device, str(serial), self._window_ms]
        reply = await self._guard.run("admit", lambda: self._script(keys=keys, args=argv))
        if reply is None:
            return Admission(None, None)
        if int(reply[0]) == 0:
            return Admission(Rejection(limits[int(reply[2]) - 1][0], int(reply[1]) / 1000), None)
        signals = CodeSignals(int(reply[3]), int(reply[4])) if scan is not None else None
        return Admission(None, signals)

    async def peek(self, serial: int) -> CodeSignals | None:
        """Current counts of a code without recording anything (link-preview bots)."""

        async def call() -> CodeSignals:
            return CodeSignals(int(await self._guard.client.pfcount(f"scan:code:{serial}:devices")), None)

        return await self._guard.run("peek", call)
