"""Request id retention: expired idempotency records are deleted in chunks, the objects they name stay.

The cleanup takes its clock as an argument, so these tests move `now` instead of sleeping. The API tests
run against a private service whose own cleanup loop uses the real clock: it can never reach the fresh
records they create, so the counts below are exact.
"""

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import grpc
import pytest
from pydantic import ValidationError

from factory_svc.retention import Purged, RequestRetention, purge_expired_requests
from factory_svc.settings import FactorySettings
from tests.factory.conftest import Isolated, new_factory
from tests.support import error_reason
from voketag.factory.v1 import factory_service_pb2 as pb
from voketag.migrations import migrate_url

RETENTION = timedelta(days=7)


async def record_created_at(pool: asyncpg.Pool, request_id: str) -> datetime:
    created = await pool.fetchval("SELECT created_at FROM factory_requests WHERE request_id = $1", request_id)
    assert created is not None, "the Create wrote no idempotency record"
    return created


async def new_batch(isolated: Isolated) -> pb.Batch:
    request = pb.CreateBatchRequest(
        request_id=str(uuid.uuid4()), sku="SKU-R", product_line="Retention", quantity=1, open_for={"seconds": 3600}
    )
    return (await isolated.stub.CreateBatch(request, metadata=isolated.operator)).batch


def test_retention_setting_defaults_to_7_days_and_refuses_less_than_an_hour() -> None:
    assert FactorySettings(database_url="postgresql://unused").request_id_retention_s == 7 * 24 * 3600
    minimum = FactorySettings(database_url="postgresql://unused", request_id_retention_s=3600)
    assert minimum.request_id_retention_s == 3600
    with pytest.raises(ValidationError):
        FactorySettings(database_url="postgresql://unused", request_id_retention_s=3599)


async def test_an_expired_request_id_is_forgotten_and_then_creates_a_new_object(isolated: Isolated) -> None:
    stub, operator = isolated.stub, isolated.operator
    batch = await new_batch(isolated)
    request = pb.CreateProductRequest(request_id=str(uuid.uuid4()), batch_id=batch.id)
    first = (await stub.CreateProduct(request, metadata=operator)).product
    created = await record_created_at(isolated.pool, request.request_id)

    purged = await purge_expired_requests(isolated.pool, created + RETENTION + timedelta(seconds=1), RETENTION)

    assert purged == Purged(rows=1, chunks=1)
    assert await isolated.pool.fetchval("SELECT count(*) FROM factory_requests") == 0
    # Only the record went: the product it pointed to is still there.
    kept = await stub.GetProduct(pb.GetProductRequest(id=first.id), metadata=operator)
    assert kept.product.id == first.id
    # The same request id is new again: a second product, recorded under the same id.
    second = (await stub.CreateProduct(request, metadata=operator)).product
    assert second.id != first.id
    assert second.leaf_index == first.leaf_index + 1
    assert str(await isolated.pool.fetchval("SELECT object_id FROM factory_requests")) == second.id
    refreshed = await stub.GetBatch(pb.GetBatchRequest(id=batch.id), metadata=operator)
    assert refreshed.batch.quantity == 3


async def test_a_request_id_inside_the_window_still_replays_the_original_answer(isolated: Isolated) -> None:
    stub, operator = isolated.stub, isolated.operator
    batch = await new_batch(isolated)
    request = pb.CreateProductRequest(request_id=str(uuid.uuid4()), batch_id=batch.id, external_id="IN-WINDOW")
    first = (await stub.CreateProduct(request, metadata=operator)).product
    created = await record_created_at(isolated.pool, request.request_id)

    purged = await purge_expired_requests(isolated.pool, created + RETENTION - timedelta(seconds=1), RETENTION)

    assert purged == Purged(rows=0, chunks=1)
    again = (await stub.CreateProduct(request, metadata=operator)).product
    assert again == first
    # The record is still the one that decides: a different body under the same id is refused.
    with pytest.raises(grpc.aio.AioRpcError) as reused:
        await stub.CreateProduct(
            pb.CreateProductRequest(request_id=request.request_id, batch_id=batch.id, external_id="OTHER"),
            metadata=operator,
        )
    assert reused.value.code() == grpc.StatusCode.ALREADY_EXISTS
    assert error_reason(reused.value) == "REQUEST_ID_REUSED"


