"""VerifyToken end to end through Envoy (REST and native gRPC) against real PostgreSQL and Redis."""

import asyncio
import uuid

import grpc
import httpx

from tests.scan.conftest import Catalog
from tests.scan.helpers import factor, forge, metric, metrics_text, verify
from tests.support import json_reason
from voketag.scan.v1 import scan_service_pb2 as pb
from voketag.scan.v1 import scan_service_pb2_grpc as rpc


async def test_genuine_token_is_authentic_with_facts(client: httpx.AsyncClient, catalog: Catalog) -> None:
    product = await catalog.product()
    reply = await verify(client, product["token"])
    assert reply["verdict"] == "VERDICT_AUTHENTIC"
    assert reply["product"]["serial"] == str(product["serial"])
    assert reply["product"]["name"] == "Chrono Watch"
    assert reply["batch"]["state"] == "BATCH_STATE_CREATED"
    # A public answer: no internal ids (the fields stay empty, see the contract).
    assert reply["product"]["productId"] == reply["batch"]["batchId"] == reply["product"]["externalId"] == ""
    assert reply["anchor"]["state"] == "ANCHOR_STATE_PENDING"
    assert reply["scanCount"] == "1"
    assert reply["firstScannedAt"] == reply["scannedAt"]
    assert int(reply["ledgerSequence"]) >= 1
    assert [f["kind"].removeprefix("RISK_FACTOR_KIND_") for f in reply["factors"]] == [
        "TOKEN_VALIDITY",
        "SCAN_COUNT",
        "DISTINCT_DEVICES",
        "GEO_DISPERSION",
        "DEVICE_VELOCITY",
        "LIFECYCLE",
        "FRAUD_REPORTS",
    ]
    second = await verify(client, product["token"].lower())
    assert second["scanCount"] == "2"
    assert second["firstScannedAt"] == reply["firstScannedAt"]


async def test_anchored_batch_links_its_proof(client: httpx.AsyncClient, catalog: Catalog) -> None:
    product = await catalog.product(state="ANCHORED")
    reply = await verify(client, product["token"])
    assert reply["anchor"]["state"] == "ANCHOR_STATE_ANCHORED"
    assert reply["anchor"]["proofUrl"] == f"/v1/merkle/proof?token={product['token']}"


async def test_anchoring_facts_come_from_the_anchor_records(client: httpx.AsyncClient, catalog: Catalog) -> None:
    product = await catalog.product(state="ANCHORED")
    tx_hash = "0x" + uuid.uuid4().hex * 2
    async with catalog.pool.acquire() as conn, conn.transaction():
        aggregation = await conn.fetchval(
            """INSERT INTO anchor_aggregations (chain_id, sender, nonce, root, leaves, size, state, tx_hash,
                                               block_number, confirmations, anchored_at)
               VALUES (31337, $1, 0, $2, $2, 1, 'ANCHORED', $3, 42, 3, now()) RETURNING id""",
            f"0x{uuid.uuid4().hex}",
            bytes(32),
            tx_hash,
        )
        await conn.execute(
            """INSERT INTO anchor_records (batch_id, factory_id, state, aggregation_id, anchored_at)
               SELECT id, factory_id, 'ANCHORED', $2, now() FROM batches WHERE id = $1""",
            uuid.UUID(str(product["batch_id"])),
            aggregation,
        )
    anchor = (await verify(client, product["token"]))["anchor"]
    assert (anchor["chainId"], anchor["txHash"], anchor["blockNumber"], anchor["confirmations"]) == (
        "31337",
        tx_hash,
        "42",
        3,
    )
    assert anchor["anchoredAt"]


async def test_forged_token_is_invalid_not_an_error(client: httpx.AsyncClient, catalog: Catalog) -> None:
    token = (await catalog.product())["token"]
    reply = await verify(client, forge(token))
    assert reply["verdict"] == "VERDICT_INVALID"
    assert reply["scanCount"] == "0"
    assert "product" not in reply or not reply["product"]
    assert factor(reply, "TOKEN_VALIDITY")["value"] == 0


async def test_malformed_token_is_invalid_argument(client: httpx.AsyncClient) -> None:
    reply = await client.post("/api/verify/ABC", json={})
    assert reply.status_code == 400
    assert json_reason(reply.content) == "TOKEN_MALFORMED"


