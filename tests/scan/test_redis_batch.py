"""ScriptBatch against the real Redis: concurrent calls share one pipelined round trip, each caller gets the
reply of its own call in arrival order, a script Redis lost is loaded again, and a failed round trip reaches
every caller of the batch."""

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as redis

from devmesh.mesh import free_port
from scan_svc.storage_redis import ScriptBatch

# The caller's own argument next to the counter's new value: which reply went to whom is visible.
COUNT = "return {redis.call('INCR', KEYS[1]), ARGV[1]}"


@pytest.fixture
async def kv(deps: dict[str, str]) -> AsyncIterator[redis.Redis]:
    client = redis.Redis.from_url(deps["REDIS_URL"])
    yield client
    await client.aclose()


class Counted(ScriptBatch):
    """Counts the pipelines sent (a spy over the real round trips)."""

    sent = 0

    async def _pipeline(self, batch: list) -> list:  # type: ignore[override]
        self.sent += 1
        return await super()._pipeline(batch)


async def test_concurrent_calls_share_a_round_trip_and_get_their_own_replies(kv: redis.Redis) -> None:
    key = f"test:batch:{uuid.uuid4().hex}"
    batch = Counted(kv, COUNT, "test batch")
    await kv.script_load(COUNT)  # else the first round trip answers NOSCRIPT and the batch is sent again
    replies = await asyncio.gather(*(batch([key], [f"caller-{i}"]) for i in range(50)))
    assert [(count, who.decode()) for count, who in replies] == [(i + 1, f"caller-{i}") for i in range(50)]
    assert batch.sent == 1
    # Calls made while a batch is on the wire go in the next one, not one round trip each.
    first = asyncio.ensure_future(batch([key], ["early"]))
    await asyncio.sleep(0)  # the sender is on the wire now
    later = [asyncio.ensure_future(batch([key], [f"late-{i}"])) for i in range(10)]
    await asyncio.gather(first, *later)
    assert batch.sent == 3 and int(await kv.get(key)) == 61


async def test_a_script_redis_lost_is_loaded_again(kv: redis.Redis) -> None:
    key = f"test:batch:{uuid.uuid4().hex}"
    batch = Counted(kv, COUNT, "test batch")
    assert (await batch([key], ["a"]))[0] == 1
    await kv.script_flush()  # what a restarted Redis looks like to the service
    sent = batch.sent
    assert [reply[0] for reply in await asyncio.gather(batch([key], ["b"]), batch([key], ["c"]))] == [2, 3]
    assert batch.sent == sent + 2  # NOSCRIPT, then the same batch again once loaded


async def test_a_failed_round_trip_reaches_every_caller() -> None:
    gone = redis.Redis(port=free_port(), socket_connect_timeout=1)
    batch = ScriptBatch(gone, COUNT, "test batch")
    results = await asyncio.gather(*(batch(["k"], [str(i)]) for i in range(5)), return_exceptions=True)
    assert all(isinstance(result, redis.ConnectionError) for result in results), results
    await gone.aclose()
