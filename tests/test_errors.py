"""The error model end to end: handler -> interceptors -> Envoy -> REST client, and native gRPC."""

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import httpx
import pytest

from scan_svc.api import SERVICE, ScanApi
from scan_svc.settings import ScanSettings
from tests.support import error_reason, json_reason
from voketag.auth import public
from voketag.errors import InvalidArgument, NotFound
from voketag.mesh import Child, Mesh, envoy_child, free_port, wait_until
from voketag.scan.v1 import scan_service_pb2 as pb
from voketag.scan.v1 import scan_service_pb2_grpc as rpc
from voketag.server import Service, serve

SECRET = "password=hunter2 at db.internal"


class FaultyScan(ScanApi):
    """A scan service whose handlers fail in the ways the error model must handle."""

    def __init__(self) -> None:
        """No storage: the overridden handlers need none, the inherited ones are never called."""

    @public
    async def VerifyToken(
        self, request: pb.VerifyTokenRequest, context: grpc.aio.ServicerContext
    ) -> pb.VerifyTokenResponse:
        if request.token == "MISSING":
            raise NotFound("PRODUCT_NOT_FOUND", "no product has this token", metadata={"token": request.token})
        raise RuntimeError(SECRET)

    @public
    async def ReportFraud(
        self, request: pb.ReportFraudRequest, context: grpc.aio.ServicerContext
    ) -> pb.ReportFraudResponse:
        raise InvalidArgument("FIELD_INVALID", "description is too short", fields={"description": "10 to 2000 chars"})


@pytest.fixture(scope="module")
async def faulty_server() -> AsyncIterator[int]:
    port = free_port()
    settings = ScanSettings(database_url="postgresql://unused/unused", grpc_port=port, metrics_port=free_port())
    stop = asyncio.Event()
    task = asyncio.create_task(
        serve(settings, [Service(FaultyScan(), rpc.add_ScanServiceServicer_to_server, SERVICE)], {}, stop=stop)
    )
    yield port
    stop.set()
    await task


@pytest.fixture(scope="module")
async def faulty_gateway(mesh: Mesh, faulty_server: int, state_dir: Path) -> AsyncIterator[str]:
    """A second Envoy whose scan cluster is the faulty server."""
    values = {**mesh.envoy_values(), "listen_port": free_port(), "admin_port": free_port(), "scan_port": faulty_server}
    envoy: Child = envoy_child(state_dir, "envoy-faulty", values)
    envoy.start()
    url = f"http://127.0.0.1:{values['listen_port']}"
    # In a thread: the faulty server answers on this event loop.
    await asyncio.to_thread(wait_until, lambda: _answers(url), 30, "faulty gateway")
    yield url
    envoy.stop()


async def post(url: str, **kwargs: object) -> httpx.Response:
    """Async: the faulty server runs on the test event loop and must keep running while we wait."""
    async with httpx.AsyncClient() as client:
        return await client.post(url, **kwargs)  # type: ignore[arg-type]


def _answers(url: str) -> bool:
    try:
        return httpx.post(f"{url}/api/verify/MISSING").status_code == 404
    except httpx.HTTPError:
        return False


async def test_domain_error_becomes_http_code_with_error_info(faulty_gateway: str) -> None:
    reply = await post(f"{faulty_gateway}/api/verify/MISSING")
    assert reply.status_code == 404
    assert reply.headers["content-type"].startswith("application/json")
    assert json_reason(reply.content) == "PRODUCT_NOT_FOUND"
    assert "grpc-status" not in reply.headers and "grpc-message" not in reply.headers


async def test_field_violation_becomes_400(faulty_gateway: str) -> None:
    reply = await post(f"{faulty_gateway}/api/fraud/report", json={"token": "X", "description": "short"})
    assert reply.status_code == 400
    body = reply.json()
    assert json_reason(reply.content) == "FIELD_INVALID"
    violations = next(d for d in body["details"] if d["@type"].endswith("BadRequest"))["fieldViolations"]
    assert [(v["field"], v["description"]) for v in violations] == [("description", "10 to 2000 chars")]


async def test_unexpected_exception_is_a_generic_500(faulty_gateway: str) -> None:
    reply = await post(f"{faulty_gateway}/api/verify/ANYTHING")
    assert reply.status_code == 500
    assert "hunter2" not in reply.text and "RuntimeError" not in reply.text
    assert reply.json()["message"].startswith("internal error (request id ")


async def test_native_grpc_through_envoy_carries_error_info(faulty_gateway: str) -> None:
    async with grpc.aio.insecure_channel(faulty_gateway.removeprefix("http://")) as channel:
        stub = rpc.ScanServiceStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.VerifyToken(pb.VerifyTokenRequest(token="MISSING"), timeout=5)
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    assert error_reason(caught.value) == "PRODUCT_NOT_FOUND"
