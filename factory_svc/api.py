"""FactoryService handlers: proto <-> domain only.

Factory systems and staff: batches, products, CSV, webhooks.
"""

from collections.abc import AsyncIterator

import grpc
from google.api import httpbody_pb2

from voketag.auth import FACTORY_WRITERS, SIGNED_IN, allow
from voketag.errors import pending
from voketag.factory.v1 import factory_service_pb2 as pb
from voketag.factory.v1 import factory_service_pb2_grpc as rpc

# The factory service's own work is issue #4; until it lands every RPC answers UNIMPLEMENTED,
# but each already declares who may call it.
ISSUE = 4

Context = grpc.aio.ServicerContext
SERVICE = pb.DESCRIPTOR.services_by_name["FactoryService"]


class FactoryApi(rpc.FactoryServiceServicer):
    @allow(*FACTORY_WRITERS)
    async def CreateBatch(self, request: pb.CreateBatchRequest, context: Context) -> pb.CreateBatchResponse:
        raise pending(ISSUE)

    @allow(*SIGNED_IN)
    async def GetBatch(self, request: pb.GetBatchRequest, context: Context) -> pb.GetBatchResponse:
        raise pending(ISSUE)

    @allow(*SIGNED_IN)
    async def ListBatches(self, request: pb.ListBatchesRequest, context: Context) -> pb.ListBatchesResponse:
        raise pending(ISSUE)

    @allow(*FACTORY_WRITERS)
    async def CreateProduct(self, request: pb.CreateProductRequest, context: Context) -> pb.CreateProductResponse:
        raise pending(ISSUE)

    @allow(*SIGNED_IN)
    async def GetProduct(self, request: pb.GetProductRequest, context: Context) -> pb.GetProductResponse:
        raise pending(ISSUE)

    @allow(*SIGNED_IN)
    async def ListProducts(self, request: pb.ListProductsRequest, context: Context) -> pb.ListProductsResponse:
        raise pending(ISSUE)

    @allow(*FACTORY_WRITERS)
    async def ReleaseBatch(self, request: pb.ReleaseBatchRequest, context: Context) -> pb.ReleaseBatchResponse:
        raise pending(ISSUE)

    @allow(*FACTORY_WRITERS)
    async def RevokeBatch(self, request: pb.RevokeBatchRequest, context: Context) -> pb.RevokeBatchResponse:
        raise pending(ISSUE)

    @allow(*FACTORY_WRITERS)
    async def RecallBatch(self, request: pb.RecallBatchRequest, context: Context) -> pb.RecallBatchResponse:
        raise pending(ISSUE)

    @allow(*FACTORY_WRITERS)
    async def RevokeProduct(self, request: pb.RevokeProductRequest, context: Context) -> pb.RevokeProductResponse:
        raise pending(ISSUE)

    @allow(*FACTORY_WRITERS)
    async def RecallProduct(self, request: pb.RecallProductRequest, context: Context) -> pb.RecallProductResponse:
        raise pending(ISSUE)

    @allow(*FACTORY_WRITERS)
    async def ImportCsv(self, requests: AsyncIterator[pb.ImportCsvRequest], context: Context) -> pb.ImportCsvResponse:
        raise pending(ISSUE)

    @allow(*SIGNED_IN)
    async def ExportCsv(self, request: pb.ExportCsvRequest, context: Context) -> AsyncIterator[httpbody_pb2.HttpBody]:
        raise pending(ISSUE)

    @allow(*FACTORY_WRITERS)
    async def CreateWebhook(self, request: pb.CreateWebhookRequest, context: Context) -> pb.CreateWebhookResponse:
        raise pending(ISSUE)

    @allow(*SIGNED_IN)
    async def ListWebhooks(self, request: pb.ListWebhooksRequest, context: Context) -> pb.ListWebhooksResponse:
        raise pending(ISSUE)

    @allow(*FACTORY_WRITERS)
    async def DeleteWebhook(self, request: pb.DeleteWebhookRequest, context: Context) -> pb.DeleteWebhookResponse:
        raise pending(ISSUE)

    @allow(*SIGNED_IN)
    async def ListWebhookDeliveries(
        self, request: pb.ListWebhookDeliveriesRequest, context: Context
    ) -> pb.ListWebhookDeliveriesResponse:
        raise pending(ISSUE)
