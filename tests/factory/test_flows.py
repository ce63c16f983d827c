"""Factory flows through Envoy (REST) against the session mesh: lifecycle answers that agree with the scan
service, public reasons, token views, a batch's own anchor facts, and products added to an open batch
verified against the chain."""

import asyncio
import json
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from devmesh.mesh import Mesh
from tests.factory.conftest import Callers
from tests.support import json_reason
from voketag.tokens import KeyRing


@pytest.fixture
async def client(gateway: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=gateway, timeout=60) as session:
        yield session


def auth(md: tuple[tuple[str, str], ...]) -> dict[str, str]:
    return {md[0][0]: md[0][1]}


async def create_batch(client: httpx.AsyncClient, md, quantity: int = 3, **fields: object) -> dict:
    body = {"requestId": str(uuid.uuid4()), "sku": "FLOW-1", "productLine": "Kettles", "quantity": quantity, **fields}
    reply = await client.post("/v1/batches", json=body, headers=auth(md))
    assert reply.status_code == 200, reply.text
    return reply.json()["batch"]


async def products(client: httpx.AsyncClient, md, batch_id: str, view: str = "PRODUCT_VIEW_FULL") -> list[dict]:
    reply = await client.get(f"/v1/batches/{batch_id}/products", params={"view": view}, headers=auth(md))
    assert reply.status_code == 200, reply.text
    return list(reply.json()["products"])


async def verify(client: httpx.AsyncClient, token: str) -> dict:
    reply = await client.post(f"/api/verify/{token}", json={})
    assert reply.status_code == 200, reply.text
    return dict(reply.json())


async def poll(client: httpx.AsyncClient, md, batch_id: str, done, timeout_s: float = 90) -> dict:
    """GET the batch until ``done(batch)``; the anchor worker and the relay move it on their own."""
    deadline = time.monotonic() + timeout_s
    while True:
        reply = await client.get(f"/v1/batches/{batch_id}", headers=auth(md))
        assert reply.status_code == 200, reply.text
        batch = reply.json()["batch"]
        if done(batch):
            return dict(batch)
        assert time.monotonic() < deadline, f"batch never got there: {batch}"
        await asyncio.sleep(0.3)


async def test_revoked_then_recalled_product_is_recalled_in_factory_and_scan(
    client: httpx.AsyncClient, callers: Callers
) -> None:
    batch = await create_batch(client, callers.operator_a)
    first, second, _ = await products(client, callers.operator_a, batch["id"])
    revoked = await client.post(
        f"/v1/products/{first['id']}:revoke", json={"reason": "pallet 7 stolen"}, headers=auth(callers.operator_a)
    )
    assert revoked.status_code == 200 and revoked.json()["product"]["lifecycle"] == "LIFECYCLE_STATE_REVOKED"
    # The revoked code alone: the consumer gets the generic notice, never the internal reason.
    alone = await verify(client, first["token"])
    assert alone["verdict"] == "VERDICT_REVOKED" and alone["product"]["lifecycle"] == "LIFECYCLE_STATE_REVOKED"
    assert alone["product"]["lifecycleReason"] == "The brand has withdrawn this code."
    assert "stolen" not in json.dumps(alone)

    recalled = await client.post(
        f"/v1/batches/{batch['id']}:recall",
        json={"reason": "supplier QA ticket 4711", "publicReason": "The base may overheat: return it to the shop."},
        headers=auth(callers.operator_a),
    )
    assert recalled.status_code == 200, recalled.text
    assert recalled.json()["batch"]["publicReason"] == "The base may overheat: return it to the shop."

    for product in (first, second):
        got = await client.get(f"/v1/products/{product['id']}", headers=auth(callers.operator_a))
        factory_state = got.json()["product"]["lifecycle"]
        scanned = await verify(client, product["token"])
        assert factory_state == scanned["product"]["lifecycle"] == "LIFECYCLE_STATE_RECALLED"
        assert scanned["verdict"] == "VERDICT_REVOKED"
        assert scanned["product"]["lifecycleReason"] == "The base may overheat: return it to the shop."
        assert scanned["batch"]["lifecycleReason"] == "The base may overheat: return it to the shop."
        text = json.dumps(scanned)
        assert "4711" not in text and "stolen" not in text
        page = await client.get(f"/r/{product['token']}")
        assert "The base may overheat" in page.text and "4711" not in page.text and "stolen" not in page.text
    # Staff still read the internal reasons.
    staff = await client.get(f"/v1/batches/{batch['id']}", headers=auth(callers.auditor))
    assert staff.json()["batch"]["lifecycleReason"] == "supplier QA ticket 4711"
    listed = await client.get(
        f"/v1/batches/{batch['id']}/products",
        params={"lifecycle": "LIFECYCLE_STATE_RECALLED"},
        headers=auth(callers.operator_a),
    )
    assert len(listed.json()["products"]) == 3


