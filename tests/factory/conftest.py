"""Fixtures of the factory service tests: factories in the shared database, tokens per role, stubs, and a
private factory service (own database and Redis) for fault and webhook tests."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import grpc
import pytest

from devmesh.mesh import Child, EmbeddedRedis, Mesh, free_port
from tests.support import health_status
from voketag.auth import Role, TokenSigner
from voketag.factory.v1 import factory_service_pb2_grpc as rpc

Metadata = tuple[tuple[str, str], ...]


@pytest.fixture(scope="session")
async def db(mesh: Mesh) -> AsyncIterator[asyncpg.Pool]:
    """The shared database, migrated by the running services."""
    pool = await asyncpg.create_pool(mesh.database_url, min_size=1, max_size=4)
    yield pool
    await pool.close()


async def new_factory(pool: asyncpg.Pool, name: str = "factory") -> str:
    factory_id = str(uuid.uuid4())
    await pool.execute("INSERT INTO factories (id, name) VALUES ($1, $2)", factory_id, name)
    return factory_id


@dataclass(frozen=True)
class Callers:
    """Call metadata (bearer tokens) per role; operator/service account of factory A, operator of B."""

    factory_a: str
    factory_b: str
    admin: Metadata
    auditor: Metadata
    operator_a: Metadata
    service_a: Metadata
    operator_b: Metadata


def bearer(token: str) -> Metadata:
    return (("authorization", f"Bearer {token}"),)


@pytest.fixture
async def callers(db: asyncpg.Pool, signer: TokenSigner) -> Callers:
    factory_a, factory_b = await new_factory(db, "A"), await new_factory(db, "B")
    return Callers(
        factory_a=factory_a,
        factory_b=factory_b,
        admin=bearer(signer.mint("admin-1", Role.ADMIN)),
        auditor=bearer(signer.mint("auditor-1", Role.AUDITOR)),
        operator_a=bearer(signer.mint("op-a", Role.OPERATOR, factory_id=factory_a)),
        service_a=bearer(signer.mint("mes-a", Role.SERVICE_ACCOUNT, factory_id=factory_a)),
        operator_b=bearer(signer.mint("op-b", Role.OPERATOR, factory_id=factory_b)),
    )


@pytest.fixture
def stub(channel: grpc.aio.Channel) -> rpc.FactoryServiceStub:
    """FactoryService through Envoy (native gRPC)."""
    return rpc.FactoryServiceStub(channel)


@dataclass
class PrivateFactory:
    """A factory service process of its own (own database and Redis), for tests that kill or reconfigure it."""

    mesh: Mesh
    database_url: str
    redis: EmbeddedRedis
    state_dir: Path
    extra_env: dict[str, str]
    port: int = 0
    child: Child | None = None

    def env(self, overrides: dict[str, str]) -> dict[str, str]:
        return {
            **self.mesh.children["factory"].env,
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis.url,
            **self.extra_env,
            **overrides,
        }

    async def start(self, **overrides: str) -> None:
        self.port = free_port()
        env = self.env({"GRPC_PORT": str(self.port), "METRICS_PORT": str(free_port()), **overrides})
        self.child = Child("factory-private", [*self.mesh.children["factory"].argv], env, self.state_dir / "f.log")
        self.child.start()
        for _ in range(150):
            try:
                if await health_status(f"127.0.0.1:{self.port}") == "SERVING":
                    return
            except grpc.aio.AioRpcError:
                pass
            await asyncio.sleep(0.2)
        raise TimeoutError(f"private factory service did not start; see {self.state_dir / 'f.log'}")

    def kill(self) -> None:
        assert self.child is not None and self.child.process is not None
        self.child.process.kill()
        self.child.process.wait()

    def stop(self) -> None:
        if self.child is not None:
            self.child.stop()


@pytest.fixture
async def private_factory(
    mesh: Mesh, fresh_database: str, tmp_path: Path
) -> AsyncIterator[Callable[..., PrivateFactory]]:
    made: list[PrivateFactory] = []

    def make(**extra_env: str) -> PrivateFactory:
        redis = EmbeddedRedis(tmp_path / f"redis{len(made)}", free_port())
        stack = PrivateFactory(mesh, fresh_database, redis, tmp_path, dict(extra_env))
        made.append(stack)
        return stack

    yield make
    for stack in made:
        stack.stop()
        stack.redis.stop()


@dataclass(frozen=True)
class Isolated:
    """A private factory service with no anchor worker: its batches stay CREATED (an open one takes products
    until its window ends)."""

    stub: rpc.FactoryServiceStub
    operator: Metadata
    pool: asyncpg.Pool


@pytest.fixture
async def isolated(private_factory, signer: TokenSigner) -> AsyncIterator[Isolated]:
    stack: PrivateFactory = private_factory()
    await stack.start()
    pool = await asyncpg.create_pool(stack.database_url, min_size=1, max_size=2)
    try:
        factory_id = await new_factory(pool)
        operator = bearer(signer.mint("op", Role.OPERATOR, factory_id=factory_id))
        async with grpc.aio.insecure_channel(f"127.0.0.1:{stack.port}") as channel:
            yield Isolated(rpc.FactoryServiceStub(channel), operator, pool)
    finally:
        await pool.close()
