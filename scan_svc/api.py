"""ScanService handlers: proto <-> domain only.

Consumer-facing: token verification, risk, ledger, fraud reports, the /r/ page.
"""

import grpc
from google.api import httpbody_pb2

from voketag.auth import STAFF, allow, public
from voketag.errors import pending
from voketag.scan.v1 import scan_service_pb2 as pb
from voketag.scan.v1 import scan_service_pb2_grpc as rpc

# The scan service's own work is issue #3; until it lands every RPC answers UNIMPLEMENTED,
# but each already declares who may call it.
ISSUE = 3

Context = grpc.aio.ServicerContext
SERVICE = pb.DESCRIPTOR.services_by_name["ScanService"]


class ScanApi(rpc.ScanServiceServicer):
    @public
    async def VerifyToken(self, request: pb.VerifyTokenRequest, context: Context) -> pb.VerifyTokenResponse:
        raise pending(ISSUE)

    @public
    async def ReportFraud(self, request: pb.ReportFraudRequest, context: Context) -> pb.ReportFraudResponse:
        raise pending(ISSUE)

    @public
    async def RenderPage(self, request: pb.RenderPageRequest, context: Context) -> httpbody_pb2.HttpBody:
        raise pending(ISSUE)

    @allow(*STAFF)
    async def VerifyLedger(self, request: pb.VerifyLedgerRequest, context: Context) -> pb.VerifyLedgerResponse:
        raise pending(ISSUE)

    @public
    async def GetLedgerCheckpoint(
        self, request: pb.GetLedgerCheckpointRequest, context: Context
    ) -> pb.GetLedgerCheckpointResponse:
        raise pending(ISSUE)

    @public
    async def GetLedgerConsistencyProof(
        self, request: pb.GetLedgerConsistencyProofRequest, context: Context
    ) -> pb.GetLedgerConsistencyProofResponse:
        raise pending(ISSUE)