async def test_bad_location_names_the_field(client: httpx.AsyncClient, catalog: Catalog) -> None:
    token = (await catalog.product())["token"]
    reply = await client.post(f"/api/verify/{token}", json={"location": {"latitude": 95, "longitude": 1}})
    assert reply.status_code == 400
    assert "location.latitude" in reply.text


async def test_revoked_and_recalled_products(client: httpx.AsyncClient, catalog: Catalog) -> None:
    recalled = await catalog.product(
        lifecycle="RECALLED", reason="QA ticket 4711", public_reason="battery may overheat"
    )
    reply = await verify(client, recalled["token"])
    assert "4711" not in reply["message"] and reply["product"]["lifecycleReason"] == "battery may overheat"
    assert reply["verdict"] == "VERDICT_REVOKED"
    assert reply["product"]["lifecycle"] == "LIFECYCLE_STATE_RECALLED"
    assert reply["message"].startswith("This product was recalled by the brand")
    assert "4711" not in str(reply)
    pending = await catalog.product(lifecycle="PENDING_RELEASE")
    reply = await verify(client, pending["token"])
    assert reply["verdict"] == "VERDICT_SUSPICIOUS"
    assert factor(reply, "LIFECYCLE")["value"] == 1


async def test_public_answers_carry_no_internal_facts(client: httpx.AsyncClient, catalog: Catalog, pool) -> None:
    revoked = await catalog.product(lifecycle="RELEASED", reason="batch note: shipped to warehouse 7")
    await pool.execute(
        "UPDATE products SET lifecycle = 'REVOKED', lifecycle_reason = $2, external_id = $3 WHERE id = $1::uuid",
        revoked["product_id"],
        "withdrawn by the brand: mission test stolen",
        "ERP-4711",
    )
    reply = await client.post(f"/api/verify/{revoked['token']}", json={})
    page = await client.get(f"/r/{revoked['token']}")
    assert reply.json()["verdict"] == "VERDICT_REVOKED"
    assert reply.json()["message"] == "This code was withdrawn by the brand: do not rely on it."
    assert page.status_code == 410 and "Code withdrawn" in page.text
    for body in (reply.text, page.text):
        for internal in (revoked["product_id"], revoked["batch_id"], "ERP-4711", "mission test stolen", "warehouse 7"):
            assert internal not in body


async def test_verify_over_native_grpc(channel: grpc.aio.Channel, catalog: Catalog) -> None:
    product = await catalog.product()
    stub = rpc.ScanServiceStub(channel)
    reply = await stub.VerifyToken(pb.VerifyTokenRequest(token=product["token"]), timeout=10)
    assert reply.verdict == 1  # VERDICT_AUTHENTIC
    assert reply.product.serial == product["serial"]


async def test_fifty_concurrent_scans_of_one_code_count_exactly(make_client, catalog: Catalog) -> None:
    product = await catalog.product()
    clients = [make_client() for _ in range(5)]
    replies = await asyncio.gather(*(verify(clients[i % 5], product["token"]) for i in range(50)))
    assert sorted(int(r["scanCount"]) for r in replies) == list(range(1, 51))
    assert len({r["ledgerSequence"] for r in replies}) == 50
    for made in clients:
        await made.aclose()


async def test_metrics_on_the_service_endpoint(client: httpx.AsyncClient, catalog: Catalog, mesh) -> None:
    port = mesh.metrics_ports["scan"]
    authentic = metric(port, 'scan_verdicts_total{bot="no",verdict="AUTHENTIC"}')
    scored = metric(port, "scan_risk_score_count")
    timed = metric(port, "scan_verify_seconds_count")
    await verify(client, (await catalog.product())["token"])
    assert metric(port, 'scan_verdicts_total{bot="no",verdict="AUTHENTIC"}') == authentic + 1
    assert metric(port, "scan_risk_score_count") == scored + 1
    assert metric(port, "scan_verify_seconds_count") == timed + 1
    text = metrics_text(port)
    for name in ("scan_rate_limited_total", "scan_redis_unavailable_total", "scan_ledger_sealed_total"):
        assert f"# TYPE {name}" in text
