"""Counterfeit scans, counted for the brand without giving up the rule that a forged token costs no per-code
state and no PostgreSQL query on the request path.

A scan whose token names no product adds 1 to one field of one Redis hash (a single HINCRBY; the field is
hour | country | key id | reason, so the hash stays small whatever the attacker sends). Every scan replica
flushes periodically: one Lua call renames the live hash to a batch of its own and records the batch id in
a pending set, atomically; each pending batch is then added to the PostgreSQL rollups under an advisory
transaction lock, exactly once by its id (storage_counterfeits), and only then removed from Redis. A flush that
dies at any point leaves its batch pending for the next flush of any replica.
"""

import asyncio
import logging
import uuid
from datetime import UTC, datetime

import asyncpg

from scan_svc import storage_counterfeits as store
from scan_svc.storage_redis import Guard
from voketag.kv import reply
from voketag.tokens import TokenError, decode

log = logging.getLogger("scan_svc.counterfeits")

LIVE = "scan:counterfeits:live"
PENDING = "scan:counterfeits:pending"
BATCH = "scan:counterfeits:batch:"
# Key id recorded for a text that does not even decode.
NO_KEY = -1

# KEYS: live hash, the new batch key, the pending set; ARGV[1]: the batch id.
_TAKE = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('RENAME', KEYS[1], KEYS[2])
redis.call('SADD', KEYS[3], ARGV[1])
return 1
"""


def key_id_of(token: str) -> int:
    """The key id a token claims (its first byte), or NO_KEY when the text does not decode."""
    try:
        return decode(token)[0]
    except TokenError:
        return NO_KEY


class Counterfeits:
    def __init__(self, guard: Guard, pool: asyncpg.Pool) -> None:
        self._guard = guard
        self._pool = pool
        self._take = guard.client.register_script(_TAKE)

    async def count(self, at: datetime, country: str, key_id: int, reason: str) -> None:
        """Count one scan of a code that names no product (fails open like every Redis call of the scan path)."""
        hour = at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        field = f"{hour.isoformat()}|{country}|{key_id}|{reason}"
        await self._guard.run("counterfeit_count", lambda: reply(self._guard.client.hincrby(LIVE, field, 1)))

    async def flush(self) -> int:
        """Move the counts counted so far into PostgreSQL; returns the number of scans this call added."""
        batch_id = uuid.uuid4().hex
        client = self._guard.client
        await self._take(keys=[LIVE, BATCH + batch_id, PENDING], args=[batch_id])
        added = 0
        for member in await reply(client.smembers(PENDING)):
            pending = _text(member)
            fields = await reply(client.hgetall(BATCH + pending))
            counts = [_parse(_text(field), int(value)) for field, value in fields.items()]
            if counts and await store.add_batch(self._pool, pending, counts):
                added += sum(c.scans for c in counts)
            await client.delete(BATCH + pending)
            await reply(client.srem(PENDING, pending))
        return added

    async def run(self, interval_s: float) -> None:
        """Flush forever (the scan service runs this as a background task)."""
        while True:
            await asyncio.sleep(interval_s)
            try:
                await self.flush()
            except Exception:
                # Counts wait in Redis while PostgreSQL or Redis is down: log and try again later.
                log.exception("counterfeit flush failed; retrying")


def _text(value: bytes | str) -> str:
    """redis-py types replies for both decode_responses settings; the shared client (voketag.kv) returns bytes."""
    return value.decode() if isinstance(value, bytes) else value


def _parse(field: str, scans: int) -> store.Count:
    hour, country, key_id, reason = field.split("|")
    return store.Count(datetime.fromisoformat(hour), country, int(key_id), reason, scans)
