"""The AnchorService through Envoy (REST and gRPC) on the session mesh, end to end with the verifier CLI."""

import asyncio
import base64
import json
import subprocess
import sys
import time

import asyncpg
import grpc
import httpx
import pytest

from tests.support import error_reason, json_reason
from voketag.anchor.v1 import anchor_service_pb2 as pb
from voketag.anchor.v1 import anchor_service_pb2_grpc as rpc
from voketag.auth import Role
from voketag.tokens import KeyRing

from .conftest import SENDER, make_batch


@pytest.fixture
async def client(gateway):
    async with httpx.AsyncClient(base_url=gateway, timeout=30) as session:
        yield session


@pytest.fixture
async def db(deps):
    conn = await asyncpg.connect(deps["DATABASE_URL"])
    yield conn
    await conn.close()


def auth(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


async def wait_state(client: httpx.AsyncClient, token: str, batch_id: str, state: str, timeout_s: float = 60) -> dict:
    deadline = time.monotonic() + timeout_s
    while True:
        reply = await client.get(f"/v1/anchor/{batch_id}", headers=auth(token))
        assert reply.status_code == 200, reply.text
        anchor = reply.json()["anchor"]
        if anchor["state"] == state:
            return anchor
        assert time.monotonic() < deadline, f"still {anchor['state']}: {anchor}"
        await asyncio.sleep(0.3)


async def verify_cli(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "anchor_svc.verify_cli", *args]
    return await asyncio.to_thread(subprocess.run, command, capture_output=True, text=True, timeout=60)


async def test_batch_to_anchored_to_a_proof_the_cli_verifies_on_chain(client, admin_token, mesh, deps, db, tmp_path):
    batch_id = await make_batch(db, 700)
    reply = await client.post("/v1/anchor", json={"batchId": batch_id}, headers=auth(admin_token))
    assert reply.status_code == 200, reply.text
    assert reply.json()["anchor"]["state"] in ("ANCHOR_STATE_PENDING", "ANCHOR_STATE_SUBMITTED")
    # Idempotent: the same record again.
    again = await client.post("/v1/anchor", json={"batchId": batch_id}, headers=auth(admin_token))
    assert (
        again.json()["anchor"]["batchId"] == batch_id
        and again.json()["anchor"]["createdAt"] == reply.json()["anchor"]["createdAt"]
    )

    anchor = await wait_state(client, admin_token, batch_id, "ANCHOR_STATE_ANCHORED")
    assert anchor["txHash"].startswith("0x") and int(anchor["confirmations"]) >= anchor["requiredConfirmations"]
    assert anchor["sender"] == SENDER and anchor["chainId"] == "31337" and anchor["batchSize"] == "700"
    assert await db.fetchval("SELECT state FROM batches WHERE id = $1", batch_id) == "ANCHORED"
    event = await db.fetchrow("SELECT type, payload FROM batch_events WHERE batch_id = $1", batch_id)
    assert event["type"] == "batch.anchored" and json.loads(event["payload"])["tx_hash"] == anchor["txHash"]

    verified = (await client.get(f"/v1/verify/{batch_id}")).json()
    assert verified["ok"] is True and verified["txFound"] and verified["senderMatches"] and verified["dataMatches"]

    product = await db.fetchrow(
        "SELECT id::text AS id, serial FROM products WHERE batch_id = $1 AND leaf_index = 533", batch_id
    )
    token = KeyRing.from_config(mesh.token_keys, 1).issue(product["serial"], 1)
    # The public asks by token (what the holder of the product has); staff may ask by id: the same bundle.
    proof = await client.get("/v1/merkle/proof", params={"token": token})
    assert proof.status_code == 200, proof.text
    by_id = await client.get(f"/v1/merkle/proof/{product['id']}", headers=auth(admin_token))
    assert by_id.status_code == 200 and by_id.json() == proof.json()
    bundle = proof.json()["proof"]
    assert bundle["txHash"] == anchor["txHash"] and bundle["leafIndex"] == "533"
    path = tmp_path / "bundle.json"
    path.write_text(proof.text)

    rpc_url = deps["ETH_RPC_URL"]
    done = await verify_cli(str(path), "--rpc", rpc_url, "--sender", SENDER, "--token", token, "--confirmations", "3")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "VERIFIED" in done.stdout and "FAIL" not in done.stdout
    from_url = await verify_cli(f"{client.base_url}/v1/merkle/proof?token={token}", "--rpc", rpc_url)
    assert from_url.returncode == 0, from_url.stdout

    tampered = json.loads(proof.text)
    first = bytearray(base64.b64decode(tampered["proof"]["batchPath"][0]))
    first[0] ^= 1
    tampered["proof"]["batchPath"][0] = base64.b64encode(bytes(first)).decode()
    path.write_text(json.dumps(tampered))
    bad = await verify_cli(str(path), "--rpc", rpc_url)
    assert bad.returncode == 1 and "FAIL batch path" in bad.stdout and "NOT VERIFIED" in bad.stdout

    forged = json.loads(proof.text)
    forged["proof"]["aggregateRoot"] = base64.b64encode(bytes(32)).decode()
    path.write_text(json.dumps(forged))
    assert (await verify_cli(str(path), "--rpc", rpc_url)).returncode == 1
    path.write_text(proof.text)
    wrong = await verify_cli(str(path), "--sender", "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", "--rpc", rpc_url)
    assert wrong.returncode == 1 and "FAIL expected sender" in wrong.stdout
    assert (await verify_cli(str(tmp_path / "missing.json"))).returncode == 2


async def test_access_rules_and_bad_input(client, admin_token, signer, db):
    batch_id = await make_batch(db, 3)
    factory_id = await db.fetchval("SELECT factory_id::text FROM batches WHERE id = $1", batch_id)
    own = signer.mint("op-1", Role.OPERATOR, factory_id)
    other = signer.mint("op-2", Role.OPERATOR, "0f8fad5b-d9cb-469f-a165-70867728950e")
    auditor = signer.mint("aud-1", Role.AUDITOR)

    assert (await client.post("/v1/anchor", json={"batchId": batch_id})).status_code == 401
    assert (await client.post("/v1/anchor", json={"batchId": batch_id}, headers=auth(auditor))).status_code == 403
    hidden = await client.post("/v1/anchor", json={"batchId": batch_id}, headers=auth(other))
    assert hidden.status_code == 404 and json_reason(hidden.content) == "BATCH_NOT_FOUND"
    assert await db.fetchval("SELECT count(*) FROM anchor_records WHERE batch_id = $1", batch_id) == 0
    created = await client.post("/v1/anchor", json={"batchId": batch_id}, headers=auth(own))
    assert created.status_code == 200
    assert (
        await db.fetchval("SELECT count(*) FROM audit_log WHERE object_id = $1 AND action LIKE '%/Anchor'", batch_id)
        == 1
    )
    assert (await client.get(f"/v1/anchor/{batch_id}", headers=auth(other))).status_code == 404
    assert (await client.get(f"/v1/anchor/{batch_id}", headers=auth(auditor))).status_code == 200

    bad = await client.get("/v1/anchor/not-a-uuid", headers=auth(admin_token))
    assert bad.status_code == 400 and json_reason(bad.content) == "INVALID_ID"
    missing = await client.get("/v1/merkle/proof/0f8fad5b-d9cb-469f-a165-70867728950e", headers=auth(admin_token))
    assert missing.status_code == 404 and json_reason(missing.content) == "PRODUCT_NOT_FOUND"
    unknown = await client.get("/v1/verify/0f8fad5b-d9cb-469f-a165-70867728950e")
    assert unknown.status_code == 404


async def test_proof_of_a_batch_not_yet_anchored_is_a_failed_precondition(client, mesh, db, admin_token):
    batch_id = await make_batch(db, 2)
    await db.execute(
        "INSERT INTO anchor_records (batch_id, factory_id) SELECT id, factory_id FROM batches WHERE id = $1", batch_id
    )
    product_id = await db.fetchval("SELECT id::text FROM products WHERE batch_id = $1 LIMIT 1", batch_id)
    async with grpc.aio.insecure_channel(f"127.0.0.1:{mesh.port}") as channel:
        stub = rpc.AnchorServiceStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.GetMerkleProof(pb.GetMerkleProofRequest(id=product_id), metadata=auth(admin_token).items())
        assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert error_reason(caught.value) == "NOT_ANCHORED"
        verdict = await stub.VerifyAnchor(pb.VerifyAnchorRequest(batch_id=batch_id))
        assert not verdict.ok and "not submitted" in verdict.explanation


async def test_proofs_are_public_by_token_and_for_staff_by_id(client, mesh, db, admin_token, signer):
    """Product ids are predictable: by id a proof is for the product's factory and the staff who see all;
    anyone else needs the token printed on the product."""
    batch_id = await make_batch(db, 3)
    await db.execute(
        "INSERT INTO anchor_records (batch_id, factory_id) SELECT id, factory_id FROM batches WHERE id = $1", batch_id
    )
    product = await db.fetchrow(
        "SELECT p.id::text AS id, p.serial, b.factory_id::text AS factory_id FROM products p "
        "JOIN batches b ON b.id = p.batch_id WHERE p.batch_id = $1 AND p.leaf_index = 1",
        batch_id,
    )
    ring = KeyRing.from_config(mesh.token_keys, 1)
    token = ring.issue(product["serial"], 1)
    by_id = f"/v1/merkle/proof/{product['id']}"
    other = signer.mint("op-x", Role.OPERATOR, "0f8fad5b-d9cb-469f-a165-70867728950e")
    own = signer.mint("op-own", Role.OPERATOR, product["factory_id"])

    anonymous = await client.get(by_id)
    assert anonymous.status_code == 401 and json_reason(anonymous.content) == "CREDENTIALS_MISSING"
    hidden = await client.get(by_id, headers=auth(other))
    assert hidden.status_code == 404 and json_reason(hidden.content) == "PRODUCT_NOT_FOUND"
    # Past the access rules, the batch's state decides (it is not anchored yet).
    for headers in (auth(own), auth(admin_token)):
        reply = await client.get(by_id, headers=headers)
        assert reply.status_code == 400 and json_reason(reply.content) == "NOT_ANCHORED", reply.text
    public = await client.get("/v1/merkle/proof", params={"token": token.lower()})
    assert public.status_code == 400 and json_reason(public.content) == "NOT_ANCHORED"

    forged = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    unknown = ring.issue(2**40, 1)  # authentic tag, no such product
    for guess in (forged, unknown, "NOT-A-TOKEN"):
        reply = await client.get("/v1/merkle/proof", params={"token": guess})
        assert reply.status_code == 404 and json_reason(reply.content) == "PRODUCT_NOT_FOUND", (guess, reply.text)
    empty = await client.get("/v1/merkle/proof")
    assert empty.status_code == 400 and json_reason(empty.content) == "INVALID_FIELD"


async def test_list_pages_and_scopes(client, admin_token, signer, db):
    batch_ids = [await make_batch(db, 1) for _ in range(3)]
    for batch_id in batch_ids:
        await db.execute(
            "INSERT INTO anchor_records (batch_id, factory_id) SELECT id, factory_id FROM batches WHERE id = $1",
            batch_id,
        )
    seen, token = [], ""
    while True:
        params = {"pageSize": 2, **({"pageToken": token} if token else {})}
        page = (await client.get("/v1/anchors", params=params, headers=auth(admin_token))).json()
        seen += [a["batchId"] for a in page["anchors"]]
        token = page["nextPageToken"]
        if not token:
            break
    assert set(batch_ids) <= set(seen) and len(seen) == len(set(seen))
    factory_id = await db.fetchval("SELECT factory_id::text FROM batches WHERE id = $1", batch_ids[0])
    operator = signer.mint("op-3", Role.OPERATOR, factory_id)
    mine = (await client.get("/v1/anchors", headers=auth(operator))).json()
    assert [a["batchId"] for a in mine["anchors"]] == [batch_ids[0]]
    bad = await client.get("/v1/anchors", params={"pageToken": "nonsense"}, headers=auth(admin_token))
    assert bad.status_code == 400 and json_reason(bad.content) == "PAGE_TOKEN_INVALID"


async def test_retry_requeues_only_failed_anchors(client, admin_token, signer, db):
    batch_id = await make_batch(db, 4)
    assert (await client.post("/v1/anchor", json={"batchId": batch_id}, headers=auth(admin_token))).status_code == 200
    early = await client.post(f"/v1/anchor/{batch_id}:retry", json={}, headers=auth(admin_token))
    assert early.status_code == 400 and json_reason(early.content) == "ANCHOR_NOT_FAILED"
    await wait_state(client, admin_token, batch_id, "ANCHOR_STATE_ANCHORED")

    failed_id = await make_batch(db, 4)
    await db.execute(
        """INSERT INTO anchor_records (batch_id, factory_id, state, attempts, last_error)
           SELECT id, factory_id, 'FAILED', 9, 'sealing failed' FROM batches WHERE id = $1""",
        failed_id,
    )
    operator = signer.mint(
        "op-4", Role.OPERATOR, await db.fetchval("SELECT factory_id::text FROM batches WHERE id = $1", failed_id)
    )
    assert (await client.post(f"/v1/anchor/{failed_id}:retry", json={}, headers=auth(operator))).status_code == 403
    retried = await client.post(f"/v1/anchor/{failed_id}:retry", json={}, headers=auth(admin_token))
    assert retried.status_code == 200, retried.text
    assert retried.json()["anchor"]["state"] == "ANCHOR_STATE_PENDING" and retried.json()["anchor"]["attempts"] == 0
    await wait_state(client, admin_token, failed_id, "ANCHOR_STATE_ANCHORED")
