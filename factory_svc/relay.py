"""The outbox relay: committed rows in PostgreSQL -> Dramatiq messages (Redis or RabbitMQ), at least once.

It runs as a background task of the factory service. Each pass claims pending rows with
FOR UPDATE SKIP LOCKED (several replicas split the work), enqueues, then marks them sent in the same
transaction: a crash between enqueue and commit re-sends (consumers are idempotent), a crash before
enqueue leaves the rows pending for the next pass or the next process.
"""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import asyncpg
import dramatiq

from factory_svc import storage
from voketag.db import Connection

log = logging.getLogger("factory_svc.relay")

BATCH = 200
# Message contracts: the anchor worker's actor (anchor_svc) and our webhook actor (factory_svc.tasks).
ANCHOR_QUEUE, ANCHOR_ACTOR = "anchor", "request_anchor"
WEBHOOK_QUEUE, WEBHOOK_ACTOR = "webhooks", "deliver_webhook"


class Relay:
    def __init__(self, pool: asyncpg.Pool, broker: dramatiq.Broker, interval_s: float) -> None:
        self._pool = pool
        self._broker = broker
        self._interval_s = interval_s
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Run a pass now (called after a commit that wrote outbox rows)."""
        self._wake.set()

    async def run(self) -> None:
        while True:
            try:
                while await self.run_once():
                    pass
            except Exception:
                # PostgreSQL or Redis away: the rows stay pending; try again on the next tick.
                log.exception("relay pass failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._interval_s)
            self._wake.clear()

    async def run_once(self) -> bool:
        """One pass over the three outboxes; True when a full batch was moved (more may be waiting)."""
        anchors = await self._drain(
            storage.due_anchor_requests, storage.mark_anchor_requests_sent, ANCHOR_QUEUE, ANCHOR_ACTOR
        )
        async with self._pool.acquire() as conn:
            await storage.fan_out_events(conn, BATCH)
        deliveries = await self._drain(
            storage.unqueued_deliveries, storage.mark_deliveries_enqueued, WEBHOOK_QUEUE, WEBHOOK_ACTOR
        )
        return max(anchors, deliveries) >= BATCH

    async def _drain(
        self,
        claim: Callable[[Connection, int], Awaitable[Sequence[tuple[Any, str, dict[str, str]]]]],
        mark: Callable[[Connection, list[Any]], Awaitable[None]],
        queue: str,
        actor: str,
    ) -> int:
        """Claim (row id, message argument, message options), enqueue, mark the rows, in one transaction."""
        async with self._pool.acquire() as conn, conn.transaction():
            rows = await claim(conn, BATCH)
            if rows:
                await asyncio.to_thread(self._enqueue, queue, actor, [(arg, options) for _, arg, options in rows])
                await mark(conn, [row_id for row_id, _, _ in rows])
        return len(rows)

    def _enqueue(self, queue: str, actor: str, messages: Sequence[tuple[str, dict[str, str]]]) -> None:
        for arg, options in messages:
            self._broker.enqueue(
                dramatiq.Message(queue_name=queue, actor_name=actor, args=(arg,), kwargs={}, options=dict(options))
            )
