"""Monthly partitions of the scans table: created ahead of time, dropped after the retention period.

Every scan replica runs the same periodic task; an advisory lock lets one of them work at a time and the
others skip the round. A partition is dropped only when all of its months lie before the retention period,
every scan in it is counted by the admin rollups, and the latest signed ledger checkpoint covers every scan
in it. Its ledger entries are marked pruned first: the ledger keeps their leaf hashes, so the hash chain and
the signed Merkle tree still verify (docs/ledger.md, "Retention").
"""

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import asyncpg

from scan_svc import storage_partitions as store
from scan_svc.model import Partition
from voketag.db import Connection

log = logging.getLogger("scan_svc.partitions")


@dataclass
class Round:
    """What one maintenance round did: partitions created and dropped, and why old ones were kept."""

    locked: bool = True
    created: int = 0
    dropped: list[str] = field(default_factory=list)
    kept: dict[str, str] = field(default_factory=dict)


def months_before(moment: datetime, months: int) -> datetime:
    """The first instant (UTC) of the month ``months`` before the month of ``moment``."""
    index = moment.astimezone(UTC).year * 12 + moment.astimezone(UTC).month - 1 - months
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC)


class Partitions:
    def __init__(
        self,
        pool: asyncpg.Pool,
        ahead_months: int,
        retention_months: int,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        """``retention_months``: full months kept before the current one; 0 keeps every scan."""
        self._pool = pool
        self._ahead = ahead_months
        self._retention = retention_months
        self._clock = clock

    async def maintain(self) -> Round:
        now = self._clock()
        result = Round()
        async with self._pool.acquire() as conn:
            async with conn.transaction():
                if not await store.lock(conn):
                    return Round(locked=False)
                result.created = await store.add(conn, now, months_before(now, -self._ahead))
            if self._retention:
                cutoff = months_before(now, self._retention)
                for partition in await store.partitions(conn):
                    if partition.ends > cutoff:
                        break
                    # One transaction per partition: DROP locks the scans table until commit.
                    async with conn.transaction():
                        if not await store.lock(conn):
                            return result
                        reason = await self._drop_if_done(conn, partition)
                    if reason:
                        result.kept[partition.name] = reason
                    else:
                        result.dropped.append(partition.name)
        if result.created or result.dropped or result.kept:
            log.info(
                "scan partitions maintained",
                extra={"created": result.created, "dropped": result.dropped, "kept": result.kept},
            )
        return result

    async def _drop_if_done(self, conn: Connection, partition: Partition) -> str:
        """Drop the partition if its scans are rolled up and sealed; otherwise say why it stays."""
        contents = await store.contents(conn, partition)
        if contents.rolled_up != contents.scans:
            return f"rollups count {contents.rolled_up} scans of {contents.scans}"
        signed = await store.signed_tree_size(conn)
        if contents.last_seq > signed:
            return f"ledger entry {contents.last_seq} is not covered by a signed checkpoint (size {signed})"
        await store.drop(conn, partition)
        return ""

    async def run(self, interval_s: float) -> None:
        """Maintain forever (the scan service runs this as a background task)."""
        while True:
            try:
                await self.maintain()
            except Exception:
                # A failed round (PostgreSQL restarting) is retried; months ahead leave time to recover.
                log.exception("scan partition maintenance failed; retrying")
            await asyncio.sleep(interval_s)
