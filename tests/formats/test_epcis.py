"""EPCIS 2.0 documents through Envoy, validated against GS1's EPCIS JSON Schema."""

import json
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from epcis_event_hash_generator.hash_generator import epcis_hashes_from_events
from epcis_event_hash_generator.json_to_py import event_list_from_epcis_document_json
from jsonschema import Draft7Validator, FormatChecker

from voketag.auth import Role, TokenSigner

SCHEMA = json.loads(
    (Path(__file__).parents[2] / "third_party/gs1/epcis/EPCIS-JSON-Schema.json").read_text(encoding="utf-8")
)
VALIDATOR = Draft7Validator(SCHEMA, format_checker=FormatChecker())
CBV = "https://ref.gs1.org/cbv/"
GTIN = "09506000134352"
CreateBatch = Callable[..., Awaitable[dict[str, Any]]]


async def products(admin: httpx.AsyncClient, batch_id: str) -> list[dict[str, Any]]:
    reply = await admin.get(f"/v1/batches/{batch_id}/products", params={"view": "PRODUCT_VIEW_FULL"})
    assert reply.status_code == 200, reply.text
    return reply.json()["products"]


async def document(client: httpx.AsyncClient, **params: str) -> tuple[dict[str, Any], str]:
    reply = await client.get("/v1/epcis/events", params=params)
    assert reply.status_code == 200, reply.text
    assert reply.headers["content-type"] == "application/ld+json"
    parsed = reply.json()
    errors = sorted(VALIDATOR.iter_errors(parsed), key=str)
    assert not errors, errors[:3]
    return parsed, reply.text


def events_of(doc: dict[str, Any]) -> list[dict[str, Any]]:
    assert doc["type"] == "EPCISDocument" and doc["schemaVersion"] == "2.0"
    assert doc["@context"][0] == "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
    return doc["epcisBody"]["eventList"]


def recomputed_id(event: dict[str, Any]) -> str:
    """The CBV 2.0 hash of a received event, as a partner would compute it to de-duplicate."""
    bare = {key: value for key, value in event.items() if key != "eventID"}
    received = {"@context": [{"voketag": "https://voketag.io/epcis/"}], "epcisBody": {"eventList": [bare]}}
    (event_id,) = epcis_hashes_from_events(event_list_from_epcis_document_json(received))
    return event_id


async def test_batch_document_has_commissioning_lifecycle_and_scans(
    admin: httpx.AsyncClient, client: httpx.AsyncClient, create_batch: CreateBatch
) -> None:
    batch = await create_batch(gtin=GTIN, quantity=3)
    first, second, third = await products(admin, batch["id"])
    revoked = await admin.post(
        f"/v1/products/{first['id']}:revoke", json={"reason": "internal: label misprint", "publicReason": "Reissued"}
    )
    assert revoked.status_code == 200, revoked.text
    scanned = await client.post(f"/api/verify/{second['token']}", json={"location": {"countryCode": "DE"}})
    assert scanned.status_code == 200, scanned.text
    recalled = await admin.post(
        f"/v1/batches/{batch['id']}:recall", json={"reason": "internal: supplier fault", "publicReason": "Safety"}
    )
    assert recalled.status_code == 200, recalled.text

    doc, text = await document(admin, batchId=batch["id"])
    events = events_of(doc)
    epc = {p["id"]: f"https://id.gs1.org/01/{GTIN}/21/{p['serial']}" for p in (first, second, third)}
    commissioning, product_revoke, batch_recall, scan = events
    assert commissioning["action"] == "ADD"
    assert commissioning["bizStep"] == CBV + "BizStep-commissioning"
    assert commissioning["disposition"] == CBV + "Disp-active"
    assert commissioning["epcList"] == [epc[first["id"]], epc[second["id"]], epc[third["id"]]]
    created = datetime.fromisoformat(batch["createdAt"].replace("Z", "+00:00"))
    assert abs(datetime.fromisoformat(commissioning["eventTime"].replace("Z", "+00:00")) - created) < timedelta(
        milliseconds=1
    )
    assert (product_revoke["action"], product_revoke["bizStep"], product_revoke["disposition"]) == (
        "DELETE",
        CBV + "BizStep-decommissioning",
        CBV + "Disp-inactive",
    )
    assert product_revoke["epcList"] == [epc[first["id"]]]
    assert product_revoke["voketag:publicReason"] == "Reissued"
    assert (batch_recall["action"], batch_recall["disposition"]) == ("DELETE", CBV + "Disp-recalled")
    assert batch_recall["bizStep"] == CBV + "BizStep-decommissioning"
    assert sorted(batch_recall["epcList"]) == sorted(epc.values())
    assert (scan["action"], scan["bizStep"]) == ("OBSERVE", CBV + "BizStep-inspecting")
    assert scan["epcList"] == [epc[second["id"]]]
    assert scan["readPoint"] == {"id": "urn:voketag:country:DE"}
    assert scan["voketag:verdict"] == scanned.json()["verdict"].removeprefix("VERDICT_")
    assert scan["voketag:riskScore"] == scanned.json()["riskScore"]
    # Internal reasons and tokens never leave in a document.
    assert "internal:" not in text
    assert all(p["token"] not in text for p in (first, second, third))
    # Event ids: CBV 2.0 hashes, unique, stable across exports and recomputable by a partner.
    ids = [event["eventID"] for event in events]
    assert all(event_id.startswith("ni:///sha-256;") and event_id.endswith("?ver=CBV2.0") for event_id in ids)
    assert len(set(ids)) == len(ids)
    again, _ = await document(admin, batchId=batch["id"])
    assert [event["eventID"] for event in events_of(again)] == ids
    assert [recomputed_id(event) for event in events] == ids


