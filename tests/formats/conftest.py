"""Fixtures of the format tests: the shared database, a fresh factory, and HTTP clients through Envoy."""

import itertools
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import asyncpg
import httpx
import pytest

from devmesh.mesh import Mesh
from tests.scan.test_page import browser  # noqa: F401 - the page tests' headless Chromium, for the API docs page

# Each client from its own loopback address, so per-IP rate limits never mix between tests
# (a range of its own, apart from the scan tests' 127.0.10-249.x).
_ADDRESSES = (f"127.1.{a}.{b}" for a, b in itertools.product(range(1, 250), range(2, 250)))


@pytest.fixture(scope="session")
async def db(mesh: Mesh) -> AsyncIterator[asyncpg.Pool]:
    pool = await asyncpg.create_pool(mesh.database_url, min_size=1, max_size=4)
    yield pool
    await pool.close()


@pytest.fixture
async def factory_id(db: asyncpg.Pool) -> str:
    made = str(uuid.uuid4())
    await db.execute("INSERT INTO factories (id, name) VALUES ($1, $2)", made, f"Plant {made[:8]}")
    return made


@pytest.fixture
async def client(gateway: str) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.AsyncHTTPTransport(local_address=next(_ADDRESSES))
    async with httpx.AsyncClient(base_url=gateway, transport=transport, timeout=30) as made:
        yield made


@pytest.fixture
async def admin(gateway: str, admin_token: str) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.AsyncHTTPTransport(local_address=next(_ADDRESSES))
    headers = {"authorization": f"Bearer {admin_token}"}
    async with httpx.AsyncClient(base_url=gateway, transport=transport, timeout=60, headers=headers) as made:
        yield made


@pytest.fixture
def create_batch(admin: httpx.AsyncClient, factory_id: str) -> Callable[..., Awaitable[dict[str, Any]]]:
    async def create(**fields: Any) -> dict[str, Any]:
        body = {"requestId": str(uuid.uuid4()), "factoryId": factory_id, "sku": "SKU-1", "productLine": "Watches"}
        reply = await admin.post("/v1/batches", json={**body, "quantity": 2, **fields})
        assert reply.status_code == 200, reply.text
        return reply.json()["batch"]

    return create
