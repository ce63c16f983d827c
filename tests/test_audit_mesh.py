"""One audit chain for the whole mesh: mutations in the admin, factory and anchor services, made through Envoy,
each append an entry (who, what, on which object, under which x-request-id) to the shared hash chain, readable
through the admin service's ListAuditLogs and verified by VerifyAuditLog."""

import itertools
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from devmesh.mesh import Mesh
from voketag.auth import Role, TokenSigner

ADMIN_SUBJECT = "admin-1"  # the subject of the session's admin_token


@pytest.fixture
async def client(gateway: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=gateway, timeout=30) as session:
        yield session


def headers(token: str, request_id: str | None = None) -> dict[str, str]:
    sent = {"authorization": f"Bearer {token}"}
    return sent | {"x-request-id": request_id} if request_id else sent


def new_request_id(what: str) -> str:
    return f"audit-mesh-{what}-{uuid.uuid4().hex}"


def ok(reply: httpx.Response) -> dict[str, Any]:
    assert reply.status_code == 200, reply.text
    return dict(reply.json())


async def only_entry(client: httpx.AsyncClient, token: str, **filters: str) -> dict[str, Any]:
    entries = (ok(await client.get("/v1/admin/audit/logs", params=filters, headers=headers(token))))["entries"]
    assert len(entries) == 1, entries
    return dict(entries[0])


COMPARED = ("actorId", "actorRole", "action", "objectType", "objectId", "requestId", "service", "factoryId", "peer")


def fields(entry: dict[str, Any]) -> dict[str, Any]:
    return {name: entry.get(name, "") for name in (*COMPARED, "details")} | {"resultCode": entry.get("resultCode", 0)}


async def test_admin_factory_and_anchor_mutations_share_one_verified_chain(
    client: httpx.AsyncClient, mesh: Mesh, signer: TokenSigner, admin_token: str
) -> None:
    before = ok(await client.get("/v1/admin/audit/logs:verify", headers=headers(admin_token)))
    assert before["ok"] is True

    # admin_svc: CreateFactory, as admin.
    factory_rid, code = new_request_id("factory"), f"AM-{uuid.uuid4().hex[:8].upper()}"
    body = {"requestId": str(uuid.uuid4()), "name": "Audit Plant", "code": code, "countryCode": "DE"}
    factory = ok(await client.post("/v1/admin/factories", json=body, headers=headers(admin_token, factory_rid)))
    factory_id = factory["factory"]["id"]

    # factory_svc: CreateBatch, as an operator of that factory; anchor_svc: Anchor of that batch, same operator.
    operator_id = f"op-{uuid.uuid4().hex[:12]}"
    operator = signer.mint(operator_id, Role.OPERATOR, factory_id=factory_id)
    batch_rid, anchor_rid, idempotency_key = new_request_id("batch"), new_request_id("anchor"), str(uuid.uuid4())
    batch_body = {"requestId": idempotency_key, "sku": "AUDIT-1", "productLine": "Watches", "quantity": 3}
    batch = (ok(await client.post("/v1/batches", json=batch_body, headers=headers(operator, batch_rid))))["batch"]
    anchor = ok(await client.post("/v1/anchor", json={"batchId": batch["id"]}, headers=headers(operator, anchor_rid)))
    assert anchor["anchor"]["batchId"] == batch["id"]

    made_factory = await only_entry(client, admin_token, objectType="factory", objectId=factory_id)
    made_batch = await only_entry(
        client, admin_token, action="/voketag.factory.v1.FactoryService/CreateBatch", objectId=batch["id"]
    )
    anchored = await only_entry(
        client, admin_token, action="/voketag.anchor.v1.AnchorService/Anchor", objectId=batch["id"]
    )

    assert fields(made_factory) == {
        "actorId": ADMIN_SUBJECT,
        "actorRole": "ROLE_ADMIN",
        "action": "/voketag.admin.v1.AdminService/CreateFactory",
        "objectType": "factory",
        "objectId": factory_id,
        "requestId": factory_rid,
        "service": "admin_svc",
        "factoryId": "",  # the actor's factory: an admin has none
        "peer": "127.0.0.1",
        "details": {"code": code},
        "resultCode": 0,
    }
    assert fields(made_batch) == {
        "actorId": operator_id,
        "actorRole": "ROLE_OPERATOR",
        "action": "/voketag.factory.v1.FactoryService/CreateBatch",
        "objectType": "batch",
        "objectId": batch["id"],
        "requestId": batch_rid,  # the x-request-id header; the body's idempotency key is in the details
        "service": "factory_svc",
        "factoryId": factory_id,
        "peer": "127.0.0.1",
        "details": {"quantity": "3", "sku": "AUDIT-1", "request_id": idempotency_key},
        "resultCode": 0,
    }
    assert fields(anchored) == {
        "actorId": operator_id,
        "actorRole": "ROLE_OPERATOR",
        "action": "/voketag.anchor.v1.AnchorService/Anchor",
        "objectType": "batch",
        "objectId": batch["id"],
        "requestId": anchor_rid,
        "service": "anchor_svc",
        "factoryId": factory_id,
        "peer": "127.0.0.1",
        "details": {"anchor": "requested"},
        "resultCode": 0,
    }

    # Three processes, one chain: consecutive sequence numbers, each entry linked to the one before it.
    chain = [made_factory, made_batch, anchored]
    sequences = [int(entry["sequence"]) for entry in chain]
    assert sequences == list(range(int(before.get("latestSequence", 0)) + 1, int(before.get("latestSequence", 0)) + 4))
    for earlier, later in itertools.pairwise(chain):
        assert later["prevHash"] == earlier["hash"]

    # The filters of ListAuditLogs see the same entries: by actor (newest first) and by service.
    by_operator = ok(
        await client.get("/v1/admin/audit/logs", params={"actorId": operator_id}, headers=headers(admin_token))
    )
    assert [entry["sequence"] for entry in by_operator["entries"]] == [anchored["sequence"], made_batch["sequence"]]
    for service, entry in (("admin_svc", made_factory), ("factory_svc", made_batch), ("anchor_svc", anchored)):
        assert (
            await only_entry(client, admin_token, service=service, objectId=entry["objectId"], actorId=entry["actorId"])
            == entry
        )

    after = ok(await client.get("/v1/admin/audit/logs:verify", headers=headers(admin_token)))
    assert after["ok"] is True and after.get("problem", "") == "" and int(after.get("firstBadSequence", 0)) == 0
    assert int(after["entriesChecked"]) == int(after["latestSequence"]) >= sequences[-1]
