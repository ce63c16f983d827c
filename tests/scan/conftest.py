"""Scan-service fixtures: products seeded straight into PostgreSQL, tokens from the mesh's key ring, and
HTTP clients that each come from their own loopback address (so per-IP limits never mix between tests)."""

import itertools
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import asyncpg
import httpx
import pytest

from admin_svc.bootstrap import create_admin
from devmesh.mesh import Mesh
from voketag.tokens import KeyRing

# 127.0.0.0/8 is all loopback: each client gets its own source address (Envoy sees it as the client IP).
_ADDRESSES = (f"127.0.{a}.{b}" for a, b in itertools.product(range(10, 250), range(2, 250)))


def next_address() -> str:
    return next(_ADDRESSES)


@dataclass
class Catalog:
    """Seeds factories, batches and products; issues their tokens."""

    pool: asyncpg.Pool
    keyring: KeyRing

    async def batch(
        self,
        quantity: int = 1,
        lifecycle: str = "RELEASED",
        state: str = "CREATED",
        reason: str = "",
        public_reason: str = "",
        key_id: int = 1,
        name: str = "Chrono Watch",
    ) -> list[dict[str, object]]:
        """A new factory and batch with ``quantity`` products; returns [{product_id, batch_id, serial, token}]."""
        factory_id, batch_id = uuid.uuid4(), uuid.uuid4()
        async with self.pool.acquire() as conn, conn.transaction():
            first = await conn.fetchval(
                "UPDATE serial_counter SET next_serial = next_serial + $1 RETURNING next_serial - $1", quantity
            )
            await conn.execute("INSERT INTO factories (id, name) VALUES ($1, $2)", factory_id, f"Factory {factory_id}")
            await conn.execute(
                """INSERT INTO batches (id, factory_id, sku, product_line, product_name, quantity, state, lifecycle,
                                        lifecycle_reason, public_reason, key_id)
                   VALUES ($1, $2, 'SKU-1', 'Watches', $3, $4, $5, $6, $7, $8, $9)""",
                batch_id,
                factory_id,
                name,
                quantity,
                state,
                lifecycle,
                reason,
                public_reason,
                key_id,
            )
            rows = await conn.fetch(
                """INSERT INTO products (id, batch_id, serial, leaf_index)
                   SELECT gen_random_uuid(), $1, $2 + i, i FROM generate_series(0, $3 - 1) AS i
                   RETURNING id, serial""",
                batch_id,
                first,
                quantity,
            )
        return [
            {
                "product_id": str(row["id"]),
                "batch_id": str(batch_id),
                "serial": row["serial"],
                "token": self.keyring.issue(row["serial"], key_id),
            }
            for row in sorted(rows, key=lambda r: r["serial"])
        ]

    async def product(self, **kwargs: object) -> dict[str, object]:
        return (await self.batch(1, **kwargs))[0]  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def keyring(mesh: Mesh) -> KeyRing:
    return KeyRing.from_config(mesh.token_keys, 1)


@pytest.fixture(scope="session")
async def pool(mesh: Mesh, deps: dict[str, str]) -> AsyncIterator[asyncpg.Pool]:
    async with asyncpg.create_pool(deps["DATABASE_URL"], min_size=1, max_size=4) as created:
        yield created


@pytest.fixture(scope="session")
def catalog(pool: asyncpg.Pool, keyring: KeyRing) -> Catalog:
    return Catalog(pool, keyring)


@pytest.fixture
async def client(gateway: str) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client through Envoy from a loopback address of its own."""
    transport = httpx.AsyncHTTPTransport(local_address=next_address())
    async with httpx.AsyncClient(base_url=gateway, transport=transport, timeout=15) as made:
        yield made


@pytest.fixture
def make_client(gateway: str) -> Iterator[object]:
    """Factory of extra clients, each from its own loopback address (e.g. one per simulated device)."""
    made: list[httpx.AsyncClient] = []

    def create(headers: dict[str, str] | None = None) -> httpx.AsyncClient:
        transport = httpx.AsyncHTTPTransport(local_address=next_address())
        new = httpx.AsyncClient(base_url=gateway, transport=transport, timeout=15, headers=headers)
        made.append(new)
        return new

    yield create


@pytest.fixture(scope="session")
async def staff(gateway: str, deps: dict[str, str], mesh: Mesh) -> AsyncIterator[httpx.AsyncClient]:
    """A client signed in as a real admin (created as the bootstrap command does, then Login through Envoy)."""
    email, password = f"scan-staff-{uuid.uuid4().hex[:8]}@example.com", "a long enough passphrase"
    await create_admin(deps["DATABASE_URL"], email, "Scan Staff", password)
    transport = httpx.AsyncHTTPTransport(local_address=next_address())
    async with httpx.AsyncClient(base_url=gateway, transport=transport, timeout=15) as made:
        login = await made.post("/v1/auth/login", json={"email": email, "password": password})
        assert login.status_code == 200, login.text
        made.headers["authorization"] = f"Bearer {login.json()['accessToken']}"
        yield made
