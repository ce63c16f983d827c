"""Redis-backed state of the scan service: GCRA rate limits and the per-code / per-device signals.

Redis is optional at run time: every call fails open. After a failure Redis is skipped for a short
while (no timeout per request), the caller gets None and marks the dependent risk factors unavailable.
"""

import asyncio
import hashlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

import redis.asyncio as redis
from redis.exceptions import NoScriptError

from scan_svc.domain import Place
from scan_svc.metrics import REDIS_UNAVAILABLE
from scan_svc.settings import Limit
from voketag import tracing

log = logging.getLogger("scan_svc.redis")
T = TypeVar("T")

# One round trip per request. GCRA over several keys at once, all or nothing: a request passes only if every
# limit admits it, and only then does every key advance. KEYS[1..n] are the limits, with ARGV[2i-1] =
# emission interval (ms) and ARGV[2i] = burst. When the request is a genuine scan, five keys of the code and
# the client follow (SCAN_KEYS) and ARGV carries, after the limits, the device, the code, the velocity
# window (ms), the client network, the scan's place ('' when none) and the lifetime of a client's place (ms).
# A refused scan only counts into the code's refused counter; an admitted one is recorded: device and network
# into the code's HyperLogLogs, the code into the device's recent codes, the network's first place of the code.
# Returns {1, 0, 0, devices, codes by device, networks, refused, first place of this network} when admitted,
# else {0, retry_after_ms, tightest key}.
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
local scan = #KEYS > limits
local devices, networks, codes, refused, places = KEYS[limits + 1], KEYS[limits + 2], KEYS[limits + 3],
  KEYS[limits + 4], KEYS[limits + 5]
local device, code, window = ARGV[2 * limits + 2], ARGV[2 * limits + 3], tonumber(ARGV[2 * limits + 4])
local network, place, place_ttl = ARGV[2 * limits + 5], ARGV[2 * limits + 6], tonumber(ARGV[2 * limits + 7])
if which > 0 then
  if scan then
    redis.call('INCR', refused)
    redis.call('PEXPIRE', refused, window)
  end
  return {0, wait, which}
end
for i = 1, limits do
  redis.call('SET', KEYS[i], new_tats[i], 'PX', math.max(1, new_tats[i] - now))
end
if not scan then return {1, 0, 0} end
redis.call('PFADD', devices, device)
redis.call('PFADD', networks, network)
redis.call('ZADD', codes, now, code)
redis.call('ZREMRANGEBYSCORE', codes, 0, now - window)
redis.call('PEXPIRE', codes, window)
local first = ''
if place ~= '' then
  first = redis.call('HGET', places, network)
  if not first then
    redis.call('HSET', places, network, place)
    first = place
  end
  redis.call('PEXPIRE', places, place_ttl)
end
return {1, 0, 0, redis.call('PFCOUNT', devices), redis.call('ZCARD', codes), redis.call('PFCOUNT', networks),
  tonumber(redis.call('GET', refused) or 0), first}
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


@dataclass
class _Call:
    keys: list[str]
    args: list[int | str]
    done: asyncio.Future[Any] = field(default_factory=lambda: asyncio.get_running_loop().create_future())
    origin: tracing.Origin = field(default_factory=tracing.origin)


class ScriptBatch:
    """One Lua script for many concurrent callers, pipelined: the calls made while a batch is on the wire go out
    together in the next one, one write and one read for all (the scan writer's group commit, for Redis).

    Redis runs the scripts one after the other in arrival order, as it would separate calls. A failure of the
    round trip reaches every caller of the batch; a script Redis lost (restarted, flushed) is loaded again.
    """

    def __init__(self, client: redis.Redis, source: str, name: str) -> None:
        self._client = client
        self._source = source
        self._sha = hashlib.sha1(source.encode()).hexdigest()
        self._name = name
        self._queue: list[_Call] = []
        self._sender: asyncio.Task[None] | None = None

    async def __call__(self, keys: list[str], args: list[int | str]) -> Any:
        call = _Call(keys, args)
        self._queue.append(call)
        if self._sender is None:
            self._sender = asyncio.get_running_loop().create_task(self._send())
        return await call.done

    async def _send(self) -> None:
        try:
            while self._queue:
                batch, self._queue = self._queue, []
                try:
                    with tracing.on_behalf_of(self._name, [call.origin for call in batch]):
                        replies = await self._run(batch)
                except Exception as exc:  # every caller learns it; Guard fails each of them open
                    replies = [exc] * len(batch)
                for call, reply in zip(batch, replies, strict=True):
                    if call.done.done():
                        continue
                    if isinstance(reply, Exception):
                        call.done.set_exception(reply)
                    else:
                        call.done.set_result(reply)
        finally:
            self._sender = None

    async def _run(self, batch: list[_Call]) -> list[Any]:
        replies = await self._pipeline(batch)
        if any(isinstance(reply, NoScriptError) for reply in replies):
            await self._client.script_load(self._source)
            replies = await self._pipeline(batch)
        return replies

    async def _pipeline(self, batch: list[_Call]) -> list[Any]:
        async with self._client.pipeline(transaction=False) as pipe:
            for call in batch:
                pipe.evalsha(self._sha, len(call.keys), *call.keys, *call.args)
            return list(await pipe.execute(raise_on_error=False))


