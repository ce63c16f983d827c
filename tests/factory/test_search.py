"""SearchProducts: find a product by serial or external id across batches, within the caller's factory."""

import uuid

import grpc
import httpx
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from tests.factory.conftest import Callers
from voketag.factory.v1 import factory_service_pb2 as pb
from voketag.factory.v1 import factory_service_pb2_grpc as rpc


def violated_fields(error: grpc.aio.AioRpcError) -> set[str]:
    status = rpc_status.from_call(error)
    assert status is not None
    fields = set()
    for detail in status.details:
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            fields |= {violation.field for violation in bad.field_violations}
    return fields


async def batch_with_ids(stub: rpc.FactoryServiceStub, md: tuple[tuple[str, str], ...], external_id: str) -> pb.Batch:
    """An open batch of factory A holding one product with ``external_id`` and one without."""
    created = await stub.CreateBatch(
        pb.CreateBatchRequest(
            request_id=str(uuid.uuid4()), sku="SEARCH", product_line="Bags", quantity=1, open_for={"seconds": 600}
        ),
        metadata=md,
    )
    await stub.CreateProduct(
        pb.CreateProductRequest(request_id=str(uuid.uuid4()), batch_id=created.batch.id, external_id=external_id),
        metadata=md,
    )
    return created.batch


async def test_search_by_external_id_and_serial_within_the_factory(
    stub: rpc.FactoryServiceStub, callers: Callers
) -> None:
    external_id = f"EXT-{uuid.uuid4().hex[:10]}"
    first = await batch_with_ids(stub, callers.operator_a, external_id)
    second = await batch_with_ids(stub, callers.operator_a, external_id)

    found = await stub.SearchProducts(pb.SearchProductsRequest(external_id=external_id), metadata=callers.operator_a)
    assert [p.batch_id for p in found.products] == [first.id, second.id]
    assert all(p.external_id == external_id and p.token_fingerprint for p in found.products)
    assert not any(p.token or p.link for p in found.products)

    paged = await stub.SearchProducts(
        pb.SearchProductsRequest(external_id=external_id, page_size=1), metadata=callers.operator_a
    )
    rest = await stub.SearchProducts(
        pb.SearchProductsRequest(external_id=external_id, page_size=1, page_token=paged.next_page_token),
        metadata=callers.operator_a,
    )
    assert [p.id for p in [*paged.products, *rest.products]] == [p.id for p in found.products]
    assert rest.next_page_token == ""

    serial = found.products[1].serial
    by_serial = await stub.SearchProducts(pb.SearchProductsRequest(serial=serial), metadata=callers.auditor)
    assert [p.id for p in by_serial.products] == [found.products[1].id]

    # Factory B's operator finds nothing of A's, even when naming A; staff narrow by factory.
    for request in (
        pb.SearchProductsRequest(external_id=external_id),
        pb.SearchProductsRequest(serial=serial, factory_id=callers.factory_a),
    ):
        assert not (await stub.SearchProducts(request, metadata=callers.operator_b)).products
    other = pb.SearchProductsRequest(external_id=external_id, factory_id=callers.factory_b)
    assert not (await stub.SearchProducts(other, metadata=callers.admin)).products


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        (pb.SearchProductsRequest(), "serial"),
        # Refused by the validation interceptor (voketag/validation.py) before the handler.
        (pb.SearchProductsRequest(serial=2**63), "serial"),
        (pb.SearchProductsRequest(external_id="x" * 129), "external_id"),
        (pb.SearchProductsRequest(external_id="A-1", factory_id="plant-a"), "factory_id"),
    ],
)
async def test_bad_searches_name_the_field(
    stub: rpc.FactoryServiceStub, callers: Callers, request_: pb.SearchProductsRequest, field: str
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await stub.SearchProducts(request_, metadata=callers.admin)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field in violated_fields(refused.value), refused.value.details()


async def test_search_over_rest_through_envoy(stub: rpc.FactoryServiceStub, callers: Callers, gateway: str) -> None:
    external_id = f"REST-{uuid.uuid4().hex[:10]}"
    batch = await batch_with_ids(stub, callers.operator_a, external_id)
    headers = dict(callers.operator_a)
    async with httpx.AsyncClient(base_url=gateway, headers=headers) as client:
        found = await client.get("/v1/products", params={"externalId": external_id})
        assert found.status_code == 200, found.text
        products = found.json()["products"]
        assert [p["batchId"] for p in products] == [batch.id] and products[0]["token"] == ""
        by_serial = await client.get("/v1/products", params={"serial": products[0]["serial"]})
        assert [p["id"] for p in by_serial.json()["products"]] == [products[0]["id"]]
        missing = await client.get("/v1/products")
        assert missing.status_code == 400
        assert "serial" in missing.text
        anonymous = await client.get("/v1/products", params={"serial": "1"}, headers={"authorization": ""})
        assert anonymous.status_code == 401