async def test_batch_without_gtin_uses_product_urns(admin: httpx.AsyncClient, create_batch: CreateBatch) -> None:
    batch = await create_batch(quantity=2)
    listed = await products(admin, batch["id"])
    doc, _ = await document(admin, batchId=batch["id"])
    (commissioning,) = events_of(doc)
    assert commissioning["epcList"] == [f"urn:voketag:product:{p['id']}" for p in listed]


async def test_large_batch_commissioning_is_split(admin: httpx.AsyncClient, create_batch: CreateBatch) -> None:
    batch = await create_batch(gtin=GTIN, quantity=2500)
    doc, _ = await document(admin, batchId=batch["id"])
    sizes = [len(event["epcList"]) for event in events_of(doc)]
    assert sizes == [1000, 1000, 500]
    serials = [int(epc.rsplit("/", 1)[1]) for event in events_of(doc) for epc in event["epcList"]]
    assert serials == sorted(serials) and len(set(serials)) == 2500


async def test_time_range_is_scoped_to_the_callers_factory(
    admin: httpx.AsyncClient,
    gateway: str,
    signer: TokenSigner,
    db: asyncpg.Pool,
    factory_id: str,
    create_batch: CreateBatch,
) -> None:
    mine = await create_batch(gtin=GTIN)
    other_factory = str(uuid.uuid4())
    await db.execute("INSERT INTO factories (id, name) VALUES ($1, 'Other')", other_factory)
    body = {"requestId": str(uuid.uuid4()), "factoryId": other_factory, "sku": "S", "productLine": "L", "quantity": 1}
    other = await admin.post("/v1/batches", json=body)
    assert other.status_code == 200, other.text
    other_batch = other.json()["batch"]
    (other_product,) = await products(admin, other_batch["id"])
    now = datetime.now(UTC)
    window = {
        "startTime": (now - timedelta(minutes=5)).isoformat(),
        "endTime": (now + timedelta(minutes=5)).isoformat(),
    }
    operator = {"authorization": f"Bearer {signer.mint('op-epcis', Role.OPERATOR, factory_id=factory_id)}"}
    async with httpx.AsyncClient(base_url=gateway, headers=operator, timeout=60) as as_operator:
        doc, _ = await document(as_operator, **window)
        seen = {epc for event in events_of(doc) for epc in event["epcList"]}
        assert {f"https://id.gs1.org/01/{GTIN}/21/{p['serial']}" for p in await products(admin, mine["id"])} <= seen
        assert f"urn:voketag:product:{other_product['id']}" not in seen
        hidden = await as_operator.get("/v1/epcis/events", params={"batchId": other_batch["id"]})
        assert hidden.status_code == 404, hidden.text
    audited = await db.fetchval(
        "SELECT count(*) FROM audit_log WHERE object_type = 'export' AND object_id = 'epcis' AND actor = 'op-epcis'"
    )
    assert audited == 1


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "start_time"),
        ({"startTime": "2026-01-02T00:00:00Z"}, "start_time"),
        ({"startTime": "2026-01-02T00:00:00Z", "endTime": "2026-01-01T00:00:00Z"}, "end_time"),
        ({"startTime": "2024-01-01T00:00:00Z", "endTime": "2026-01-01T00:00:00Z"}, "end_time"),
        ({"batchId": "not-a-uuid"}, "batch_id"),
    ],
)
async def test_bad_requests_are_400(admin: httpx.AsyncClient, params: dict[str, str], field: str) -> None:
    reply = await admin.get("/v1/epcis/events", params=params)
    assert reply.status_code == 400, reply.text
    violations = [v for d in reply.json()["details"] for v in d.get("fieldViolations", ())]
    assert violations[0]["field"] == field


async def test_anonymous_callers_are_refused(client: httpx.AsyncClient) -> None:
    reply = await client.get("/v1/epcis/events", params={"batchId": "7d0c2f4e-3f5a-4a57-9a56-6f1d2b3c4d5e"})
    assert reply.status_code == 401, reply.text


def test_schema_refuses_what_gs1_refuses() -> None:
    """The committed schema is live: an unknown action and a property outside EPCIS and any namespace fail."""
    event = {"type": "ObjectEvent", "eventTime": "2026-01-01T00:00:00Z", "eventTimeZoneOffset": "+00:00"}
    broken = {
        "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2026-01-01T00:00:00Z",
        "epcisBody": {"eventList": [{**event, "epcList": [], "action": "FOO"}]},
    }
    assert list(VALIDATOR.iter_errors(broken))
    broken["epcisBody"]["eventList"] = [{**event, "epcList": [], "action": "ADD", "verdict": "AUTHENTIC"}]
    assert list(VALIDATOR.iter_errors(broken))
    broken["epcisBody"]["eventList"] = [{**event, "epcList": [], "action": "ADD", "voketag:verdict": "AUTHENTIC"}]
    assert not list(VALIDATOR.iter_errors(broken))
