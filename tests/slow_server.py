"""A scan server whose VerifyToken takes SLOW_S seconds: the subject of the graceful-shutdown test."""

import asyncio

import grpc

from scan_svc.api import SERVICE, ScanApi
from scan_svc.settings import ScanSettings
from voketag.auth import public
from voketag.logs import setup_logging
from voketag.scan.v1 import scan_service_pb2 as pb
from voketag.scan.v1 import scan_service_pb2_grpc as rpc
from voketag.server import Service, run, serve

SLOW_S = 1.5


class SlowScan(ScanApi):
    def __init__(self) -> None:
        """No storage: the overridden handlers need none, the inherited ones are never called."""

    @public
    async def VerifyToken(
        self, request: pb.VerifyTokenRequest, context: grpc.aio.ServicerContext
    ) -> pb.VerifyTokenResponse:
        await asyncio.sleep(SLOW_S)
        return pb.VerifyTokenResponse(scan_count=7)


if __name__ == "__main__":
    setup_logging("slow", "INFO")
    run(serve(ScanSettings(), [Service(SlowScan(), rpc.add_ScanServiceServicer_to_server, SERVICE)], {}))
