"""Helpers the integration tests share: gRPC calls, JSON error bodies, waiting."""

import json
import subprocess
import sys
from pathlib import Path

import grpc
from google.rpc import error_details_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_status import rpc_status

GRPCURL = Path(sys.executable).parent / "grpcurl"


async def health_status(target: str, service: str = "", metadata: tuple[tuple[str, str], ...] = ()) -> str:
    async with grpc.aio.insecure_channel(target) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        reply = await stub.Check(health_pb2.HealthCheckRequest(service=service), metadata=metadata, timeout=5)
    return health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)


def grpcurl(*args: str) -> str:
    done = subprocess.run([str(GRPCURL), "-plaintext", *args], capture_output=True, text=True, timeout=30, check=True)
    return done.stdout


def error_reason(error: grpc.aio.AioRpcError) -> str:
    """The ErrorInfo reason carried in a gRPC error's google.rpc.Status details."""
    status = rpc_status.from_call(error)
    assert status is not None, "the error carries no google.rpc.Status"
    for detail in status.details:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            return info.reason
    raise AssertionError("no ErrorInfo in the status details")


def json_reason(body: bytes) -> str:
    """The ErrorInfo reason in a JSON google.rpc.Status body, as Envoy renders it."""
    status = json.loads(body)
    infos = [d for d in status.get("details", []) if d.get("@type", "").endswith("google.rpc.ErrorInfo")]
    assert infos, f"no ErrorInfo in {status}"
    return str(infos[0]["reason"])
