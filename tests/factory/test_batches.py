"""CreateBatch / GetBatch / ListBatches / products through Envoy: tokens, links, paging, idempotency."""

import asyncio
import json
import uuid

import asyncpg
import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from devmesh.mesh import Mesh
from tests.factory.conftest import Callers, Isolated
from tests.support import error_reason
from voketag.common.v1 import enums_pb2
from voketag.factory.v1 import factory_service_pb2 as pb
from voketag.factory.v1 import factory_service_pb2_grpc as rpc
from voketag.tokens import KeyRing


def create_request(**fields) -> pb.CreateBatchRequest:
    values = {"request_id": str(uuid.uuid4()), "sku": "SKU-1", "product_line": "Watches", "quantity": 5}
    return pb.CreateBatchRequest(**{**values, **fields})


def bad_fields(error: grpc.aio.AioRpcError) -> list[str]:
    """The fields named by the BadRequest detail of an error."""
    status = rpc_status.from_call(error)
    assert status is not None
    for detail in status.details:
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            return [violation.field for violation in bad.field_violations]
    raise AssertionError("no BadRequest in the status details")


async def test_create_batch_products_carry_verifiable_tokens_and_links(
    stub: rpc.FactoryServiceStub, callers: Callers, mesh: Mesh, db: asyncpg.Pool
) -> None:
    reply = await stub.CreateBatch(create_request(quantity=7, metadata={"plant": "ulm"}), metadata=callers.operator_a)
    batch = reply.batch
    assert batch.state == enums_pb2.BATCH_STATE_CREATED
    assert batch.lifecycle == enums_pb2.LIFECYCLE_STATE_RELEASED
    assert batch.factory_id == callers.factory_a and batch.quantity == 7 and batch.product_name == "Watches"
    assert batch.link_pattern.endswith("/R/{token}") and dict(batch.metadata) == {"plant": "ulm"}
    products = (
        await stub.ListProducts(
            pb.ListProductsRequest(batch_id=batch.id, view=pb.PRODUCT_VIEW_FULL), metadata=callers.operator_a
        )
    ).products
    assert [product.leaf_index for product in products] == list(range(7))
    serials = [product.serial for product in products]
    assert serials == sorted(serials) and len(set(serials)) == 7
    keys = KeyRing.from_config(mesh.token_keys, 1)
    for product in products:
        assert keys.verify(product.token).serial == product.serial
        assert product.link == batch.link_pattern.replace("{token}", product.token)
        assert product.lifecycle == enums_pb2.LIFECYCLE_STATE_RELEASED
    one = await stub.GetProduct(pb.GetProductRequest(id=products[3].id), metadata=callers.auditor)
    # The auditor sees everything but the token and its link.
    assert one.product.token == "" and one.product.link == ""
    assert one.product.token_fingerprint == products[3].token_fingerprint != ""
    one.product.token, one.product.link = products[3].token, products[3].link
    assert one.product == products[3]
    again = (await stub.GetBatch(pb.GetBatchRequest(id=batch.id), metadata=callers.service_a)).batch
    # The session mesh's anchor worker may already have moved the batch on: compare all but that.
    for moving in ("state", "anchor", "updated_at"):
        again.ClearField(moving)
        batch.ClearField(moving)
    assert again == batch
    outbox = await db.fetchval("SELECT count(*) FROM anchor_outbox WHERE batch_id = $1", uuid.UUID(batch.id))
    assert outbox == 1
    audit = await db.fetch(
        "SELECT action, actor, details FROM audit_log WHERE object_type = 'batch' AND object_id = $1 ORDER BY seq",
        batch.id,
    )
    assert [entry["action"].rsplit("/", 1)[-1] for entry in audit] == ["CreateBatch", "ListProducts"]
    # The token read is on the log: who, which batch, how many tokens.
    assert audit[1]["actor"] == "op-a" and json.loads(audit[1]["details"])["tokens_read"] == 7


async def test_same_request_id_and_body_returns_the_same_batch_under_50_concurrent_retries(
    stub: rpc.FactoryServiceStub, callers: Callers, db: asyncpg.Pool
) -> None:
    request = create_request(quantity=300)
    replies = await asyncio.gather(
        *(stub.CreateBatch(request, metadata=callers.service_a, timeout=60) for _ in range(50))
    )
    assert len({reply.batch.id for reply in replies}) == 1
    stored = await db.fetch(
        "SELECT id FROM batches WHERE factory_id = $1 AND request_id = $2",
        uuid.UUID(callers.factory_a),
        request.request_id,
    )
    assert len(stored) == 1
    count = await db.fetchval("SELECT count(*) FROM products WHERE batch_id = $1", stored[0]["id"])
    assert count == 300


