"""Sealing that keeps failing: retries with backoff, dead letter, FAILED with an event, RetryAnchor re-queues it."""

import json
import os
import sys

import dramatiq
import pytest
import redis
from dramatiq.brokers.redis import RedisBroker

from anchor_svc import storage
from devmesh.mesh import Child, EmbeddedRedis, free_port

from .conftest import TOKEN_KEYS, make_batch, wait_for


@pytest.fixture
def own_redis(tmp_path):
    server = EmbeddedRedis(tmp_path / "redis", free_port())
    yield server
    server.stop()


@pytest.fixture
def worker(tmp_path, database, own_redis):
    env = {
        **os.environ,
        "DATABASE_URL": database,
        "REDIS_URL": own_redis.url,
        "TOKEN_KEYS": json.dumps(TOKEN_KEYS),
        "ANCHOR_BUILD_RETRIES": "2",
        "ANCHOR_BUILD_MIN_BACKOFF_MS": "100",
    }
    argv = [
        sys.executable,
        "-m",
        "dramatiq",
        "voketag.worker",
        "anchor_svc.tasks",
        "--processes",
        "1",
        "--threads",
        "1",
    ]
    child = Child("worker", argv, env, tmp_path / "worker.log")
    child.start()
    yield child
    child.stop()


def send(url: str, batch_id: str) -> None:
    """What the factory service sends for a new batch."""
    broker = RedisBroker(url=url)
    try:
        broker.enqueue(
            dramatiq.Message(queue_name="anchor", actor_name="request_anchor", args=(batch_id,), kwargs={}, options={})
        )
    finally:
        broker.close()


@pytest.mark.timeout(120)
async def test_exhausted_sealing_is_dead_lettered_failed_and_retryable(pool, own_redis, worker):
    async with pool.acquire() as conn:
        batch_id = await make_batch(conn, 6)
        await conn.execute("DELETE FROM products WHERE batch_id = $1 AND leaf_index = 5", batch_id)
    send(own_redis.url, batch_id)

    async def failed() -> bool:
        record = await storage.record(pool, batch_id)
        return record is not None and record.state == "FAILED"

    await wait_for(failed, timeout_s=60)
    record = await storage.record(pool, batch_id)
    assert "5 of 6 products" in record.last_error
    assert await pool.fetchval("SELECT state FROM batches WHERE id = $1", batch_id) == "FAILED"
    event = await pool.fetchrow("SELECT type, payload FROM batch_events WHERE batch_id = $1", batch_id)
    assert event["type"] == "batch.anchor_failed" and "5 of 6" in json.loads(event["payload"])["error"]
    dead = redis.Redis.from_url(own_redis.url)
    assert dead.zcard("dramatiq:anchor.XQ") == 1
    dead.close()

    # The missing product arrives; an admin retries: the batch is sealed and waits for aggregation.
    async with pool.acquire() as conn:
        await conn.execute(
            """INSERT INTO products (id, batch_id, serial, leaf_index)
               SELECT gen_random_uuid(), $1, (SELECT max(serial) + 1000 FROM products), 5""",
            batch_id,
        )
        async with conn.transaction():
            await storage.retry(conn, batch_id)
    send(own_redis.url, batch_id)

    async def sealed() -> bool:
        record = await storage.record(pool, batch_id)
        return record.state == "PENDING" and record.batch_root is not None

    await wait_for(sealed, timeout_s=60)
    assert await pool.fetchval("SELECT state FROM batches WHERE id = $1", batch_id) == "ANCHORING"
