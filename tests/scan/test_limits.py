"""Rate limits (429 + Retry-After through Envoy), no storage work for forged tokens, Redis down -> fail open."""

import asyncio
import json
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import httpx
import pytest
import redis.asyncio as redis

from devmesh.mesh import Child, EmbeddedRedis, Mesh, free_port, port_open, wait_until
from tests.scan.conftest import Catalog
from tests.scan.helpers import factor, forge, metric, verify
from tests.support import json_reason
from voketag.scan.v1 import scan_service_pb2 as pb
from voketag.scan.v1 import scan_service_pb2_grpc as rpc


async def test_per_ip_limit_answers_429_with_retry_after(
    client: httpx.AsyncClient, catalog: Catalog, mesh: Mesh
) -> None:
    forged = forge((await catalog.product())["token"])
    before = metric(mesh.metrics_ports["scan"], "scan_rate_limited_total")
    refused = None
    for _ in range(40):  # burst 300: at most 400 requests, 10 at a time
        replies = await asyncio.gather(*(client.post(f"/api/verify/{forged}", json={}) for _ in range(10)))
        refused = next((r for r in replies if r.status_code == 429), None)
        if refused is not None:
            break
    assert refused is not None, "the per-IP limit never answered 429"
    assert json_reason(refused.content) == "RATE_LIMITED"
    assert int(refused.headers["retry-after"]) >= 1
    assert "grpc-status" not in refused.headers
    assert metric(mesh.metrics_ports["scan"], "scan_rate_limited_total") > before
    # The limit is per client address: another client is still served.
    other = httpx.AsyncClient(
        base_url=str(client.base_url), transport=httpx.AsyncHTTPTransport(local_address="127.0.9.9")
    )
    async with other:
        assert (await other.post(f"/api/verify/{forged}", json={})).status_code == 200


async def test_one_client_flooding_a_code_limits_only_itself(make_client, catalog: Catalog) -> None:
    token = (await catalog.product())["token"]
    flooder = make_client()
    statuses = []
    started = time.monotonic()
    for i in range(90):  # the code's limit per client network: burst 60, whatever device hint it claims
        reply = await flooder.post(f"/api/verify/{token}", json={"deviceHint": f"d{i}"})
        statuses.append(reply.status_code)
        if reply.status_code == 429:
            assert reply.json()["details"][0]["metadata"]["limit"] == "code"
            break
    # Burst 60, then one more per second (LIMIT_CODE): a slow machine may earn a few during the flood.
    earned = int(time.monotonic() - started) + 1
    assert statuses[-1] == 429 and set(statuses[:-1]) == {200} and 61 <= len(statuses) <= 61 + earned
    accepted, refused = len(statuses) - 1, 1
    for _ in range(3):  # refused attempts are counted for the code
        status = (await flooder.post(f"/api/verify/{token}", json={"deviceHint": "again"})).status_code
        accepted, refused = accepted + (status == 200), refused + (status == 429)
    assert refused >= 2
    # The flooder's browser gets an HTML page saying how long to wait, never JSON.
    page = await flooder.get(f"/r/{token}", headers={"accept": "text/html"})
    if page.status_code == 200:  # a token earned meanwhile: the next one is refused
        accepted += 1
        page = await flooder.get(f"/r/{token}", headers={"accept": "text/html"})
    refused += 1
    assert page.status_code == 429 and page.headers["content-type"].startswith("text/html")
    wait = int(page.headers["retry-after"])
    assert wait >= 1 and f"Try again in {wait} seconds" in page.text
    assert "x-voketag-page" not in page.headers and "x-voketag-retry-after" not in page.headers
    # Another client (other address, other device) still gets a verdict, and the flood is in the factors.
    other = await verify(make_client(), token, {"deviceHint": "someone-else"})
    assert other["verdict"] == "VERDICT_AUTHENTIC"
    scans = factor(other, "SCAN_COUNT")
    assert scans["value"] == accepted + 1 and scans["contribution"] == 20
    assert f"{refused} more refused by rate limits" in scans["explanation"]
    assert (await make_client().get(f"/r/{token}")).status_code == 200


async def test_forged_tokens_touch_no_storage(
    client: httpx.AsyncClient, catalog: Catalog, mesh: Mesh, deps, pool
) -> None:
    product = await catalog.product()
    forged = forge(product["token"])
    port = mesh.metrics_ports["scan"]
    kv = redis.Redis.from_url(deps["REDIS_URL"])
    queries = metric(port, "scan_db_queries_total")
    for _ in range(20):
        assert (await verify(client, forged))["verdict"] == "VERDICT_INVALID"
    assert metric(port, "scan_db_queries_total") == queries
    assert await kv.keys(f"scan:code:{product['serial']}:*") == []
    assert await kv.keys(f"scan:rl:code:{product['serial']}") == []
    assert (
        await pool.fetchval("SELECT count(*) FROM scan_counters WHERE product_id = $1::uuid", product["product_id"])
        == 0
    )
    # The counter does move for a genuine token (so this test can fail).
    await verify(client, product["token"])
    assert metric(port, "scan_db_queries_total") > queries
    assert await kv.keys(f"scan:code:{product['serial']}:*") != []
    await kv.aclose()


@pytest.fixture
def own_scan_service(mesh: Mesh, deps, tmp_path: Path) -> Iterator[tuple[int, int, EmbeddedRedis]]:
    """A scan service of its own with its own Redis (the session's Redis keeps running)."""
    kv = EmbeddedRedis(tmp_path / "redis", free_port())
    grpc_port, metrics_port = free_port(), free_port()
    env = {
        **os.environ,
        "DATABASE_URL": deps["DATABASE_URL"],
        "REDIS_URL": kv.url,
        "TOKEN_KEYS": json.dumps(mesh.token_keys),
        "GRPC_PORT": str(grpc_port),
        "METRICS_PORT": str(metrics_port),
        "REDIS_RETRY_AFTER_S": "0.2",
    }
    service = Child("scan-own", [sys.executable, "-m", "scan_svc"], env, tmp_path / "scan.log")
    service.start()
    try:
        wait_until(lambda: port_open(grpc_port), 30, "own scan service")
        yield grpc_port, metrics_port, kv
    finally:
        service.stop()
        kv.stop()


async def test_redis_down_verification_fails_open(own_scan_service, catalog: Catalog) -> None:
    grpc_port, metrics_port, kv = own_scan_service
    token = (await catalog.product())["token"]
    async with grpc.aio.insecure_channel(f"127.0.0.1:{grpc_port}") as channel:
        stub = rpc.ScanServiceStub(channel)
        up = await stub.VerifyToken(pb.VerifyTokenRequest(token=token), timeout=10)
        assert up.factors[2].available and up.factors[4].available
        kv.stop()
        down = await stub.VerifyToken(pb.VerifyTokenRequest(token=token), timeout=10)
        assert down.verdict == 1 and down.scan_count == 2
        assert not down.factors[2].available and not down.factors[4].available
        assert "unreachable" in down.factors[2].explanation
        assert metric(metrics_port, "scan_redis_unavailable_total") >= 1
        kv.start()
        await asyncio.sleep(0.3)
        again = await stub.VerifyToken(pb.VerifyTokenRequest(token=token), timeout=10)
        assert again.factors[2].available and again.scan_count == 3