async def test_same_request_id_with_a_different_body_is_refused(stub: rpc.FactoryServiceStub, callers: Callers) -> None:
    request = create_request()
    await stub.CreateBatch(request, metadata=callers.operator_a)
    changed = pb.CreateBatchRequest()
    changed.CopyFrom(request)
    changed.quantity = 6
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await stub.CreateBatch(changed, metadata=callers.operator_a)
    assert refused.value.code() == grpc.StatusCode.ALREADY_EXISTS
    assert error_reason(refused.value) == "REQUEST_ID_REUSED"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"quantity": 0}, "quantity"),
        ({"quantity": 1_000_001}, "quantity"),
        ({"sku": "bad sku!"}, "sku"),
        ({"product_line": ""}, "product_line"),
        ({"request_id": ""}, "request_id"),
        ({"metadata": {"Bad Key": "x"}}, "metadata[Bad Key]"),
        ({"open_for": {"seconds": 8 * 24 * 3600}}, "open_for"),
        ({"initial_lifecycle": enums_pb2.LIFECYCLE_STATE_REVOKED}, "initial_lifecycle"),
    ],
)
async def test_invalid_create_batch_names_the_field_and_writes_nothing(
    stub: rpc.FactoryServiceStub, callers: Callers, db: asyncpg.Pool, fields: dict, field: str
) -> None:
    before = await db.fetchval("SELECT count(*) FROM batches WHERE factory_id = $1", uuid.UUID(callers.factory_a))
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await stub.CreateBatch(create_request(**fields), metadata=callers.operator_a)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert bad_fields(refused.value) == [field]
    after = await db.fetchval("SELECT count(*) FROM batches WHERE factory_id = $1", uuid.UUID(callers.factory_a))
    assert after == before


async def test_admin_must_name_the_factory_and_unknown_factory_is_not_found(
    stub: rpc.FactoryServiceStub, callers: Callers
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as missing:
        await stub.CreateBatch(create_request(), metadata=callers.admin)
    assert missing.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(grpc.aio.AioRpcError) as unknown:
        await stub.CreateBatch(create_request(factory_id=str(uuid.uuid4())), metadata=callers.admin)
    assert unknown.value.code() == grpc.StatusCode.NOT_FOUND
    made = await stub.CreateBatch(create_request(factory_id=callers.factory_b), metadata=callers.admin)
    assert made.batch.factory_id == callers.factory_b


async def test_list_batches_pages_newest_first_with_filters(stub: rpc.FactoryServiceStub, callers: Callers) -> None:
    made = []
    for n in range(5):
        lifecycle = enums_pb2.LIFECYCLE_STATE_PENDING_RELEASE if n % 2 else enums_pb2.LIFECYCLE_STATE_RELEASED
        reply = await stub.CreateBatch(
            create_request(quantity=1, sku="LIST-1", initial_lifecycle=lifecycle), metadata=callers.operator_a
        )
        made.append(reply.batch.id)
    seen: list[str] = []
    token = ""
    while True:
        page = await stub.ListBatches(
            pb.ListBatchesRequest(page_size=2, page_token=token, sku="LIST-1"), metadata=callers.operator_a
        )
        seen += [batch.id for batch in page.batches]
        token = page.next_page_token
        if not token:
            break
    assert seen == made[::-1]
    pending = await stub.ListBatches(
        pb.ListBatchesRequest(sku="LIST-1", lifecycle=enums_pb2.LIFECYCLE_STATE_PENDING_RELEASE),
        metadata=callers.operator_a,
    )
    assert [batch.id for batch in pending.batches] == [made[3], made[1]]
    with pytest.raises(grpc.aio.AioRpcError) as bad_token:
        await stub.ListBatches(pb.ListBatchesRequest(page_token="garbage"), metadata=callers.operator_a)
    assert bad_token.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_create_product_appends_to_the_batch_idempotently(isolated: Isolated) -> None:
    stub, operator = isolated.stub, isolated.operator
    batch = (await stub.CreateBatch(create_request(quantity=2, open_for={"seconds": 3600}), metadata=operator)).batch
    request = pb.CreateProductRequest(request_id=str(uuid.uuid4()), batch_id=batch.id, external_id="EXT-1")
    first = await stub.CreateProduct(request, metadata=operator)
    again = await stub.CreateProduct(request, metadata=operator)
    assert first.product.id == again.product.id and first.product.leaf_index == 2
    assert first.product.external_id == "EXT-1"
    refreshed = await stub.GetBatch(pb.GetBatchRequest(id=batch.id), metadata=operator)
    assert refreshed.batch.quantity == 3
    with pytest.raises(grpc.aio.AioRpcError) as duplicate:
        await stub.CreateProduct(
            pb.CreateProductRequest(request_id=str(uuid.uuid4()), batch_id=batch.id, external_id="EXT-1"),
            metadata=operator,
        )
    assert duplicate.value.code() == grpc.StatusCode.ALREADY_EXISTS
