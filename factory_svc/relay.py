"""The outbox relay: committed rows in PostgreSQL -> Dramatiq messages in Redis, at least once.

It runs as a background task of the factory service. Each pass claims pending rows with
FOR UPDATE SKIP LOCKED (several replicas split the work), enqueues, then marks them sent in the same
transaction: a crash between enqueue and commit re-sends (consumers are idempotent), a crash before
enqueue leaves the rows pending for the next pass or the next process.
"""

import asyncio
import contextlib
import logging
from collections.abc import Sequence

import asyncpg
import dramatiq
from dramatiq.brokers.redis import RedisBroker

log = logging.getLogger("factory_svc.relay")

BATCH = 200
# Message contracts: the anchor worker's actor (anchor_svc) and our webhook actor (factory_svc.tasks).
ANCHOR_QUEUE, ANCHOR_ACTOR = "anchor", "request_anchor"
WEBHOOK_QUEUE, WEBHOOK_ACTOR = "webhooks", "deliver_webhook"

# One statement fans the pending batch events out to the subscribed webhooks and marks them dispatched,
# so an event is either turned into its deliveries or left for the next pass, never half done.
_FAN_OUT = """
WITH picked AS (
    SELECT * FROM batch_events WHERE dispatched_at IS NULL ORDER BY created_at LIMIT $1 FOR UPDATE SKIP LOCKED
), fanned AS (
    INSERT INTO webhook_deliveries (id, webhook_id, event_id, event_type, object_id, body)
    SELECT gen_random_uuid(), w.id, e.id, e.type, COALESCE((e.payload->>'product_id')::uuid, e.batch_id),
           jsonb_build_object(
               'id', e.id, 'type', e.type, 'created_at', e.created_at,
               'data', e.payload || jsonb_build_object('batch_id', e.batch_id, 'factory_id', e.factory_id))::text
    FROM picked e
    JOIN webhooks w ON w.factory_id = e.factory_id AND w.active AND w.deleted_at IS NULL AND e.type = ANY (w.events)
    ON CONFLICT (webhook_id, event_id) DO NOTHING
)
UPDATE batch_events SET dispatched_at = now() WHERE id IN (SELECT id FROM picked)
"""


class Relay:
    def __init__(self, pool: asyncpg.Pool, broker: RedisBroker, interval_s: float) -> None:
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
            "SELECT id, batch_id AS arg FROM anchor_outbox WHERE sent_at IS NULL ORDER BY id LIMIT $1"
            " FOR UPDATE SKIP LOCKED",
            "UPDATE anchor_outbox SET sent_at = now() WHERE id = ANY($1::bigint[])",
            ANCHOR_QUEUE,
            ANCHOR_ACTOR,
        )
        async with self._pool.acquire() as conn:
            await conn.execute(_FAN_OUT, BATCH)
        deliveries = await self._drain(
            "SELECT id, id AS arg FROM webhook_deliveries WHERE enqueued_at IS NULL ORDER BY created_at LIMIT $1"
            " FOR UPDATE SKIP LOCKED",
            "UPDATE webhook_deliveries SET enqueued_at = now() WHERE id = ANY($1::uuid[])",
            WEBHOOK_QUEUE,
            WEBHOOK_ACTOR,
        )
        return max(anchors, deliveries) >= BATCH

    async def _drain(self, claim: str, mark: str, queue: str, actor: str) -> int:
        async with self._pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(claim, BATCH)
            if rows:
                await asyncio.to_thread(self._enqueue, queue, actor, [str(row["arg"]) for row in rows])
                await conn.execute(mark, [row["id"] for row in rows])
        return len(rows)

    def _enqueue(self, queue: str, actor: str, args: Sequence[str]) -> None:
        for arg in args:
            self._broker.enqueue(
                dramatiq.Message(queue_name=queue, actor_name=actor, args=(arg,), kwargs={}, options={})
            )
