"""PostgreSQL side of the counterfeit counts: batches of Redis counts added to the rollups exactly once."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from voketag.locks import Lock, xact_lock

# A batch id is remembered this long; a batch left in Redis longer than that (never seen in practice: the
# next flush of any replica takes it) would be added twice.
REMEMBER = "7 days"

_ADD = """
WITH input AS (
    SELECT * FROM unnest($1::timestamptz[], $2::text[], $3::int[], $4::text[], $5::bigint[])
        AS i(hour, country, key_id, reason, scans)
),
hourly AS (
    INSERT INTO counterfeit_hourly (hour, scans)
    SELECT hour, sum(scans) FROM input GROUP BY hour ORDER BY hour
    ON CONFLICT (hour) DO UPDATE SET scans = counterfeit_hourly.scans + EXCLUDED.scans
)
INSERT INTO counterfeit_daily (day, country, key_id, reason, scans)
SELECT (hour AT TIME ZONE 'UTC')::date, country, key_id, reason, sum(scans) FROM input
GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
ON CONFLICT (day, country, key_id, reason) DO UPDATE SET scans = counterfeit_daily.scans + EXCLUDED.scans
"""


@dataclass(frozen=True)
class Count:
    hour: datetime
    country: str
    key_id: int
    reason: str
    scans: int


async def add_batch(pool: asyncpg.Pool, batch_id: str, counts: Sequence[Count]) -> bool:
    """Add one batch of counts unless it was added before; True when this call added it."""
    async with pool.acquire() as conn, conn.transaction():
        # Orders the flushes of every replica.
        await xact_lock(conn, Lock.COUNTERFEIT_FLUSH)
        fresh = await conn.fetchval(
            "INSERT INTO counterfeit_flushes (id) VALUES ($1) ON CONFLICT DO NOTHING RETURNING true", batch_id
        )
        if not fresh:
            return False
        await conn.execute(
            _ADD,
            [c.hour for c in counts],
            [c.country for c in counts],
            [c.key_id for c in counts],
            [c.reason for c in counts],
            [c.scans for c in counts],
        )
        await conn.execute(f"DELETE FROM counterfeit_flushes WHERE flushed_at < now() - interval '{REMEMBER}'")
    return True
