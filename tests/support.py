"""Helpers the integration tests share: gRPC calls, JSON error bodies, waiting."""

import asyncio
import contextlib
import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import grpc
from google.rpc import error_details_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_status import rpc_status

from devmesh.mesh import Anvil, EmbeddedRedis, Mesh, envoy_child, free_port, port_open, wait_until
from tests.conftest import database_url

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


@contextlib.contextmanager
def extra_gateway(mesh: Mesh, state_dir: Path, name: str, **overrides: str | int) -> Iterator[str]:
    """A second Envoy on the mesh's template with some values replaced (an upstream port, ...); yields its URL."""
    values = {**mesh.envoy_values(), "listen_port": free_port(), "admin_port": free_port(), **overrides}
    envoy = envoy_child(state_dir, name, values)
    envoy.start()
    try:
        wait_until(lambda: port_open(int(values["listen_port"])), 30, name)
        yield f"http://127.0.0.1:{values['listen_port']}"
    finally:
        envoy.stop()


async def _execute(url: str, statement: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


@contextlib.contextmanager
def own_dependencies(base_url: str, state: Path, prefix: str) -> Iterator[dict[str, str]]:
    """A database of its own on the session's PostgreSQL, plus a Redis and a chain of its own: for a mesh whose
    ledger, queue and anchoring account's nonces no other mesh of the session may touch."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    asyncio.run(_execute(base_url, f'CREATE DATABASE "{name}"'))
    kv = EmbeddedRedis(state / "redis", free_port())
    node = Anvil(state / "anvil.log", free_port())
    try:
        yield {"DATABASE_URL": database_url(base_url, name), "REDIS_URL": kv.url, "ETH_RPC_URL": node.url}
    finally:
        node.stop()
        kv.stop()
        asyncio.run(_execute(base_url, f'DROP DATABASE "{name}" WITH (FORCE)'))
