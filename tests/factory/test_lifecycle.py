"""Release / revoke / recall of batches and products, with their events for webhooks."""

import uuid

import asyncpg
import grpc
import pytest

from tests.factory.conftest import Callers
from tests.support import error_reason
from voketag.common.v1 import enums_pb2
from voketag.factory.v1 import factory_service_pb2 as pb
from voketag.factory.v1 import factory_service_pb2_grpc as rpc

LC = enums_pb2


async def make_batch(stub: rpc.FactoryServiceStub, md, lifecycle: int = LC.LIFECYCLE_STATE_PENDING_RELEASE) -> pb.Batch:
    request = pb.CreateBatchRequest(
        request_id=str(uuid.uuid4()), sku="LC", product_line="Toys", quantity=3, initial_lifecycle=lifecycle
    )
    return (await stub.CreateBatch(request, metadata=md)).batch


async def events(db: asyncpg.Pool, batch_id: str) -> list[str]:
    """Lifecycle events of a batch (the anchor worker of the shared mesh adds its own anchoring events)."""
    rows = await db.fetch(
        "SELECT type FROM batch_events WHERE batch_id = $1 AND type NOT LIKE 'batch.anchor%' ORDER BY created_at",
        uuid.UUID(batch_id),
    )
    return [row["type"] for row in rows]


async def test_release_then_recall_is_final(stub: rpc.FactoryServiceStub, callers: Callers, db: asyncpg.Pool) -> None:
    batch = await make_batch(stub, callers.operator_a)
    assert batch.lifecycle == LC.LIFECYCLE_STATE_PENDING_RELEASE and not batch.HasField("released_at")
    released = (await stub.ReleaseBatch(pb.ReleaseBatchRequest(id=batch.id), metadata=callers.operator_a)).batch
    assert released.lifecycle == LC.LIFECYCLE_STATE_RELEASED and released.HasField("released_at")
    again = (await stub.ReleaseBatch(pb.ReleaseBatchRequest(id=batch.id), metadata=callers.operator_a)).batch
    assert again.released_at == released.released_at  # no-op
    recalled = await stub.RecallBatch(
        pb.RecallBatchRequest(id=batch.id, reason="battery overheats"), metadata=callers.service_a
    )
    assert recalled.batch.lifecycle == LC.LIFECYCLE_STATE_RECALLED
    assert recalled.batch.lifecycle_reason == "battery overheats" and recalled.batch.HasField("ended_at")
    products = await stub.ListProducts(pb.ListProductsRequest(batch_id=batch.id), metadata=callers.operator_a)
    assert {product.lifecycle for product in products.products} == {LC.LIFECYCLE_STATE_RECALLED}
    for call in (
        stub.ReleaseBatch(pb.ReleaseBatchRequest(id=batch.id), metadata=callers.operator_a),
        stub.RevokeBatch(pb.RevokeBatchRequest(id=batch.id, reason="x"), metadata=callers.operator_a),
        stub.RevokeProduct(
            pb.RevokeProductRequest(id=products.products[0].id, reason="x"), metadata=callers.operator_a
        ),
        stub.CreateProduct(
            pb.CreateProductRequest(request_id=str(uuid.uuid4()), batch_id=batch.id), metadata=callers.operator_a
        ),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await call
        assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert error_reason(refused.value) == "BATCH_ENDED"
    assert await events(db, batch.id) == ["batch.released", "batch.recalled"]


async def test_revoke_and_recall_single_products(
    stub: rpc.FactoryServiceStub, callers: Callers, db: asyncpg.Pool
) -> None:
    batch = await make_batch(stub, callers.operator_a, LC.LIFECYCLE_STATE_RELEASED)
    products = (
        await stub.ListProducts(pb.ListProductsRequest(batch_id=batch.id), metadata=callers.operator_a)
    ).products
    revoked = await stub.RevokeProduct(
        pb.RevokeProductRequest(id=products[0].id, reason="stolen"), metadata=callers.operator_a
    )
    assert revoked.product.lifecycle == LC.LIFECYCLE_STATE_REVOKED and revoked.product.lifecycle_reason == "stolen"
    recalled = await stub.RecallProduct(
        pb.RecallProductRequest(id=products[1].id, reason="defect"), metadata=callers.operator_a
    )
    assert recalled.product.lifecycle == LC.LIFECYCLE_STATE_RECALLED
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await stub.RecallProduct(pb.RecallProductRequest(id=products[0].id, reason="x"), metadata=callers.operator_a)
    assert error_reason(refused.value) == "PRODUCT_ENDED"
    with pytest.raises(grpc.aio.AioRpcError) as no_reason:
        await stub.RevokeProduct(pb.RevokeProductRequest(id=products[2].id), metadata=callers.operator_a)
    assert no_reason.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    only_revoked = await stub.ListProducts(
        pb.ListProductsRequest(batch_id=batch.id, lifecycle=LC.LIFECYCLE_STATE_REVOKED), metadata=callers.operator_a
    )
    assert [product.id for product in only_revoked.products] == [products[0].id]
    assert await events(db, batch.id) == ["product.revoked", "product.recalled"]
