"""Counterfeit codes as the brand sees them, through Envoy: fraud reports about them in the review queue, the
review view's fields, and forged scans counted in the dashboard and analytics."""

import uuid

import httpx

from tests.admin.conftest import Api
from tests.admin.test_review import auditor_of
from tests.scan.conftest import Catalog
from tests.scan.helpers import forge
from voketag.tokens import fingerprint

REPORT = "/api/fraud/report"


async def file_report(consumer: httpx.AsyncClient, body: dict) -> str:
    reply = await consumer.post(REPORT, json=body)
    assert reply.status_code == 200, reply.text
    return str(reply.json()["reportId"])


async def test_reports_on_counterfeit_codes_are_in_the_review_queue(
    admin: Api, catalog: Catalog, consumer: httpx.AsyncClient
) -> None:
    forged = forge((await catalog.product())["token"])
    before = admin.ok("GET", "/v1/admin/dashboard")
    body = {"token": forged.lower(), "description": "sold at a market stall", "contact": "me@example.org"}
    report_id = await file_report(consumer, {**body, "location": {"countryCode": "IT"}})
    report = admin.ok("GET", f"/v1/admin/fraud/reports/{report_id}")["report"]
    assert report["token"] == forged and report["tokenFingerprint"] == fingerprint(forged)
    assert (report["productId"], report["batchId"], report["factoryId"]) == ("", "", "")
    assert report["countryCode"] == "IT" and report["status"] == "FRAUD_REPORT_STATUS_OPEN"
    assert report["contact"] == "me@example.org" and report["description"] == "sold at a market stall"
    listed = admin.ok("GET", "/v1/admin/fraud/reports", status="FRAUD_REPORT_STATUS_OPEN", pageSize=1000)
    assert report_id in {r["id"] for r in listed["reports"]}
    after = admin.ok("GET", "/v1/admin/dashboard")
    assert int(after["openFraudReports"]) == int(before["openFraudReports"]) + 1
    assert int(after["last24h"]["fraudReports"]) == int(before["last24h"]["fraudReports"]) + 1
    analytics = admin.ok("GET", "/v1/admin/analytics")
    assert int(analytics["daily"][-1]["fraudReports"]) >= 1
    # The review queue handles it like any other report.
    change = {"status": "FRAUD_REPORT_STATUS_CONFIRMED", "note": "seen on a marketplace"}
    done = admin.ok("PATCH", f"/v1/admin/fraud/reports/{report_id}", change, updateMask="status,note")["report"]
    assert done["status"] == "FRAUD_REPORT_STATUS_CONFIRMED"
    assert int(admin.ok("GET", "/v1/admin/dashboard")["openFraudReports"]) == int(before["openFraudReports"])


async def test_review_view_shows_scan_country_and_fingerprint(
    admin: Api, catalog: Catalog, consumer: httpx.AsyncClient
) -> None:
    product = await catalog.product()
    scan = await consumer.post(f"/api/verify/{product['token']}", json={"location": {"countryCode": "FR"}})
    scan_id = scan.json()["scanId"]
    body = {
        "token": product["token"],
        "description": "the hologram is missing",
        "contact": "buyer@example.org",
        "scanId": scan_id,
        "location": {"countryCode": "FR"},
        "requestId": str(uuid.uuid4()),
    }
    report_id = await file_report(consumer, body)
    seen = admin.ok("GET", f"/v1/admin/fraud/reports/{report_id}")["report"]
    assert seen["scanId"] == scan_id and seen["countryCode"] == "FR"
    assert seen["productId"] == product["product_id"] and seen["batchId"] == product["batch_id"]
    # A genuine code's token is a secret: not even admins read it here, everyone gets its fingerprint.
    assert seen["token"] == "" and seen["tokenFingerprint"] == fingerprint(product["token"])
    auditor = auditor_of(admin)
    shown = auditor.ok("GET", f"/v1/admin/fraud/reports/{report_id}")["report"]
    assert shown["contact"] == "***" and shown["token"] == ""
    assert shown["tokenFingerprint"] == fingerprint(product["token"]) and shown["scanId"] == scan_id
    listed = admin.ok("GET", "/v1/admin/fraud/reports", productId=product["product_id"])["reports"]
    assert [(r["id"], r["scanId"], r["countryCode"]) for r in listed] == [(report_id, scan_id, "FR")]


async def test_auditors_see_a_counterfeit_reports_fingerprint_only(
    admin: Api, catalog: Catalog, consumer: httpx.AsyncClient
) -> None:
    forged = forge((await catalog.product())["token"])
    report_id = await file_report(consumer, {"token": forged, "description": "fake box, fake code"})
    shown = auditor_of(admin).ok("GET", f"/v1/admin/fraud/reports/{report_id}")["report"]
    assert shown["token"] == "" and shown["tokenFingerprint"] == fingerprint(forged)