async def test_a_public_reason_is_checked_and_changes_nothing_when_too_long(
    client: httpx.AsyncClient, callers: Callers
) -> None:
    batch = await create_batch(client, callers.operator_a)
    refused = await client.post(
        f"/v1/batches/{batch['id']}:revoke",
        json={"reason": "leak", "publicReason": "x" * 501},
        headers=auth(callers.operator_a),
    )
    assert refused.status_code == 400 and json_reason(refused.content) == "INVALID_FIELD"
    assert "public_reason" in refused.text
    again = await client.get(f"/v1/batches/{batch['id']}", headers=auth(callers.operator_a))
    assert again.json()["batch"]["lifecycle"] == "LIFECYCLE_STATE_RELEASED"


async def test_tokens_only_for_the_label_printers_on_request_and_audited(
    client: httpx.AsyncClient, callers: Callers, db: asyncpg.Pool, mesh: Mesh
) -> None:
    batch = await create_batch(client, callers.operator_a, quantity=4)
    keys = KeyRing.from_config(mesh.token_keys, 1)
    for reader in (callers.admin, callers.operator_a, callers.service_a):
        full = await products(client, reader, batch["id"])
        assert all(keys.verify(product["token"]).serial == int(product["serial"]) for product in full)
        assert all(product["link"].endswith("/R/" + product["token"]) for product in full)
    for reader in (callers.admin, callers.operator_a, callers.auditor):
        basic = await products(client, reader, batch["id"], view="PRODUCT_VIEW_BASIC")
        default = (await client.get(f"/v1/batches/{batch['id']}/products", headers=auth(reader))).json()["products"]
        assert basic == default and [product["tokenFingerprint"] for product in basic] == [
            product["tokenFingerprint"] for product in full
        ]
        assert not any(product.get("token") or product.get("link") for product in basic)
    product_id = full[0]["id"]
    for path, params in (
        (f"/v1/batches/{batch['id']}/products", {"view": "PRODUCT_VIEW_FULL"}),
        (f"/v1/products/{product_id}", {"view": "PRODUCT_VIEW_FULL"}),
        ("/v1/export/csv", {"batch_id": batch["id"], "view": "PRODUCT_VIEW_FULL"}),
    ):
        denied = await client.get(path, params=params, headers=auth(callers.auditor))
        assert denied.status_code == 403 and json_reason(denied.content) == "ROLE_FORBIDDEN", path
        foreign = await client.get(path, params=params, headers=auth(callers.operator_b))
        assert foreign.status_code == 404, path
    one = await client.get(
        f"/v1/products/{product_id}", params={"view": "PRODUCT_VIEW_FULL"}, headers=auth(callers.service_a)
    )
    assert one.json()["product"]["token"] == full[0]["token"]
    exported = await client.get(
        "/v1/export/csv", params={"batch_id": batch["id"], "view": "PRODUCT_VIEW_FULL"}, headers=auth(callers.admin)
    )
    assert full[3]["token"] in exported.text

    reads = await db.fetch(
        """SELECT actor, action, details FROM audit_log
           WHERE object_type = 'batch' AND object_id = $1 AND details ? 'tokens_read' ORDER BY seq""",
        batch["id"],
    )
    assert [
        (row["actor"], row["action"].rsplit("/", 1)[-1], json.loads(row["details"])["tokens_read"]) for row in reads
    ] == [
        ("admin-1", "ListProducts", 4),
        ("op-a", "ListProducts", 4),
        ("mes-a", "ListProducts", 4),
        ("mes-a", "GetProduct", 1),
        ("admin-1", "ExportCsv", 4),
    ]


async def verify_cli(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "anchor_svc.verify_cli", *args]
    return await asyncio.to_thread(subprocess.run, command, capture_output=True, text=True, timeout=60)


