"""Transactional outbox: a batch committed just before the service dies is still handed to anchoring."""

import asyncio
import json
import uuid

import asyncpg
import grpc
import redis.asyncio as redis

from tests.factory.conftest import PrivateFactory, bearer, new_factory
from voketag.auth import Role, TokenSigner
from voketag.factory.v1 import factory_service_pb2 as pb
from voketag.factory.v1 import factory_service_pb2_grpc as rpc


async def anchor_requests(url: str) -> list[list[str]]:
    """Arguments of the request_anchor messages waiting in Dramatiq's Redis queue `anchor`."""
    client = redis.Redis.from_url(url)
    try:
        ids = await client.lrange("dramatiq:anchor", 0, -1)
        messages = [json.loads(raw) for raw in (await client.hmget("dramatiq:anchor.msgs", ids) if ids else [])]
    finally:
        await client.aclose()
    assert all(message["actor_name"] == "request_anchor" for message in messages)
    return [message["args"] for message in messages]


async def test_killed_after_commit_the_relay_enqueues_after_restart(private_factory, signer: TokenSigner) -> None:
    stack: PrivateFactory = private_factory()
    # The relay is off: the process dies with the batch committed and nothing enqueued, the worst moment.
    await stack.start(RELAY_ENABLED="false")
    pool = await asyncpg.create_pool(stack.database_url, min_size=1, max_size=2)
    try:
        factory_id = await new_factory(pool)
        md = bearer(signer.mint("mes", Role.SERVICE_ACCOUNT, factory_id=factory_id))
        async with grpc.aio.insecure_channel(f"127.0.0.1:{stack.port}") as channel:
            reply = await rpc.FactoryServiceStub(channel).CreateBatch(
                pb.CreateBatchRequest(request_id=str(uuid.uuid4()), sku="K", product_line="K", quantity=10), metadata=md
            )
        stack.kill()
        batch_id = reply.batch.id
        assert await pool.fetchval("SELECT count(*) FROM anchor_outbox WHERE sent_at IS NULL") == 1
        assert await anchor_requests(stack.redis.url) == []

        await stack.start()
        # The relay enqueues first and marks the row sent afterwards (at least once): wait for both.
        for _ in range(100):
            unsent = await pool.fetchval("SELECT count(*) FROM anchor_outbox WHERE sent_at IS NULL")
            if unsent == 0 and await anchor_requests(stack.redis.url):
                break
            await asyncio.sleep(0.1)
        assert await anchor_requests(stack.redis.url) == [[batch_id]]
        assert await pool.fetchval("SELECT count(*) FROM anchor_outbox WHERE sent_at IS NULL") == 0
    finally:
        await pool.close()
