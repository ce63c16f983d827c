"""The Dramatiq worker SIGKILLed while it seals batches: once a worker runs again, the messages the dead one
held go back to the queue within the heartbeat timeout (not at a random maintenance pass), and every batch
is anchored exactly once."""

import asyncio
import os
import signal
import time
from collections import Counter

import asyncpg
import redis

from tests.anchor.conftest import make_batch
from voketag.queue import HEARTBEAT_TIMEOUT_MS

from .conftest import OwnMesh, wait_for

BATCHES, PRODUCTS = 4, 60_000


def _taken(kv: redis.Redis) -> int:
    """Messages of the anchor queue fetched by a worker and not acknowledged yet."""
    return sum(int(kv.scard(key)) for key in kv.scan_iter("dramatiq:__acks__.*.anchor"))


async def test_jobs_of_a_killed_worker_are_retried_and_anchored_once(own_mesh: OwnMesh) -> None:
    kv = redis.Redis.from_url(own_mesh.redis.url)
    worker = own_mesh.mesh.children["worker"]
    async with asyncpg.create_pool(own_mesh.postgres.url, min_size=1, max_size=2) as pool:
        async with pool.acquire() as conn:
            batch_ids = [await make_batch(conn, PRODUCTS) for _ in range(BATCHES)]
            # What CreateBatch commits with a batch: the relay turns it into a request_anchor message.
            await conn.executemany("INSERT INTO anchor_outbox (batch_id) VALUES ($1)", [(b,) for b in batch_ids])

        wait_for(lambda: _taken(kv) > 0, 60, "the worker taking a sealing job", pause_s=0.02)
        # The whole process group: dramatiq's worker processes are children of the one Child started.
        os.killpg(worker.pid, signal.SIGKILL)
        worker.process.wait()  # type: ignore[union-attr]
        sealed = await pool.fetchval(
            "SELECT count(*) FROM anchor_records WHERE batch_id = ANY($1::uuid[]) AND batch_root IS NOT NULL",
            batch_ids,
        )
        assert sealed < BATCHES, "the worker finished before it was killed: nothing was taken from it"
        assert _taken(kv) > 0

        worker.start()
        restarted = time.monotonic()

        async def states() -> list[str]:
            rows = await pool.fetch("SELECT state FROM anchor_records WHERE batch_id = ANY($1::uuid[])", batch_ids)
            return [row["state"] for row in rows]

        deadline = restarted + 60 + HEARTBEAT_TIMEOUT_MS / 1000
        while await states() != ["ANCHORED"] * BATCHES:
            assert time.monotonic() < deadline, await states()
            await asyncio.sleep(0.5)
        took = time.monotonic() - restarted
        print(f"\nworker SIGKILLed mid-sealing: all {BATCHES} batches ANCHORED {took:.1f} s after its restart")

        roots = await pool.fetch(
            "SELECT batch_root, aggregation_id FROM anchor_records WHERE batch_id = ANY($1::uuid[])", batch_ids
        )
        # Every aggregation that is or may get on the chain (this database is the test's own).
        aggregations = await pool.fetch(
            "SELECT leaves FROM anchor_aggregations WHERE state IN ('SUBMITTED', 'CONFIRMING', 'ANCHORED')"
        )
        carried = Counter(
            bytes(agg["leaves"][i : i + 32]) for agg in aggregations for i in range(0, len(agg["leaves"]), 32)
        )
        assert all(carried[bytes(row["batch_root"])] == 1 for row in roots), carried
    assert _taken(kv) == 0
