"""voketag_client's retry policy against the real factory service, through a fault-injecting TCP proxy.

The proxy forwards the HTTP/2 bytes between the client and the shared mesh's factory service port and
reads the frame headers on the way, so it counts RPC attempts (HEADERS frames the client opens) and can
cut a connection at a chosen moment: before the service sees the call ("request") or after the service
handled it and started to answer ("response"). A cut connection fails the pending call with UNAVAILABLE
without response headers, which the client's service-config retry policy may retry.
"""

import asyncio
import contextlib
import uuid

import asyncpg
import grpc
import pytest

from devmesh.mesh import Mesh, free_port
from tests.factory.conftest import Callers
from voketag_client import FactoryClient

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
HEADERS = 0x1


class CuttingProxy:
    """Cuts the first ``cuts`` connections at ``cut_at`` ("request" or "response"); forwards the rest."""

    def __init__(self, upstream_port: int, cuts: int, cut_at: str) -> None:
        self.upstream_port = upstream_port
        self.cuts = cuts
        self.cut_at = cut_at
        self.port = free_port()
        self.connections = 0
        self.attempts = 0  # RPCs the client started (HEADERS frames opening a stream)
        self.answered = 0  # responses the service started (HEADERS frames from the service)
        self._server: asyncio.Server | None = None

    async def __aenter__(self) -> "CuttingProxy":
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    async def _handle(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        cut = self.connections <= self.cuts
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        to_service = asyncio.create_task(
            self._pipe(client_reader, up_writer, PREFACE, cut and self.cut_at == "request")
        )
        to_client = asyncio.create_task(self._pipe(up_reader, client_writer, b"", cut and self.cut_at == "response"))
        try:
            await asyncio.wait({to_service, to_client}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (to_service, to_client):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, ConnectionError):
                    await task
            for writer in (client_writer, up_writer):
                writer.transport.abort()

    async def _pipe(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, preface: bytes, cut_on_headers: bool
    ) -> None:
        """Copy frame by frame; return (ending the connection) at the first HEADERS frame when cutting."""
        streams: set[int] = set()
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
            if preface:
                writer.write(await reader.readexactly(len(preface)))
            while True:
                header = await reader.readexactly(9)
                payload = await reader.readexactly(int.from_bytes(header[:3], "big"))
                stream_id = int.from_bytes(header[5:9], "big") & 0x7FFFFFFF
                if header[3] == HEADERS and stream_id and stream_id not in streams:  # not the trailers
                    streams.add(stream_id)
                    if preface:
                        self.attempts += 1
                    else:
                        self.answered += 1
                    if cut_on_headers:
                        return
                writer.write(header + payload)
                await writer.drain()


@pytest.fixture
def operator_token(callers: Callers) -> str:
    return callers.operator_a[0][1].removeprefix("Bearer ")


async def batches_with_request_id(db: asyncpg.Pool, factory_id: str, request_id: str) -> list[str]:
    rows = await db.fetch(
        "SELECT id::text FROM batches WHERE factory_id = $1 AND request_id = $2", uuid.UUID(factory_id), request_id
    )
    return [row["id"] for row in rows]


def proxy(mesh: Mesh, cuts: int, cut_at: str = "request") -> CuttingProxy:
    """A CuttingProxy in front of the shared mesh's factory service (no Envoy in between)."""
    return CuttingProxy(mesh.grpc_ports["factory"], cuts, cut_at)


@pytest.mark.parametrize("cut_at", ["request", "response"])
async def test_unavailable_is_retried_until_an_attempt_succeeds(
    mesh: Mesh, operator_token: str, callers: Callers, db: asyncpg.Pool, cut_at: str
) -> None:
    request_id = str(uuid.uuid4())
    async with proxy(mesh, cuts=2, cut_at=cut_at) as cutting:
        with FactoryClient(f"127.0.0.1:{cutting.port}", operator_token, timeout_s=30) as client:
            batch = await asyncio.to_thread(client.create_batch, "RETRY-1", "Clocks", 2, request_id=request_id)
    assert batch.quantity == 2 and batch.factory_id == callers.factory_a
    # Two attempts died with their connections, the third went through: three connections, three attempts.
    assert (cutting.connections, cutting.attempts) == (3, 3)
    # "request": the service never saw the cut attempts; "response": it handled all three (and answered),
    # and the retries carried the same request id, so there is still exactly one batch.
    assert cutting.answered == {"request": 1, "response": 3}[cut_at]
    assert await batches_with_request_id(db, callers.factory_a, request_id) == [batch.id]


async def test_invalid_argument_is_not_retried(mesh: Mesh, operator_token: str) -> None:
    async with proxy(mesh, cuts=0) as cutting:
        client = FactoryClient(f"127.0.0.1:{cutting.port}", operator_token, timeout_s=30)
        with client, pytest.raises(grpc.RpcError) as raised:
            await asyncio.to_thread(client.create_batch, "RETRY-2", "Clocks", 0)
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert (cutting.connections, cutting.attempts, cutting.answered) == (1, 1, 1)


@pytest.mark.parametrize("max_attempts", [3, 1])
async def test_retries_stop_at_max_attempts(mesh: Mesh, operator_token: str, max_attempts: int) -> None:
    async with proxy(mesh, cuts=10) as cutting:
        client = FactoryClient(f"127.0.0.1:{cutting.port}", operator_token, timeout_s=30, max_attempts=max_attempts)
        with client, pytest.raises(grpc.RpcError) as raised:
            await asyncio.to_thread(client.create_batch, "RETRY-3", "Clocks", 1)
    assert raised.value.code() == grpc.StatusCode.UNAVAILABLE
    assert (cutting.attempts, cutting.answered) == (max_attempts, 0)