@dataclass(frozen=True)
class CodeSignals:
    """Counts of a code across clients; codes_by_device and first_place exist only for a recorded scan.

    first_place: the first place this scan's network claimed for the code ('' when the scan has none), encoded
    by ``place_key``.
    """

    distinct_devices: int
    distinct_networks: int
    refused_scans: int
    codes_by_device: int | None = None
    first_place: str = ""


@dataclass(frozen=True)
class ScanKeys:
    """What a genuine scan records: its code, device, client network and claimed place (``place_key``)."""

    serial: int
    device: str
    network: str
    place: str


def place_key(latitude: float | None, longitude: float | None, country: str) -> str:
    """A claimed place as stored in Redis; '' for no place."""
    if latitude is None and not country:
        return ""
    return f"{'' if latitude is None else latitude}|{'' if longitude is None else longitude}|{country}"


def place_from_key(stored: str, at: datetime) -> Place | None:
    """The place ``place_key`` stored, as seen at ``at``; None for ''."""
    if not stored:
        return None
    latitude, longitude, country = stored.split("|")
    return Place(float(latitude) if latitude else None, float(longitude) if longitude else None, country, at)


def _code_keys(serial: int) -> tuple[str, str, str]:
    return f"scan:code:{serial}:devices", f"scan:code:{serial}:networks", f"scan:code:{serial}:refused"


@dataclass(frozen=True)
class Admission:
    """A request's fate: refused by a limit, or admitted (with the scan's signals when it recorded one).

    signals is None when nothing was recorded or Redis was unreachable.
    """

    rejection: Rejection | None
    signals: CodeSignals | None


class Gate:
    """Rate limits and the per-code / per-device signals, in one Lua script call per request."""

    def __init__(self, guard: Guard, limits: dict[str, Limit], window_s: int, place_ttl_s: int) -> None:
        self._guard = guard
        self._script = ScriptBatch(guard.client, ADMIT, "redis admit batch")
        # GCRA parameters per limit (emission interval in ms, burst): fixed by the settings.
        self._params = {name: (max(1, round(1000 / limit.rate_per_s)), limit.burst) for name, limit in limits.items()}
        self._window_ms = window_s * 1000
        self._place_ttl_ms = place_ttl_s * 1000

    async def admit(self, limits: Sequence[tuple[str, str]], scan: ScanKeys | None = None) -> Admission:
        """Admit one request against each (limit name, subject) pair; ``scan`` records a genuine scan."""
        keys = [f"scan:rl:{name}:{subject}" for name, subject in limits]
        argv: list[int | str] = [len(limits)]
        for name, _ in limits:
            argv += self._params[name]
        if scan is not None:
            devices, networks, refused = _code_keys(scan.serial)
            # Recent codes per device and network: a client reusing another's device hint elsewhere moves nothing.
            codes = f"scan:device:{scan.device}:{scan.network}:codes"
            keys += [devices, networks, codes, refused, f"scan:code:{scan.serial}:places"]
            argv += [scan.device, str(scan.serial), self._window_ms, scan.network, scan.place, self._place_ttl_ms]
        reply = await self._guard.run("admit", lambda: self._script(keys, argv))
        if reply is None:
            return Admission(None, None)
        if int(reply[0]) == 0:
            return Admission(Rejection(limits[int(reply[2]) - 1][0], int(reply[1]) / 1000), None)
        if scan is None:
            return Admission(None, None)
        first = reply[7].decode() if isinstance(reply[7], bytes) else str(reply[7])
        return Admission(None, CodeSignals(int(reply[3]), int(reply[5]), int(reply[6]), int(reply[4]), first))

    async def peek(self, serial: int) -> CodeSignals | None:
        """Current counts of a code without recording anything (link-preview bots)."""
        devices, networks, refused = _code_keys(serial)

        async def call() -> CodeSignals:
            async with self._guard.client.pipeline(transaction=False) as pipe:
                pipe.pfcount(devices)
                pipe.pfcount(networks)
                pipe.get(refused)
                counted_devices, counted_networks, refused_scans = await pipe.execute()
            return CodeSignals(int(counted_devices), int(counted_networks), int(refused_scans or 0))

        return await self._guard.run("peek", call)