async def test_open_batch_takes_products_until_sealed_and_the_added_product_verifies_on_chain(
    client: httpx.AsyncClient, callers: Callers, db: asyncpg.Pool, deps: dict[str, str], tmp_path: Path
) -> None:
    md = callers.operator_a
    batch = await create_batch(client, md, quantity=5, openFor="3600s")
    assert batch["state"] == "BATCH_STATE_CREATED" and "sealAt" in batch
    added = await client.post(
        "/v1/products",
        json={"requestId": str(uuid.uuid4()), "batchId": batch["id"], "externalId": "LATE-1"},
        headers=auth(md),
    )
    assert added.status_code == 200, added.text
    product = added.json()["product"]
    assert product["leafIndex"] == "5" and product["token"]
    # Still open: its anchoring request waits in the outbox until the window ends.
    outbox = await db.fetch(
        "SELECT sent_at, not_before > now() AS later FROM anchor_outbox WHERE batch_id = $1", uuid.UUID(batch["id"])
    )
    assert [(row["sent_at"], row["later"]) for row in outbox] == [(None, True)]
    waiting = await client.get(f"/v1/batches/{batch['id']}", headers=auth(md))
    assert waiting.json()["batch"]["state"] == "BATCH_STATE_CREATED"
    assert waiting.json()["batch"]["quantity"] == 6

    sealed = await client.post(f"/v1/batches/{batch['id']}:seal", json={}, headers=auth(md))
    assert sealed.status_code == 200, sealed.text
    late = await client.post(
        "/v1/products", json={"requestId": str(uuid.uuid4()), "batchId": batch["id"]}, headers=auth(md)
    )
    assert late.status_code == 400 and json_reason(late.content) == "BATCH_SEALED"
    # Ask for an urgent aggregation instead of waiting for the anchor interval.
    await poll(client, md, batch["id"], lambda b: b["state"] != "BATCH_STATE_CREATED")
    urgent = await client.post("/v1/anchor", json={"batchId": batch["id"]}, headers=auth(callers.admin))
    assert urgent.status_code == 200, urgent.text
    anchored = await poll(client, md, batch["id"], lambda b: b["anchor"]["state"] == "ANCHOR_STATE_ANCHORED")

    # The batch's own anchor block carries the facts of its anchor record.
    record = (await client.get(f"/v1/anchor/{batch['id']}", headers=auth(md))).json()["anchor"]
    anchor = anchored["anchor"]
    assert anchored["state"] == "BATCH_STATE_ANCHORED"
    assert anchor["txHash"] == record["txHash"] and anchor["txHash"].startswith("0x")
    assert anchor["chainId"] == record["chainId"] == "31337"
    assert anchor["blockNumber"] == record["blockNumber"] != "0"
    assert anchor["batchRoot"] == record["batchRoot"] and anchor["sender"] == record["sender"]
    assert anchor["anchoredAt"] == record["anchoredAt"] and anchor["proofUrl"] == f"/v1/anchor/{batch['id']}"
    assert record["batchSize"] == "6"

    proof = await client.get("/v1/merkle/proof", params={"token": product["token"]})
    assert proof.status_code == 200, proof.text
    assert proof.json()["proof"]["leafIndex"] == "5" and proof.json()["proof"]["batchSize"] == "6"
    path = tmp_path / "bundle.json"
    path.write_text(proof.text)
    done = await verify_cli(str(path), "--rpc", deps["ETH_RPC_URL"], "--token", product["token"])
    assert done.returncode == 0, done.stdout + done.stderr
    assert "NOT VERIFIED" not in done.stdout and "VERIFIED" in done.stdout


async def test_an_open_batch_is_sealed_when_its_window_ends(client: httpx.AsyncClient, callers: Callers) -> None:
    batch = await create_batch(client, callers.operator_a, quantity=2, openFor="1s")
    sealed = await poll(client, callers.operator_a, batch["id"], lambda b: b["state"] != "BATCH_STATE_CREATED")
    assert sealed["state"] in ("BATCH_STATE_ANCHORING", "BATCH_STATE_ANCHORED")
    late = await client.post(
        "/v1/products",
        json={"requestId": str(uuid.uuid4()), "batchId": batch["id"]},
        headers=auth(callers.operator_a),
    )
    assert late.status_code == 400 and json_reason(late.content) == "BATCH_SEALED"


async def test_a_batch_without_a_window_takes_no_products(client: httpx.AsyncClient, callers: Callers) -> None:
    batch = await create_batch(client, callers.operator_a, quantity=2)
    assert "sealAt" not in batch
    late = await client.post(
        "/v1/products",
        json={"requestId": str(uuid.uuid4()), "batchId": batch["id"]},
        headers=auth(callers.operator_a),
    )
    assert late.status_code == 400 and json_reason(late.content) == "BATCH_SEALED"
    sealed = await client.post(f"/v1/batches/{batch['id']}:seal", json={}, headers=auth(callers.operator_a))
    assert sealed.status_code == 200 and sealed.json()["batch"]["quantity"] == 2
