"""Object-level authorization for every FactoryService RPC: factory B's operator cannot see or touch A's data."""

import uuid
from collections.abc import AsyncIterator

import grpc
import pytest

from tests.factory.conftest import Callers
from tests.support import error_reason
from voketag.factory.v1 import factory_service_pb2 as pb
from voketag.factory.v1 import factory_service_pb2_grpc as rpc

# A global address literal: no DNS needed; subscribed only to an event nobody emits in these tests.
PUBLIC_URL = "https://8.8.8.8/voketag-hook"


async def upload(*messages: pb.ImportCsvRequest) -> AsyncIterator[pb.ImportCsvRequest]:
    for message in messages:
        yield message


@pytest.fixture
async def owned(stub: rpc.FactoryServiceStub, callers: Callers) -> dict[str, str]:
    """A batch, a product and a webhook of factory A."""
    batch = await stub.CreateBatch(
        pb.CreateBatchRequest(request_id=str(uuid.uuid4()), sku="BOLA", product_line="Bags", quantity=2),
        metadata=callers.operator_a,
    )
    products = await stub.ListProducts(pb.ListProductsRequest(batch_id=batch.batch.id), metadata=callers.operator_a)
    hook = await stub.CreateWebhook(
        pb.CreateWebhookRequest(
            request_id=str(uuid.uuid4()), url=PUBLIC_URL, events=[pb.WEBHOOK_EVENT_SCAN_SUSPICIOUS]
        ),
        metadata=callers.operator_a,
    )
    yield {"batch": batch.batch.id, "product": products.products[0].id, "webhook": hook.webhook.id}
    await stub.DeleteWebhook(pb.DeleteWebhookRequest(id=hook.webhook.id), metadata=callers.admin)


def calls(stub: rpc.FactoryServiceStub, ids: dict[str, str], factory_a: str) -> dict[str, object]:
    """Every RPC aimed at factory A's objects (or at factory A itself, for the Creates)."""
    new = str(uuid.uuid4())
    return {
        "CreateBatch": lambda md: stub.CreateBatch(
            pb.CreateBatchRequest(request_id=new, sku="X", product_line="X", quantity=1, factory_id=factory_a),
            metadata=md,
        ),
        "GetBatch": lambda md: stub.GetBatch(pb.GetBatchRequest(id=ids["batch"]), metadata=md),
        "CreateProduct": lambda md: stub.CreateProduct(
            pb.CreateProductRequest(request_id=new, batch_id=ids["batch"]), metadata=md
        ),
        "GetProduct": lambda md: stub.GetProduct(pb.GetProductRequest(id=ids["product"]), metadata=md),
        "ListProducts": lambda md: stub.ListProducts(pb.ListProductsRequest(batch_id=ids["batch"]), metadata=md),
        "ReleaseBatch": lambda md: stub.ReleaseBatch(pb.ReleaseBatchRequest(id=ids["batch"]), metadata=md),
        "SealBatch": lambda md: stub.SealBatch(pb.SealBatchRequest(id=ids["batch"]), metadata=md),
        "RevokeBatch": lambda md: stub.RevokeBatch(pb.RevokeBatchRequest(id=ids["batch"], reason="x"), metadata=md),
        "RecallBatch": lambda md: stub.RecallBatch(pb.RecallBatchRequest(id=ids["batch"], reason="x"), metadata=md),
        "RevokeProduct": lambda md: stub.RevokeProduct(
            pb.RevokeProductRequest(id=ids["product"], reason="x"), metadata=md
        ),
        "RecallProduct": lambda md: stub.RecallProduct(
            pb.RecallProductRequest(id=ids["product"], reason="x"), metadata=md
        ),
        "ImportCsv": lambda md: stub.ImportCsv(
            upload(pb.ImportCsvRequest(batch_id=ids["batch"], request_id=new, chunk={"data": b"external_id\nE1\n"})),
            metadata=md,
        ),
        "ExportCsv": lambda md: _drain(stub.ExportCsv(pb.ExportCsvRequest(batch_id=ids["batch"]), metadata=md)),
        "ExportEpcis": lambda md: _drain(stub.ExportEpcis(pb.ExportEpcisRequest(batch_id=ids["batch"]), metadata=md)),
        "CreateWebhook": lambda md: stub.CreateWebhook(
            pb.CreateWebhookRequest(
                request_id=new, url=PUBLIC_URL, events=[pb.WEBHOOK_EVENT_SCAN_SUSPICIOUS], factory_id=factory_a
            ),
            metadata=md,
        ),
        "DeleteWebhook": lambda md: stub.DeleteWebhook(pb.DeleteWebhookRequest(id=ids["webhook"]), metadata=md),
        "ListWebhookDeliveries": lambda md: stub.ListWebhookDeliveries(
            pb.ListWebhookDeliveriesRequest(webhook_id=ids["webhook"]), metadata=md
        ),
    }


async def _drain(stream: grpc.aio.UnaryStreamCall) -> bytes:
    return b"".join([chunk.data async for chunk in stream])


