"""Who the caller is: a service believes x-envoy-external-address only from its trusted proxies (the gateway).

A real grpc.aio server (the shared bootstrap, interceptors included) whose VerifyToken reports the client address
it was given, called directly on its gRPC port and through a real Envoy.
"""

import asyncio
from collections.abc import AsyncIterator
from ipaddress import ip_network
from pathlib import Path

import grpc
import httpx
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from devmesh.mesh import Mesh, free_port, wait_until
from scan_svc.api import SERVICE, ScanApi
from scan_svc.settings import ScanSettings
from tests.support import extra_gateway
from voketag.auth import public
from voketag.context import client_address
from voketag.errors import NotFound
from voketag.interceptors import peer_ip
from voketag.scan.v1 import scan_service_pb2 as pb
from voketag.scan.v1 import scan_service_pb2_grpc as rpc
from voketag.server import Service, serve
from voketag.settings import LOOPBACK

SPOOFED = "203.0.113.9"


class AddressEcho(ScanApi):
    """Answers every verify with NOT_FOUND whose ErrorInfo metadata carries the client address it saw."""

    def __init__(self) -> None:
        """No storage: only VerifyToken is called."""

    @public
    async def VerifyToken(
        self, request: pb.VerifyTokenRequest, context: grpc.aio.ServicerContext
    ) -> pb.VerifyTokenResponse:
        raise NotFound("PRODUCT_NOT_FOUND", "echo", metadata={"client": client_address.get()})


@pytest.fixture(scope="module")
async def servers() -> AsyncIterator[dict[str, int]]:
    """Two echo servers: one trusting loopback (the default), one trusting only a network nobody here is on."""
    ports = {"loopback": free_port(), "elsewhere": free_port()}
    stop = asyncio.Event()
    tasks = []
    for name, port in ports.items():
        trusted = list(LOOPBACK) if name == "loopback" else [ip_network("192.0.2.0/24")]
        settings = ScanSettings(
            database_url="postgresql://unused/unused", grpc_port=port, metrics_port=free_port(), trusted_proxies=trusted
        )
        service = Service(AddressEcho(), rpc.add_ScanServiceServicer_to_server, SERVICE)
        tasks.append(asyncio.create_task(serve(settings, [service], {}, stop=stop)))
    yield ports
    stop.set()
    await asyncio.gather(*tasks)


async def seen_address(port: int, metadata: tuple[tuple[str, str], ...]) -> str:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await rpc.ScanServiceStub(channel).VerifyToken(
                pb.VerifyTokenRequest(token="X"), metadata=metadata, timeout=5
            )
    return _client_of(rpc_status.from_call(caught.value))


def _client_of(status: object) -> str:
    info = error_details_pb2.ErrorInfo()
    assert status is not None and status.details[0].Unpack(info)  # type: ignore[attr-defined]
    return info.metadata["client"]


async def test_untrusted_peer_cannot_name_the_client(servers: dict[str, int]) -> None:
    seen = await seen_address(servers["elsewhere"], (("x-envoy-external-address", SPOOFED),))
    assert SPOOFED not in seen
    assert str(peer_ip(seen)) == "127.0.0.1"


async def test_trusted_peer_names_the_client(servers: dict[str, int]) -> None:
    assert await seen_address(servers["loopback"], (("x-envoy-external-address", SPOOFED),)) == SPOOFED
    without = await seen_address(servers["loopback"], ())
    assert str(peer_ip(without)) == "127.0.0.1"


@pytest.fixture(scope="module")
async def echo_gateway(mesh: Mesh, state_dir: Path, servers: dict[str, int]) -> AsyncIterator[str]:
    with extra_gateway(mesh, state_dir, "envoy-address-echo", scan_port=servers["loopback"]) as url:
        # In a thread: the echo server answers on this event loop.
        await asyncio.to_thread(wait_until, lambda: _answers(url), 30, "echo gateway")
        yield url


def _answers(url: str) -> bool:
    try:
        return httpx.post(f"{url}/api/verify/ABC").status_code == 404
    except httpx.HTTPError:
        return False


async def test_gateway_names_the_real_client_whatever_it_claims(echo_gateway: str) -> None:
    """A client cannot pass its own x-envoy-external-address (or x-forwarded-for) through Envoy."""
    async with httpx.AsyncClient() as client:
        reply = await client.post(
            f"{echo_gateway}/api/verify/ABC",
            headers={"x-envoy-external-address": SPOOFED, "x-forwarded-for": SPOOFED},
        )
    assert reply.status_code == 404
    info = next(d for d in reply.json()["details"] if d["@type"].endswith("ErrorInfo"))
    assert SPOOFED not in info["metadata"]["client"]


@pytest.mark.parametrize(
    ("peer", "ip"),
    [
        ("ipv4:10.1.2.3:5000", "10.1.2.3"),
        ("ipv6:%5B::1%5D:5000", "::1"),
        ("ipv6:[2001:db8::7]:443", "2001:db8::7"),
        ("unix:/run/envoy.sock", None),
        ("ipv4:not-an-ip:1", None),
    ],
)
def test_peer_ip_reads_grpc_peer_strings(peer: str, ip: str | None) -> None:
    found = peer_ip(peer)
    assert (str(found) if found else None) == ip
