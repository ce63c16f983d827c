"""Fixtures of the admin service tests: a REST client through Envoy, the database, signed-in users."""

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import asyncpg
import httpx
import pytest

from admin_svc.bootstrap import create_admin
from devmesh.mesh import Mesh
from tests.scan.conftest import Catalog, next_address
from voketag.tokens import KeyRing

PASSWORD = "correct horse battery staple"


@dataclass
class Api:
    """JSON calls through Envoy, optionally with a bearer token."""

    base: str
    token: str = ""

    def call(self, method: str, path: str, body: Any = None, token: str | None = None, **params: Any) -> httpx.Response:
        bearer = self.token if token is None else token
        headers = {"authorization": f"Bearer {bearer}"} if bearer else {}
        return httpx.request(
            method, f"{self.base}{path}", json=body, params=params or None, headers=headers, timeout=30
        )

    def ok(self, method: str, path: str, body: Any = None, **params: Any) -> dict[str, Any]:
        reply = self.call(method, path, body, **params)
        assert reply.status_code == 200, reply.text
        return dict(reply.json())

    def as_(self, token: str) -> "Api":
        return Api(self.base, token)


def unique(prefix: str = "u") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@pytest.fixture
async def db(deps: dict[str, str]) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(deps["DATABASE_URL"])
    yield conn
    await conn.close()


@pytest.fixture(scope="session")
def anonymous(gateway: str) -> Api:
    return Api(gateway)


@pytest.fixture(scope="session")
async def admin(gateway: str, deps: dict[str, str], mesh: object) -> Api:
    """A real admin, created with the bootstrap command's function and signed in through Login."""
    email = f"{unique('admin')}@example.com"
    await create_admin(deps["DATABASE_URL"], email, "Bootstrap Admin", PASSWORD)
    reply = Api(gateway).ok("POST", "/v1/auth/login", {"email": email, "password": PASSWORD})
    return Api(gateway, reply["accessToken"])


@pytest.fixture
def factory(admin: Api) -> dict[str, Any]:
    body = {"requestId": str(uuid.uuid4()), "name": "Plant", "code": unique("F")[:16].upper(), "countryCode": "DE"}
    return admin.ok("POST", "/v1/admin/factories", body)["factory"]


def create_user(admin: Api, role: str = "ROLE_AUDITOR", factory_id: str = "", password: str = PASSWORD) -> dict:
    body = {
        "requestId": str(uuid.uuid4()),
        "email": f"{unique()}@example.com",
        "displayName": "Test User",
        "role": role,
        "factoryId": factory_id,
        "password": password,
    }
    return admin.ok("POST", "/v1/admin/users", body)


def login(api: Api, email: str, password: str = PASSWORD) -> httpx.Response:
    return api.call("POST", "/v1/auth/login", {"email": email, "password": password}, token="")


@dataclass
class Seeded:
    factory_id: str
    batch_ids: list[uuid.UUID]
    product_ids: list[uuid.UUID]
    report_ids: list[uuid.UUID]


COUNTRIES = ("DE", "FR", "", "US")
VERDICTS = ("AUTHENTIC", "SUSPICIOUS", "INVALID", "REVOKED")


async def seed(db: asyncpg.Connection, factory_id: str, scans: int = 400) -> Seeded:
    """Batches, products, scans spread over 60 days and fraud reports for one factory, written as the
    other services would write them (the rollup triggers see ordinary inserts)."""
    fid = uuid.UUID(factory_id)
    batch_ids = [uuid.uuid4() for _ in range(3)]
    states = ("CREATED", "FAILED", "ANCHORED")
    async with db.transaction():
        for i, (batch_id, state) in enumerate(zip(batch_ids, states, strict=True)):
            await db.execute(
                """INSERT INTO batches (id, factory_id, sku, product_line, quantity, state, key_id, created_at,
                                        updated_at)
                   VALUES ($1, $2, $3, 'Watches', 10, $4, 1, now() - $5::interval, now() - $5::interval)""",
                batch_id,
                fid,
                f"SKU-{i}",
                state,
                timedelta(days=i * 9),
            )
        base = 10**15 + uuid.uuid4().int % 10**12
        product_ids = [uuid.uuid4() for _ in range(12)]
        await db.executemany(
            """INSERT INTO products (id, batch_id, serial, leaf_index, created_at)
               VALUES ($1, $2, $3, $4, now() - $5::interval)""",
            [(pid, batch_ids[i % 3], base + i, i, timedelta(days=i * 5)) for i, pid in enumerate(product_ids)],
        )
        rows = []
        for i in range(scans):
            product = i % len(product_ids)
            # Risk depends on the product, so the top-risk lists have a clear order.
            risk = min(100, (product * 9 + i % 7) % 101)
            verdict = "SUSPICIOUS" if risk >= 50 else VERDICTS[i % 4 if i % 4 != 1 else 0]
            rows.append(
                (product_ids[product], batch_ids[product % 3], fid, timedelta(minutes=(i * 37) % (60 * 24 * 60)),
                 verdict, risk, COUNTRIES[i % 4])
            )  # fmt: skip
        await db.executemany(
            """INSERT INTO scans (product_id, batch_id, factory_id, scanned_at, verdict, risk_score, device_hash,
                                  country, factors)
               VALUES ($1, $2, $3, now() - $4::interval, $5, $6, repeat('a', 64), $7,
                       '[{"kind": "SCAN_COUNT", "value": 3, "contribution": 20, "available": true}]')""",
            rows,
        )
        report_ids = [uuid.uuid4() for _ in range(4)]
        await db.executemany(
            """INSERT INTO fraud_reports (id, product_id, batch_id, factory_id, contact, description, status,
                                          created_at)
               VALUES ($1, $2, $3, $4, 'buyer@example.com', 'label looks reprinted', $5, now() - $6::interval)""",
            [
                (rid, product_ids[i], batch_ids[i % 3], fid, ("OPEN", "INVESTIGATING", "CONFIRMED", "OPEN")[i],
                 timedelta(days=i * 3))
                for i, rid in enumerate(report_ids)
            ],
        )  # fmt: skip
    return Seeded(factory_id, batch_ids, product_ids, report_ids)


@pytest.fixture(scope="session")
async def catalog(mesh: Mesh, deps: dict[str, str]) -> AsyncIterator[Catalog]:
    """Products with printable tokens, seeded as the scan tests seed them."""
    async with asyncpg.create_pool(deps["DATABASE_URL"], min_size=1, max_size=2) as pool:
        yield Catalog(pool, KeyRing.from_config(mesh.token_keys, 1))


@pytest.fixture
async def consumer(gateway: str) -> AsyncIterator[httpx.AsyncClient]:
    """A public client through Envoy from a loopback address of its own (per-address limits never mix)."""
    transport = httpx.AsyncHTTPTransport(local_address=next_address())
    async with httpx.AsyncClient(base_url=gateway, transport=transport, timeout=15) as made:
        yield made
