"""Fixtures that bring up real PostgreSQL, Redis, anvil, the four services and Envoy once per session."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import grpc
import pytest

from devmesh.mesh import EmbeddedPostgres, Mesh, free_port, start_dependencies
from tests.brokers import RabbitMQ, start_rabbitmq
from voketag.auth import Role, TokenSigner

ISSUER, AUDIENCE = "voketag", "voketag-api"


@pytest.fixture(scope="session")
def state_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("mesh")
    (path / "logs").mkdir()
    return path


@pytest.fixture(scope="session")
def deps(state_dir: Path) -> Iterator[dict[str, str]]:
    urls, started = start_dependencies(state_dir)
    server = urls["DATABASE_URL"]
    # A server of DATABASE_URL (e.g. PostgreSQL 15 in .ci/run) may be shared with other runs: this session
    # works in a database of its own, named uniquely, and drops it at the end.
    shared = not any(isinstance(dep, EmbeddedPostgres) for dep in started)
    name = f"voketag_test_{uuid.uuid4().hex[:12]}"
    if shared:
        asyncio.run(run_statement(server, f'CREATE DATABASE "{name}"'))
        urls["DATABASE_URL"] = database_url(server, name)
    yield urls
    for dep in reversed(started):
        dep.stop()
    if shared:
        asyncio.run(run_statement(server, f'DROP DATABASE "{name}" WITH (FORCE)'))


async def run_statement(url: str, statement: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def rabbitmq(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RabbitMQ]:
    try:
        server = start_rabbitmq(tmp_path_factory.mktemp("rabbitmq"))
    except RuntimeError as missing:
        pytest.fail(str(missing))
    yield server
    server.stop()


@pytest.fixture(params=["redis", "rabbitmq"])
def broker_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """BROKER_URL for a test that runs on both Dramatiq brokers: '' (the test's Redis) or a RabbitMQ vhost."""
    if request.param == "redis":
        yield ""
        return
    server: RabbitMQ = request.getfixturevalue("rabbitmq")
    url = server.vhost()
    yield url
    server.drop(url)


@pytest.fixture(scope="session")
def mesh(deps: dict[str, str], state_dir: Path) -> Iterator[Mesh]:
    running = Mesh(state_dir, deps["DATABASE_URL"], deps["REDIS_URL"], deps["ETH_RPC_URL"], free_port())
    running.start()
    yield running
    running.stop()


@pytest.fixture(scope="session")
def gateway(mesh: Mesh) -> str:
    return f"http://127.0.0.1:{mesh.port}"


@pytest.fixture(scope="session")
def signer(mesh: Mesh) -> TokenSigner:
    return TokenSigner(mesh.signing_key, "dev", ISSUER, AUDIENCE)


@pytest.fixture(scope="session")
def admin_token(signer: TokenSigner) -> str:
    return signer.mint("admin-1", Role.ADMIN)


def database_url(base: str, name: str) -> str:
    parts = urlsplit(base)
    return urlunsplit(parts._replace(path=f"/{name}"))


@pytest.fixture
async def fresh_database(deps: dict[str, str]) -> AsyncIterator[str]:
    """An empty database of its own, dropped afterwards."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(deps["DATABASE_URL"])
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield database_url(deps["DATABASE_URL"], name)
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture
async def channel(mesh: Mesh) -> AsyncIterator[grpc.aio.Channel]:
    """A native gRPC channel through Envoy."""
    async with grpc.aio.insecure_channel(f"127.0.0.1:{mesh.port}") as chan:
        yield chan
