"""Counterfeit codes as the brand sees them, through Envoy: fraud reports about them in the review queue, the
review view's fields, and forged scans counted in the dashboard and analytics."""

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
import redis.asyncio as redis

from scan_svc.counterfeits import BATCH, LIVE, PENDING, Counterfeits
from scan_svc.storage_redis import Guard
from tests.admin.conftest import Api
from tests.admin.test_review import auditor_of
from tests.scan.conftest import Catalog
from tests.scan.helpers import forge
from voketag.tokens import KeyRing, fingerprint

REPORT = "/api/fraud/report"
# A key id the mesh does not know: its tokens are refused as UNKNOWN_KEY.
UNKNOWN_KEY_ID = 200


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


@pytest.fixture
async def counterfeits(catalog: Catalog, deps: dict[str, str]) -> AsyncIterator[Counterfeits]:
    """The scan service's flush, run here on demand against the same Redis and PostgreSQL."""
    kv = redis.Redis.from_url(deps["REDIS_URL"])
    yield Counterfeits(Guard(kv, 1.0), catalog.pool)
    await kv.aclose()


async def drain(counterfeits: Counterfeits, deps: dict[str, str]) -> None:
    """Flush until nothing is counted or in flight (the scan service's own flush may hold a batch)."""
    kv = redis.Redis.from_url(deps["REDIS_URL"])
    try:
        for _ in range(100):
            await counterfeits.flush()
            if not await kv.exists(LIVE) and not await kv.scard(PENDING):
                return
            await asyncio.sleep(0.1)
        raise AssertionError("counterfeit counts never drained")
    finally:
        await kv.aclose()


def invalid(counts: dict) -> tuple[int, int]:
    return int(counts["verdicts"]["invalid"]), int(counts["counterfeitScans"])


def country(analytics: dict, code: str) -> tuple[int, int]:
    found = next((c for c in analytics["byCountry"] if c["countryCode"] == code), None)
    return (int(found["verdicts"]["invalid"]), int(found["counterfeitScans"])) if found else (0, 0)


def by_key(analytics: dict, key_id: int, reason: str) -> int:
    return sum(int(c["scans"]) for c in analytics["counterfeits"] if (c["keyId"], c["reason"]) == (key_id, reason))


async def test_counterfeit_scans_are_counted_in_the_dashboard_and_analytics(
    admin: Api,
    catalog: Catalog,
    consumer: httpx.AsyncClient,
    counterfeits: Counterfeits,
    deps: dict[str, str],
    factory: dict,
) -> None:
    product = await catalog.product()
    bad_tag = forge(product["token"])
    unknown_key = KeyRing({UNKNOWN_KEY_ID: os.urandom(32)}, UNKNOWN_KEY_ID).issue(product["serial"])
    await drain(counterfeits, deps)
    board, analytics = admin.ok("GET", "/v1/admin/dashboard"), admin.ok("GET", "/v1/admin/analytics")
    sent = [(bad_tag, "AQ")] * 7 + [(unknown_key, "")] * 5
    for token, code in sent:
        reply = await consumer.post(f"/api/verify/{token}", json={"location": {"countryCode": code}})
        assert reply.status_code == 200 and reply.json()["verdict"] == "VERDICT_INVALID"
    await drain(counterfeits, deps)
    after = admin.ok("GET", "/v1/admin/dashboard")
    for window in ("totals", "last24h", "last7d", "last30d"):
        assert invalid(after[window]) == tuple(n + len(sent) for n in invalid(board[window])), window
        assert int(after[window]["scans"]) == int(board[window]["scans"]) + len(sent)
    # Counterfeits (risk 100) stay out of the mean risk of the brand's scans.
    assert after["totals"]["averageRisk"] == pytest.approx(board["totals"]["averageRisk"])
    later = admin.ok("GET", "/v1/admin/analytics")
    today, before_today = later["daily"][-1], analytics["daily"][-1]
    assert int(today["counterfeitScans"]) == int(before_today["counterfeitScans"]) + len(sent)
    assert int(today["verdicts"]["invalid"]) == int(before_today["verdicts"]["invalid"]) + len(sent)
    assert country(later, "AQ") == tuple(n + 7 for n in country(analytics, "AQ"))
    assert country(later, "ZZ")[1] == country(analytics, "ZZ")[1] + 5
    assert by_key(later, 1, "BAD_TAG") == by_key(analytics, 1, "BAD_TAG") + 7
    assert by_key(later, UNKNOWN_KEY_ID, "UNKNOWN_KEY") == by_key(analytics, UNKNOWN_KEY_ID, "UNKNOWN_KEY") + 5
    assert int(later["verdictDistribution"]["invalid"]) == int(analytics["verdictDistribution"]["invalid"]) + 12
    # They name no factory: a factory's own view does not show them.
    scoped = admin.ok("GET", "/v1/admin/dashboard", factoryId=factory["id"])
    assert invalid(scoped["totals"]) == (0, 0)
    assert admin.ok("GET", "/v1/admin/analytics", factoryId=factory["id"])["counterfeits"] == []


async def test_a_flush_adds_each_batch_once(counterfeits: Counterfeits, catalog: Catalog, deps: dict[str, str]) -> None:
    """A batch whose flush died after the commit (still pending in Redis) is not added a second time."""
    await drain(counterfeits, deps)
    kv = redis.Redis.from_url(deps["REDIS_URL"])
    hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    await kv.hset(LIVE, f"{hour.isoformat()}|AQ|{UNKNOWN_KEY_ID}|RETIRED_KEY", 3)
    total = "SELECT coalesce(sum(scans), 0) FROM counterfeit_hourly"
    before = await catalog.pool.fetchval(total)
    await counterfeits.flush()
    assert await catalog.pool.fetchval(total) == before + 3
    flushed = await catalog.pool.fetchval("SELECT id FROM counterfeit_flushes ORDER BY flushed_at DESC LIMIT 1")
    # Replay the crash: the batch is back in Redis as if its clean-up never ran.
    await kv.hset(BATCH + flushed, f"{hour.isoformat()}|AQ|{UNKNOWN_KEY_ID}|RETIRED_KEY", 3)
    await kv.sadd(PENDING, flushed)
    assert await counterfeits.flush() == 0
    assert await catalog.pool.fetchval(total) == before + 3
    assert not await kv.exists(BATCH + flushed) and not await kv.sismember(PENDING, flushed)
    await kv.aclose()
