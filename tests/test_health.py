"""Health through the gRPC protocol (directly and via Envoy) and Envoy's aggregate /health."""

import asyncio
from pathlib import Path

import pytest
import redis.asyncio as redis

from devmesh.mesh import SERVICES, EmbeddedRedis, Mesh, free_port, gateway_status, wait_until
from scan_svc.settings import ScanSettings
from tests.support import health_status
from voketag.server import serve

FULL_NAMES = {
    "scan": "voketag.scan.v1.ScanService",
    "factory": "voketag.factory.v1.FactoryService",
    "admin": "voketag.admin.v1.AdminService",
    "anchor": "voketag.anchor.v1.AnchorService",
}


@pytest.mark.parametrize("name", SERVICES)
async def test_each_service_serving_directly(mesh: Mesh, name: str) -> None:
    target = f"127.0.0.1:{mesh.grpc_ports[name]}"
    assert await health_status(target) == "SERVING"
    assert await health_status(target, FULL_NAMES[name]) == "SERVING"


@pytest.mark.parametrize("name", SERVICES)
async def test_each_service_serving_through_envoy(mesh: Mesh, name: str) -> None:
    target = f"127.0.0.1:{mesh.port}"
    assert await health_status(target, FULL_NAMES[name], (("x-voketag-service", name),)) == "SERVING"


async def test_gateway_health_follows_every_service(mesh: Mesh) -> None:
    assert gateway_status(mesh.port) == 200
    anchor = mesh.children["anchor"]
    assert anchor.stop() == 0, "SIGTERM must end a service with exit code 0"
    try:
        await asyncio.to_thread(wait_until, lambda: gateway_status(mesh.port) == 503, 20, "503 from /health")
    finally:
        anchor.start()
    await asyncio.to_thread(wait_until, lambda: gateway_status(mesh.port) == 200, 30, "200 from /health")


async def test_health_follows_a_dependency(tmp_path: Path) -> None:
    """A service reports NOT_SERVING while Redis is down and SERVING again once it is back."""
    kv = EmbeddedRedis(tmp_path / "redis", free_port())
    port = free_port()
    settings = ScanSettings(
        database_url="postgresql://unused/unused",
        grpc_port=port,
        metrics_port=free_port(),
        health_interval_s=0.2,
    )
    client = redis.Redis(port=kv.port, socket_connect_timeout=0.3, socket_timeout=0.3)
    stop = asyncio.Event()
    server = asyncio.create_task(serve(settings, [], {"redis": client.ping}, stop=stop))
    target = f"127.0.0.1:{port}"

    async def becomes(status: str) -> None:
        for _ in range(100):
            try:
                if await health_status(target) == status:
                    return
            except Exception:
                pass
            await asyncio.sleep(0.1)
        raise AssertionError(f"health never became {status}")

    try:
        await becomes("SERVING")
        kv.stop()
        await becomes("NOT_SERVING")
        kv.start()
        await becomes("SERVING")
    finally:
        stop.set()
        await server
        await client.aclose()
        kv.stop()
