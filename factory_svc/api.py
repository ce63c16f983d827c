"""FactoryService handlers: protobuf <-> use cases (factory_svc.usecases) only.

Factory systems and staff: batches, products, CSV, webhooks.
"""

from collections.abc import AsyncIterator, Callable
from datetime import UTC

import asyncpg
import grpc
from google.api import httpbody_pb2

from factory_svc import convert, csvio, epcis
from factory_svc.model import Batch
from factory_svc.settings import FactorySettings
from factory_svc.usecases import Factory
from voketag import xlsx
from voketag.auth import FACTORY_WRITERS, SIGNED_IN, allow, current_principal
from voketag.errors import InvalidArgument
from voketag.factory.v1 import factory_service_pb2 as pb
from voketag.factory.v1 import factory_service_pb2_grpc as rpc
from voketag.lifecycle import RECALLED, RELEASED, REVOKED

Context = grpc.aio.ServicerContext
SERVICE = pb.DESCRIPTOR.services_by_name["FactoryService"]


async def _chunks(first: pb.ImportCsvRequest, rest: AsyncIterator[pb.ImportCsvRequest]) -> AsyncIterator[bytes]:
    yield first.chunk.data
    async for message in rest:
        yield message.chunk.data


class FactoryApi(rpc.FactoryServiceServicer):
    def __init__(self, pool: asyncpg.Pool, settings: FactorySettings, wake_relay: Callable[[], None]) -> None:
        self._factory = Factory(pool, settings, wake_relay)

    def _batch(self, batch: Batch) -> pb.Batch:
        return convert.batch(batch, self._factory.link_pattern(batch))

    # --- batches --------------------------------------------------------------------------------------------

    @allow(*FACTORY_WRITERS)
    async def CreateBatch(self, request: pb.CreateBatchRequest, context: Context) -> pb.CreateBatchResponse:
        batch = await self._factory.create_batch(current_principal(), request.request_id, convert.new_batch(request))
        return pb.CreateBatchResponse(batch=self._batch(batch))

    @allow(*SIGNED_IN)
    async def GetBatch(self, request: pb.GetBatchRequest, context: Context) -> pb.GetBatchResponse:
        return pb.GetBatchResponse(batch=self._batch(await self._factory.get_batch(current_principal(), request.id)))

    @allow(*SIGNED_IN)
    async def ListBatches(self, request: pb.ListBatchesRequest, context: Context) -> pb.ListBatchesResponse:
        page = await self._factory.list_batches(
            current_principal(), convert.batch_filters(request), request.page_token, request.page_size
        )
        return pb.ListBatchesResponse(
            batches=[self._batch(batch) for batch in page.items], next_page_token=page.next_page_token
        )

    @allow(*FACTORY_WRITERS)
    async def SealBatch(self, request: pb.SealBatchRequest, context: Context) -> pb.SealBatchResponse:
        return pb.SealBatchResponse(batch=self._batch(await self._factory.seal_batch(current_principal(), request.id)))

    @allow(*FACTORY_WRITERS)
    async def ReleaseBatch(self, request: pb.ReleaseBatchRequest, context: Context) -> pb.ReleaseBatchResponse:
        batch = await self._factory.change_batch(current_principal(), request.id, RELEASED, "", "")
        return pb.ReleaseBatchResponse(batch=self._batch(batch))

    @allow(*FACTORY_WRITERS)
    async def RevokeBatch(self, request: pb.RevokeBatchRequest, context: Context) -> pb.RevokeBatchResponse:
        batch = await self._factory.change_batch(
            current_principal(), request.id, REVOKED, request.reason, request.public_reason
        )
        return pb.RevokeBatchResponse(batch=self._batch(batch))

    @allow(*FACTORY_WRITERS)
    async def RecallBatch(self, request: pb.RecallBatchRequest, context: Context) -> pb.RecallBatchResponse:
        batch = await self._factory.change_batch(
            current_principal(), request.id, RECALLED, request.reason, request.public_reason
        )
        return pb.RecallBatchResponse(batch=self._batch(batch))

    # --- products -------------------------------------------------------------------------------------------

    @allow(*FACTORY_WRITERS)
    async def CreateProduct(self, request: pb.CreateProductRequest, context: Context) -> pb.CreateProductResponse:
        product = await self._factory.create_product(
            current_principal(), request.request_id, request.batch_id, request.external_id, dict(request.metadata)
        )
        return pb.CreateProductResponse(product=convert.product(product))

    @allow(*SIGNED_IN)
    async def GetProduct(self, request: pb.GetProductRequest, context: Context) -> pb.GetProductResponse:
        product = await self._factory.get_product(current_principal(), request.id, convert.full_view(request.view))
        return pb.GetProductResponse(product=convert.product(product))

    @allow(*SIGNED_IN)
    async def ListProducts(self, request: pb.ListProductsRequest, context: Context) -> pb.ListProductsResponse:
        page = await self._factory.list_products(
            current_principal(),
            request.batch_id,
            convert.lifecycle_name(request.lifecycle),
            convert.full_view(request.view),
            request.page_token,
            request.page_size,
        )
        return pb.ListProductsResponse(
            products=[convert.product(product) for product in page.items], next_page_token=page.next_page_token
        )

    @allow(*SIGNED_IN)
    async def SearchProducts(self, request: pb.SearchProductsRequest, context: Context) -> pb.SearchProductsResponse:
        page = await self._factory.search_products(
            current_principal(),
            request.serial if request.HasField("serial") else None,
            request.external_id,
            request.factory_id,
            request.page_token,
            request.page_size,
        )
        return pb.SearchProductsResponse(
            products=[convert.product(product) for product in page.items], next_page_token=page.next_page_token
        )

    @allow(*FACTORY_WRITERS)
    async def RevokeProduct(self, request: pb.RevokeProductRequest, context: Context) -> pb.RevokeProductResponse:
        product = await self._factory.change_product(
            current_principal(), request.id, REVOKED, request.reason, request.public_reason
        )
        return pb.RevokeProductResponse(product=convert.product(product))

    @allow(*FACTORY_WRITERS)
    async def RecallProduct(self, request: pb.RecallProductRequest, context: Context) -> pb.RecallProductResponse:
        product = await self._factory.change_product(
            current_principal(), request.id, RECALLED, request.reason, request.public_reason
        )
        return pb.RecallProductResponse(product=convert.product(product))

    # --- CSV ------------------------------------------------------------------------------------------------

    @allow(*FACTORY_WRITERS)
    async def ImportCsv(self, requests: AsyncIterator[pb.ImportCsvRequest], context: Context) -> pb.ImportCsvResponse:
        stream = aiter(requests)
        first = await anext(stream, None)
        if first is None:
            raise InvalidArgument("CSV_EMPTY", "the upload carried no message", fields={"chunk": "missing"})
        imported = await self._factory.import_csv(
            current_principal(), convert.import_target(first), _chunks(first, stream)
        )
        return pb.ImportCsvResponse(
            batch_id=imported.batch_id,
            rows_imported=imported.rows,
            batch_created=imported.batch_created,
            bytes_received=imported.bytes_received,
        )

    @allow(*SIGNED_IN)
    async def ExportCsv(self, request: pb.ExportCsvRequest, context: Context) -> AsyncIterator[httpbody_pb2.HttpBody]:
        as_xlsx = xlsx.requested(request.format)
        chunks = self._factory.export_csv(
            current_principal(),
            request.batch_id,
            convert.lifecycle_name(request.lifecycle),
            convert.full_view(request.view),
            as_xlsx,
        )
        content_type = xlsx.CONTENT_TYPE if as_xlsx else csvio.CONTENT_TYPE
        first = True
        async for data in chunks:
            yield httpbody_pb2.HttpBody(content_type=content_type if first else "", data=data)
            first = False

    @allow(*SIGNED_IN)
    async def ExportEpcis(
        self, request: pb.ExportEpcisRequest, context: Context
    ) -> AsyncIterator[httpbody_pb2.HttpBody]:
        chunks = self._factory.export_epcis(
            current_principal(),
            request.batch_id,
            request.start_time.ToDatetime(UTC) if request.HasField("start_time") else None,
            request.end_time.ToDatetime(UTC) if request.HasField("end_time") else None,
        )
        first = True
        async for data in chunks:
            yield httpbody_pb2.HttpBody(content_type=epcis.CONTENT_TYPE if first else "", data=data)
            first = False

    # --- webhooks -------------------------------------------------------------------------------------------

    @allow(*FACTORY_WRITERS)
    async def CreateWebhook(self, request: pb.CreateWebhookRequest, context: Context) -> pb.CreateWebhookResponse:
        events = convert.event_names(list(request.events))
        hook = await self._factory.create_webhook(
            current_principal(), request.request_id, request.factory_id, request.url, events, request.description
        )
        return pb.CreateWebhookResponse(webhook=convert.webhook(hook), secret=hook.secret)

    @allow(*SIGNED_IN)
    async def ListWebhooks(self, request: pb.ListWebhooksRequest, context: Context) -> pb.ListWebhooksResponse:
        page = await self._factory.list_webhooks(
            current_principal(), request.factory_id, request.page_token, request.page_size
        )
        return pb.ListWebhooksResponse(
            webhooks=[convert.webhook(hook) for hook in page.items], next_page_token=page.next_page_token
        )

    @allow(*FACTORY_WRITERS)
    async def DeleteWebhook(self, request: pb.DeleteWebhookRequest, context: Context) -> pb.DeleteWebhookResponse:
        await self._factory.delete_webhook(current_principal(), request.id)
        return pb.DeleteWebhookResponse()

    @allow(*SIGNED_IN)
    async def ListWebhookDeliveries(
        self, request: pb.ListWebhookDeliveriesRequest, context: Context
    ) -> pb.ListWebhookDeliveriesResponse:
        page = await self._factory.list_deliveries(
            current_principal(),
            request.webhook_id,
            convert.delivery_state_name(request.state),
            request.page_token,
            request.page_size,
        )
        return pb.ListWebhookDeliveriesResponse(
            deliveries=[convert.delivery(delivery) for delivery in page.items], next_page_token=page.next_page_token
        )