async def test_every_rpc_on_another_factorys_object_is_not_found(
    stub: rpc.FactoryServiceStub, callers: Callers, owned: dict[str, str]
) -> None:
    table = calls(stub, owned, callers.factory_a)
    for name, call in table.items():
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await call(callers.operator_b)
        assert refused.value.code() == grpc.StatusCode.NOT_FOUND, name
    # Nothing changed: A still sees its batch released and its product untouched.
    batch = await stub.GetBatch(pb.GetBatchRequest(id=owned["batch"]), metadata=callers.operator_a)
    assert batch.batch.lifecycle_reason == "" and batch.batch.quantity == 2
    product = await stub.GetProduct(pb.GetProductRequest(id=owned["product"]), metadata=callers.operator_a)
    assert product.product.lifecycle_reason == ""
    # The two Lists and SearchProducts below answer with what the caller may see instead.
    assert len(table) == len(pb.DESCRIPTOR.services_by_name["FactoryService"].methods) - 3


async def test_lists_show_only_the_callers_factory(
    stub: rpc.FactoryServiceStub, callers: Callers, owned: dict[str, str]
) -> None:
    for request in (pb.ListBatchesRequest(page_size=1000), pb.ListBatchesRequest(factory_id=callers.factory_a)):
        listed = await stub.ListBatches(request, metadata=callers.operator_b)
        assert owned["batch"] not in {batch.id for batch in listed.batches}
        assert {batch.factory_id for batch in listed.batches} <= {callers.factory_b}
    hooks = await stub.ListWebhooks(pb.ListWebhooksRequest(page_size=1000), metadata=callers.operator_b)
    assert owned["webhook"] not in {hook.id for hook in hooks.webhooks}
    product = await stub.GetProduct(pb.GetProductRequest(id=owned["product"]), metadata=callers.operator_a)
    search = pb.SearchProductsRequest(serial=product.product.serial)
    assert not (await stub.SearchProducts(search, metadata=callers.operator_b)).products
    assert [p.id for p in (await stub.SearchProducts(search, metadata=callers.operator_a)).products] == [
        owned["product"]
    ]
    mine = await stub.ListWebhooks(pb.ListWebhooksRequest(page_size=1000), metadata=callers.operator_a)
    assert [hook.id for hook in mine.webhooks] == [owned["webhook"]]
    assert mine.webhooks[0].secret_hint and mine.webhooks[0].url == PUBLIC_URL


async def test_staff_see_every_factory_and_auditors_only_read(
    stub: rpc.FactoryServiceStub, callers: Callers, owned: dict[str, str]
) -> None:
    for staff in (callers.admin, callers.auditor):
        await stub.GetBatch(pb.GetBatchRequest(id=owned["batch"]), metadata=staff)
        await stub.GetProduct(pb.GetProductRequest(id=owned["product"]), metadata=staff)
        await stub.ListWebhookDeliveries(pb.ListWebhookDeliveriesRequest(webhook_id=owned["webhook"]), metadata=staff)
        listed = await stub.ListBatches(pb.ListBatchesRequest(factory_id=callers.factory_a), metadata=staff)
        assert owned["batch"] in {batch.id for batch in listed.batches}
    with pytest.raises(grpc.aio.AioRpcError) as denied:
        await stub.RevokeBatch(pb.RevokeBatchRequest(id=owned["batch"], reason="x"), metadata=callers.auditor)
    assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert error_reason(denied.value) == "ROLE_FORBIDDEN"
    revoked = await stub.RevokeBatch(pb.RevokeBatchRequest(id=owned["batch"], reason="audit"), metadata=callers.admin)
    assert revoked.batch.lifecycle_reason == "audit"


def _tokens_in(answer: object) -> int:
    """Tokens an answer hands out: links in a CSV export, token fields in messages."""
    if isinstance(answer, bytes):
        return answer.decode().count("/R/")
    if isinstance(answer, pb.GetProductResponse):
        return int(bool(answer.product.token or answer.product.link))
    assert isinstance(answer, pb.ListProductsResponse)
    return sum(1 for product in answer.products if product.token or product.link)


@pytest.mark.parametrize(
    ("caller", "expected"),
    [
        ("admin", grpc.StatusCode.OK),
        ("operator_a", grpc.StatusCode.OK),
        ("service_a", grpc.StatusCode.OK),
        ("auditor", grpc.StatusCode.PERMISSION_DENIED),
        ("operator_b", grpc.StatusCode.NOT_FOUND),
    ],
)
async def test_token_reads_by_role(
    stub: rpc.FactoryServiceStub, callers: Callers, owned: dict[str, str], caller: str, expected: grpc.StatusCode
) -> None:
    """PRODUCT_VIEW_FULL on every read that can return tokens; BASIC never returns one, whoever asks."""
    md = getattr(callers, caller)
    full = pb.PRODUCT_VIEW_FULL
    reads = {
        "GetProduct": lambda view: stub.GetProduct(pb.GetProductRequest(id=owned["product"], view=view), metadata=md),
        "ListProducts": lambda view: stub.ListProducts(
            pb.ListProductsRequest(batch_id=owned["batch"], view=view), metadata=md
        ),
        "ExportCsv": lambda view: _drain(
            stub.ExportCsv(pb.ExportCsvRequest(batch_id=owned["batch"], view=view), metadata=md)
        ),
    }
    for name, read in reads.items():
        if expected == grpc.StatusCode.OK:
            assert _tokens_in(await read(full)) == (1 if name == "GetProduct" else 2), name
        else:
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await read(full)
            assert refused.value.code() == expected, name
            if expected == grpc.StatusCode.PERMISSION_DENIED:
                assert error_reason(refused.value) == "ROLE_FORBIDDEN"
        if expected != grpc.StatusCode.NOT_FOUND:
            assert _tokens_in(await read(pb.PRODUCT_VIEW_BASIC)) == 0, name
