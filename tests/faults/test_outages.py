"""PostgreSQL or Redis down: callers get 503 UNAVAILABLE (google.rpc.Status, Retry-After) through Envoy, never
500, and the same calls succeed again once the dependency is back, with no restart of any service."""

import asyncio
import time
import uuid

import asyncpg
import httpx

from admin_svc.bootstrap import create_admin
from devmesh.mesh import free_port
from tests.scan.conftest import Catalog
from voketag.outages import as_unavailable
from voketag.tokens import KeyRing

from .conftest import OwnMesh

PASSWORD = "correct horse battery staple"
# Calls made while the dependency is down (each one must be a 503).
DURING = 12


def _reason(response: httpx.Response) -> str:
    for detail in response.json().get("details", []):
        if detail.get("@type", "").endswith("google.rpc.ErrorInfo"):
            return str(detail.get("reason", ""))
    return ""


async def _until_ok(call, timeout_s: float) -> float:
    started = time.monotonic()
    while True:
        response = await call()
        if response.status_code == 200:
            return time.monotonic() - started
        assert response.status_code == 503, (response.status_code, response.text)
        assert time.monotonic() - started < timeout_s, "no recovery"
        await asyncio.sleep(0.2)


def _assert_unavailable(answers: list[httpx.Response]) -> None:
    codes = [answer.status_code for answer in answers]
    assert codes == [503] * len(answers), codes
    ours = [answer for answer in answers if answer.headers.get("content-type", "").startswith("application/json")]
    assert ours, "no answer came from the service itself"
    for answer in ours:
        assert answer.json()["code"] == 14
        assert _reason(answer) == "DEPENDENCY_UNAVAILABLE"
        assert int(answer.headers["retry-after"]) >= 1


async def test_postgres_down_verify_answers_503_then_recovers(own_mesh: OwnMesh) -> None:
    async with asyncpg.create_pool(own_mesh.postgres.url, min_size=1, max_size=2) as pool:
        product = await Catalog(pool, KeyRing.from_config(own_mesh.mesh.token_keys, 1)).product()
    path = f"/api/verify/{product['token']}"
    async with httpx.AsyncClient(base_url=own_mesh.gateway, timeout=30) as client:
        assert (await client.post(path, json={})).status_code == 200
        own_mesh.postgres.down()
        try:
            answers = [await client.post(path, json={}) for _ in range(DURING)]
        finally:
            own_mesh.postgres.up()
        _assert_unavailable(answers)
        took = await _until_ok(lambda: client.post(path, json={}), 60)
    print(f"\nPostgreSQL back: verify answered 200 again after {took:.1f} s")


async def test_redis_down_sign_in_answers_503_then_recovers(own_mesh: OwnMesh) -> None:
    email = f"ops-{uuid.uuid4().hex[:8]}@example.com"
    await create_admin(own_mesh.postgres.url, email, "Ops", PASSWORD)
    body = {"email": email, "password": PASSWORD}
    async with httpx.AsyncClient(base_url=own_mesh.gateway, timeout=30) as client:
        assert (await client.post("/v1/auth/login", json=body)).status_code == 200
        own_mesh.redis.stop()
        try:
            answers = [await client.post("/v1/auth/login", json=body) for _ in range(DURING)]
        finally:
            own_mesh.redis.start()
        _assert_unavailable(answers)
        took = await _until_ok(lambda: client.post("/v1/auth/login", json=body), 60)
    print(f"\nRedis back: sign-in answered 200 again after {took:.1f} s")


async def test_only_connection_failures_count_as_outages(fresh_database: str) -> None:
    """A bad statement, a cancelled one or an OSError of our own code stays INTERNAL (it is a bug to fix)."""
    conn = await asyncpg.connect(fresh_database)
    try:
        for statement in ("SELECT * FROM no_such_table", "SET statement_timeout = 1; SELECT pg_sleep(1)"):
            try:
                await conn.execute(statement)
            except asyncpg.PostgresError as exc:
                assert as_unavailable(exc) is None, statement
            else:
                raise AssertionError(f"{statement} did not fail")
    finally:
        await conn.close()
    assert as_unavailable(FileNotFoundError("our own file")) is None
    try:
        await asyncpg.connect(f"postgresql://127.0.0.1:{free_port()}/x")
    except OSError as exc:
        outage = as_unavailable(exc)
        assert outage is not None and outage.metadata == {"dependency": "database"}
    else:
        raise AssertionError("connected to a closed port")