@pytest.fixture
async def migrated(fresh_database: str) -> AsyncIterator[asyncpg.Pool]:
    """A migrated database of its own with no service attached, so nothing else deletes its records."""
    await migrate_url(fresh_database)
    pool = await asyncpg.create_pool(fresh_database, min_size=1, max_size=2)
    try:
        yield pool
    finally:
        await pool.close()


async def insert_records(pool: asyncpg.Pool, factory_id: str, created: list[datetime]) -> None:
    await pool.executemany(
        """INSERT INTO factory_requests (factory_id, kind, request_id, request_hash, object_id, created_at)
           VALUES ($1, 'product', $2, 'hash', $3, $4)""",
        [(factory_id, str(uuid.uuid4()), uuid.uuid4(), at) for at in created],
    )


async def test_cleanup_deletes_everything_past_the_window_over_several_chunks(migrated: asyncpg.Pool) -> None:
    pool = migrated
    assert await pool.fetchval("SELECT to_regclass('factory_requests_created') IS NOT NULL")
    factory_id = await new_factory(pool)
    now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    cutoff = now - RETENTION
    expired = [cutoff - timedelta(minutes=minute + 1) for minute in range(25)]
    # Exactly at the cutoff is still inside the window (the age must exceed the retention).
    inside = [cutoff, cutoff + timedelta(seconds=1), now - timedelta(days=1), now, now]
    await insert_records(pool, factory_id, expired + inside)

    purged = await purge_expired_requests(pool, now, RETENTION, chunk_rows=10)

    assert purged == Purged(rows=25, chunks=3)  # 10 + 10 + 5: the short chunk ends the pass
    left = sorted(row["created_at"] for row in await pool.fetch("SELECT created_at FROM factory_requests"))
    assert left == sorted(inside)
    assert await purge_expired_requests(pool, now, RETENTION, chunk_rows=10) == Purged(rows=0, chunks=1)


class FlakyPool:
    """A pool whose first calls fail like PostgreSQL restarting, then pass through to the real one."""

    def __init__(self, pool: asyncpg.Pool, failures: list[Exception]) -> None:
        self._pool = pool
        self._failures = failures
        self.calls = 0

    async def execute(self, query: str, *args: object) -> str:
        self.calls += 1
        if self._failures:
            raise self._failures.pop(0)
        return await self._pool.execute(query, *args)


async def test_the_cleanup_loop_logs_postgres_errors_and_retries_on_the_next_tick(
    migrated: asyncpg.Pool, caplog: pytest.LogCaptureFixture
) -> None:
    pool = migrated
    await insert_records(pool, await new_factory(pool), [datetime.now(UTC) - timedelta(hours=2)])
    flaky = FlakyPool(
        pool,
        [asyncpg.exceptions.CannotConnectNowError("the database system is starting up"), ConnectionRefusedError()],
    )
    retention = RequestRetention(flaky, retention_s=3600, interval_s=0.01)  # type: ignore[arg-type]
    caplog.set_level(logging.ERROR, logger="factory_svc.retention")
    task = asyncio.get_running_loop().create_task(retention.run())
    try:
        for _ in range(500):
            if task.done() or await pool.fetchval("SELECT count(*) FROM factory_requests") == 0:
                break
            await asyncio.sleep(0.01)
        assert not task.done(), "the loop ended instead of retrying"
        assert await pool.fetchval("SELECT count(*) FROM factory_requests") == 0
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert flaky.calls >= 3
    failures = [record for record in caplog.records if record.message.startswith("request id cleanup failed")]
    assert len(failures) == 2
