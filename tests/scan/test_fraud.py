"""ReportFraud through Envoy: validation, storage where the admin service reads it, idempotency, limits."""

import uuid

import httpx

from tests.scan.conftest import Catalog
from tests.scan.helpers import forge, verify
from tests.support import json_reason

REPORT = "/api/fraud/report"


async def test_report_is_stored_for_the_admin_service(client: httpx.AsyncClient, catalog: Catalog, pool) -> None:
    product = await catalog.product()
    scan = await verify(client, product["token"])
    body = {
        "token": product["token"],
        "description": "  Bought online, the seal was broken  ",
        "contact": "me@example.org",
        "scanId": scan["scanId"],
    }
    reply = await client.post(REPORT, json=body)
    assert reply.status_code == 200, reply.text
    report_id = reply.json()["reportId"]
    row = await pool.fetchrow("SELECT * FROM fraud_reports WHERE id = $1::uuid", report_id)
    assert str(row["product_id"]) == product["product_id"] and str(row["batch_id"]) == product["batch_id"]
    assert (row["status"], row["description"], row["contact"]) == (
        "OPEN",
        "Bought online, the seal was broken",
        "me@example.org",
    )
    assert await pool.fetchval("SELECT scan_id FROM scan_report_meta WHERE report_id = $1::uuid", report_id) == int(
        scan["scanId"]
    )
    audited = await pool.fetchval(
        "SELECT count(*) FROM audit_log WHERE object_type = 'fraud_report' AND object_id = $1", report_id
    )
    assert audited == 1


async def test_retry_with_the_same_request_id_returns_the_first_report(
    client: httpx.AsyncClient, catalog: Catalog, pool
) -> None:
    product = await catalog.product()
    body = {"token": product["token"], "description": "label looks reprinted", "requestId": str(uuid.uuid4())}
    first = (await client.post(REPORT, json=body)).json()
    again = (await client.post(REPORT, json=body)).json()
    assert first == again
    count = await pool.fetchval("SELECT count(*) FROM fraud_reports WHERE product_id = $1::uuid", product["product_id"])
    assert count == 1


async def test_report_about_a_counterfeit_code(client: httpx.AsyncClient, catalog: Catalog, pool) -> None:
    token = (await catalog.product())["token"]
    forged = forge(token)
    reply = await client.post(REPORT, json={"token": forged.lower(), "description": "sold at a market stall"})
    assert reply.status_code == 200, reply.text
    row = await pool.fetchrow("SELECT * FROM fraud_reports WHERE id = $1::uuid", reply.json()["reportId"])
    assert row["counterfeit_token"] == forged and row["product_id"] is None


async def test_invalid_reports_name_the_fields(client: httpx.AsyncClient, catalog: Catalog, pool) -> None:
    token = (await catalog.product())["token"]
    cases = [
        ({"token": token, "description": "short"}, "description"),
        ({"token": token, "description": "x" * 2001}, "description"),
        ({"token": token, "description": "long enough text", "contact": "c" * 255}, "contact"),
        ({"token": "??", "description": "long enough text"}, "token"),
        ({"token": token, "description": "long enough text", "scanId": "abc"}, "scan_id"),
        ({"token": token, "description": "long enough text", "scanId": "1"}, "scan_id"),  # not a scan of this token
    ]
    before = await pool.fetchval("SELECT count(*) FROM fraud_reports")
    for body, field in cases:
        reply = await client.post(REPORT, json=body)
        assert reply.status_code == 400, (body, reply.text)
        assert json_reason(reply.content) == "INVALID_FIELD"
        violations = next(d for d in reply.json()["details"] if d["@type"].endswith("BadRequest"))["fieldViolations"]
        assert [v["field"] for v in violations] == [field]
    assert await pool.fetchval("SELECT count(*) FROM fraud_reports") == before


async def test_reports_are_rate_limited(client: httpx.AsyncClient, catalog: Catalog) -> None:
    token = (await catalog.product())["token"]
    statuses = [
        (await client.post(REPORT, json={"token": token, "description": f"report number {i}"})).status_code
        for i in range(12)
    ]
    assert statuses[:10] == [200] * 10
    assert 429 in statuses[10:]
