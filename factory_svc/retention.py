"""Expiry of request ids: idempotency records older than REQUEST_ID_RETENTION_S are deleted in chunks.

factory_requests gets one row per CreateProduct, ImportCsv into an existing batch and CreateWebhook, so
without expiry it grows forever. A background task of every factory service process deletes the expired
rows; replicas doing the same pass at once only skip each other's rows (SKIP LOCKED). After a record is
gone, the same request id is new again: a retry creates a new object. Batches keep their request id in
their own row (batches.request_id) as long as they exist; see docs/factory.md for why.
"""

import asyncio
import logging
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg

from factory_svc import storage

log = logging.getLogger("factory_svc.retention")

# Rows per DELETE statement: large enough that a backlog of millions clears in a few hundred short
# statements, small enough that each one holds its row locks and WAL burst for milliseconds.
CHUNK_ROWS = 10_000


@dataclass(frozen=True)
class Purged:
    """What one cleanup pass did: rows deleted and DELETE statements run (the last one deleted < a chunk)."""

    rows: int
    chunks: int


async def purge_expired_requests(
    pool: asyncpg.Pool, now: datetime, retention: timedelta, chunk_rows: int = CHUNK_ROWS
) -> Purged:
    """Delete every idempotency record created before ``now - retention``, ``chunk_rows`` per statement.

    ``now`` is explicit so that callers (and tests) decide the clock; it must be timezone-aware, because
    asyncpg would read a naive value as UTC and silently move the window by the local offset.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if chunk_rows < 1:
        raise ValueError("chunk_rows must be at least 1")
    cutoff = now - retention
    rows = chunks = 0
    while True:
        deleted = await storage.delete_expired_requests(pool, cutoff, chunk_rows)
        rows += deleted
        chunks += 1
        # A short chunk means nothing expired is left, except rows skipped as locked: the next pass gets
        # those. New rows cannot join: they are created at the database's now(), after the cutoff.
        if deleted < chunk_rows:
            return Purged(rows, chunks)


class RequestRetention:
    """The periodic cleanup, run as a background task of the factory service (like the outbox relay)."""

    def __init__(self, pool: asyncpg.Pool, retention_s: float, interval_s: float) -> None:
        self._pool = pool
        self._retention = timedelta(seconds=retention_s)
        self._interval_s = interval_s

    async def run(self) -> None:
        # The first pass waits a random part of one interval: replicas started together spread their passes,
        # and a process restarted more often than the interval still gets to run one.
        await asyncio.sleep(random.uniform(0, self._interval_s))
        while True:
            try:
                purged = await self.run_once(datetime.now(UTC))
                if purged.rows:
                    log.info("expired request ids deleted", extra={"rows": purged.rows, "chunks": purged.chunks})
            except Exception:
                # PostgreSQL away or restarting: nothing is lost by waiting, the rows are still expired next tick.
                log.exception("request id cleanup failed; retrying on the next tick")
            await asyncio.sleep(self._interval_s)

    async def run_once(self, now: datetime) -> Purged:
        return await purge_expired_requests(self._pool, now, self._retention)
