"""ReportFraud through Envoy: validation, storage where the admin service reads it, idempotency, limits."""

import uuid

import httpx

from tests.scan.conftest import Catalog
from tests.scan.helpers import factor, forge, verify
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


async def test_a_request_id_replayed_with_another_body_is_refused(
    client: httpx.AsyncClient, catalog: Catalog, pool
) -> None:
    product = await catalog.product()
    body = {"token": product["token"], "description": "label looks reprinted", "requestId": str(uuid.uuid4())}
    assert (await client.post(REPORT, json=body)).status_code == 200
    reply = await client.post(REPORT, json={**body, "description": "a different complaint"})
    assert reply.status_code == 409, reply.text
    assert json_reason(reply.content) == "REQUEST_ID_REUSED"
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
        ({"token": token, "description": "long enough text", "requestId": "r" * 65}, "request_id"),
        ({"token": token, "description": "long enough text", "requestId": "two words"}, "request_id"),
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


async def _report(client: httpx.AsyncClient, token: str, text: str = "the label looks reprinted", **extra: str) -> str:
    reply = await client.post(REPORT, json={"token": token, "description": text, **extra})
    assert reply.status_code == 200, reply.text
    return str(reply.json()["reportId"])


async def _confirm(staff: httpx.AsyncClient, report_id: str) -> None:
    change = {"status": "FRAUD_REPORT_STATUS_CONFIRMED", "note": "seen at a market stall"}
    reply = await staff.patch(f"/v1/admin/fraud/reports/{report_id}", json=change, params={"updateMask": "status,note"})
    assert reply.status_code == 200, reply.text


async def _factory(catalog: Catalog, product: dict) -> str:
    return str(await catalog.pool.fetchval("SELECT factory_id FROM batches WHERE id = $1::uuid", product["batch_id"]))


async def test_anonymous_reports_without_scans_leave_the_public_verdict(
    make_client, catalog: Catalog, staff: httpx.AsyncClient
) -> None:
    product = await catalog.product()
    token = product["token"]
    one_network = make_client()
    reports = [await _report(one_network, token, f"fake number {i}") for i in range(10)]
    reports += [await _report(make_client(), token, f"fake from elsewhere {i}") for i in range(10)]
    buyer = make_client()
    page = await buyer.get(f"/r/{token}")
    assert page.status_code == 200 and '<h1 id="verdict">Genuine product</h1>' in page.text
    scanned = await verify(buyer, token)
    assert scanned["verdict"] == "VERDICT_AUTHENTIC"
    assert factor(scanned, "FRAUD_REPORTS")["contribution"] == 0
    # The brand sees them: in the review queue, and at full weight in the risk of the recorded scans.
    queue = await staff.get("/v1/admin/fraud/reports", params={"factoryId": await _factory(catalog, product)})
    assert {r["id"] for r in queue.json()["reports"]} >= set(reports)
    risky = await staff.get("/v1/admin/fraud/scans", params={"productId": product["product_id"], "minRisk": 100})
    assert len(risky.json()["scans"]) == 2  # the page's scan and the verify
    # One report confirmed by staff weighs fully.
    await _confirm(staff, reports[0])
    page = await buyer.get(f"/r/{token}")
    assert '<h1 id="verdict">Check this product carefully</h1>' in page.text
    assert (await verify(make_client(), token))["verdict"] == "VERDICT_SUSPICIOUS"


async def test_reports_after_a_scan_count_once_per_reporter_and_are_capped(make_client, catalog: Catalog) -> None:
    token = (await catalog.product())["token"]
    reporters = [make_client() for _ in range(3)]
    for reporter in reporters:
        await verify(reporter, token, {"deviceHint": "app-1"})  # one app install, three networks
        await _report(reporter, token, deviceHint="app-1")
    again = make_client()
    await verify(again, token, {"deviceHint": "app-2"})
    for _ in range(2):  # the same device and network twice
        await _report(again, token, deviceHint="app-2")
    fraud = factor(await verify(make_client(), token), "FRAUD_REPORTS")
    # Counted: the first of app-1 (its later reports share the device) and the first of app-2.
    assert fraud["explanation"].endswith("2 unreviewed counted")
    assert fraud["contribution"] == 20  # the cap, below the SUSPICIOUS threshold


async def test_a_request_id_is_scoped_to_the_reporter_and_the_token(make_client, catalog: Catalog, pool) -> None:
    first, second = await catalog.product(), await catalog.product()
    alice, bob = make_client(), make_client()
    alice_report = await _report(alice, first["token"], requestId="report-1")
    assert await _report(alice, first["token"], requestId="report-1") == alice_report
    bob_report = await _report(bob, second["token"], requestId="report-1")
    alice_other = await _report(alice, second["token"], requestId="report-1")
    assert len({alice_report, bob_report, alice_other}) == 3
    stored = await pool.fetchval(
        "SELECT count(*) FROM fraud_reports WHERE id = ANY($1::uuid[])", [alice_report, bob_report, alice_other]
    )
    assert stored == 3


async def test_the_fraud_factor_counts_the_batch_apart(
    client: httpx.AsyncClient, make_client, catalog: Catalog, staff: httpx.AsyncClient
) -> None:
    scanned, reported = await catalog.batch(2)
    await _confirm(staff, await _report(make_client(), reported["token"]))
    fraud = factor(await verify(client, scanned["token"]), "FRAUD_REPORTS")
    assert fraud["explanation"] == (
        "0 confirmed fraud reports on this product, 1 on other products of its batch, 0 unreviewed counted"
    )
    assert fraud["contribution"] == 15
