"""Suspicious scans, fraud reports, the audit log (entries and tampering) and CSV exports."""

import csv
import io
import uuid

import asyncpg
import httpx
import pytest

from tests.admin.conftest import Api, Seeded, create_user, login, seed
from tests.support import json_reason


@pytest.fixture
async def seeded(admin: Api, factory: dict, db: asyncpg.Connection) -> Seeded:
    return await seed(db, factory["id"])


def auditor_of(admin: Api) -> Api:
    user = create_user(admin, "ROLE_AUDITOR")["user"]
    return admin.as_(login(admin, user["email"]).json()["accessToken"])


async def test_suspicious_scans_filter_and_page(admin: Api, seeded: Seeded, db: asyncpg.Connection) -> None:
    fid = uuid.UUID(seeded.factory_id)
    expected = await db.fetch(
        """SELECT id FROM scans WHERE factory_id = $1 AND risk_score >= 70 ORDER BY scanned_at DESC, id DESC""", fid
    )
    seen, token = [], ""
    while True:
        page = admin.ok(
            "GET", "/v1/admin/fraud/scans", factoryId=seeded.factory_id, minRisk=70, pageSize=7, pageToken=token
        )
        seen += page.get("scans", [])
        token = page["nextPageToken"]
        if not token:
            break
    assert [s["id"] for s in seen] == [str(r["id"]) for r in expected]
    first = seen[0]
    assert int(first["riskScore"]) >= 70 and first["verdict"] == "VERDICT_SUSPICIOUS"
    assert first["factors"][0]["kind"] == "RISK_FACTOR_KIND_SCAN_COUNT" and first["factors"][0]["contribution"] == 20
    batch = str(seeded.batch_ids[1])
    only = admin.ok("GET", "/v1/admin/fraud/scans", factoryId=seeded.factory_id, batchId=batch, pageSize=1000)
    assert {s["batchId"] for s in only["scans"]} == {batch}
    assert admin.call("GET", "/v1/admin/fraud/scans", minRisk=101).status_code == 400


async def test_suspicious_scans_filter_by_country(admin: Api, seeded: Seeded, db: asyncpg.Connection) -> None:
    fid = uuid.UUID(seeded.factory_id)
    expected = await db.fetch(
        """SELECT id FROM scans WHERE factory_id = $1 AND risk_score >= 50 AND country = 'FR'
           ORDER BY scanned_at DESC, id DESC""",
        fid,
    )
    assert expected, "the seed has French scans"
    only = admin.ok("GET", "/v1/admin/fraud/scans", factoryId=seeded.factory_id, countryCode="FR", pageSize=1000)
    assert [s["id"] for s in only["scans"]] == [str(r["id"]) for r in expected]
    assert {s["countryCode"] for s in only["scans"]} == {"FR"}
    for bad in ("fr", "FRA", "F1"):
        refused = admin.call("GET", "/v1/admin/fraud/scans", countryCode=bad)
        assert refused.status_code == 400 and "country_code" in refused.text, refused.text


async def test_fraud_reports_review(admin: Api, seeded: Seeded) -> None:
    listed = admin.ok("GET", "/v1/admin/fraud/reports", factoryId=seeded.factory_id)["reports"]
    assert {r["id"] for r in listed} == {str(i) for i in seeded.report_ids}
    opened = admin.ok("GET", "/v1/admin/fraud/reports", factoryId=seeded.factory_id, status="FRAUD_REPORT_STATUS_OPEN")
    assert len(opened["reports"]) == 2
    report_id = str(seeded.report_ids[0])
    assert admin.ok("GET", f"/v1/admin/fraud/reports/{report_id}")["report"]["contact"] == "buyer@example.com"
    auditor = auditor_of(admin)
    assert auditor.ok("GET", f"/v1/admin/fraud/reports/{report_id}")["report"]["contact"] == "***"
    change = {"status": "FRAUD_REPORT_STATUS_CONFIRMED", "note": "same batch seen in three markets"}
    denied = auditor.call("PATCH", f"/v1/admin/fraud/reports/{report_id}", change, updateMask="status,note")
    assert denied.status_code == 403
    updated = admin.ok("PATCH", f"/v1/admin/fraud/reports/{report_id}", change, updateMask="status,note")["report"]
    assert updated["status"] == "FRAUD_REPORT_STATUS_CONFIRMED" and updated["note"] == change["note"]
    assert updated["updatedBy"]
    bad = admin.call("PATCH", f"/v1/admin/fraud/reports/{report_id}", change, updateMask="contact")
    assert bad.status_code == 400
    assert admin.call("GET", f"/v1/admin/fraud/reports/{uuid.uuid4()}").status_code == 404
    entries = admin.ok("GET", "/v1/admin/audit/logs", objectType="fraud_report", objectId=report_id)["entries"]
    assert entries[0]["details"] == {"from": "OPEN", "to": "CONFIRMED", "fields": "note,status"}


def test_mutations_are_audited_with_who_what_and_where(admin: Api, factory: dict) -> None:
    user = create_user(admin)["user"]
    entries = admin.ok("GET", "/v1/admin/audit/logs", objectType="user", objectId=user["id"])["entries"]
    assert len(entries) == 1
    entry = entries[0]
    assert entry["action"] == "/voketag.admin.v1.AdminService/CreateUser"
    assert entry["actorRole"] == "ROLE_ADMIN" and entry["service"] == "admin_svc"
    assert entry["requestId"] and entry["peer"] and len(entry["hash"]) > 40
    made = admin.ok("GET", "/v1/admin/audit/logs", objectType="factory", objectId=factory["id"])["entries"]
    assert made[0]["action"].endswith("/CreateFactory")
    admin.ok("PATCH", f"/v1/admin/users/{user['id']}", {"displayName": "Renamed"}, updateMask="displayName")
    newest = admin.ok("GET", "/v1/admin/audit/logs", objectId=user["id"], pageSize=1)
    assert newest["entries"][0]["action"].endswith("/UpdateUser") and newest["nextPageToken"]
    older = admin.ok("GET", "/v1/admin/audit/logs", objectId=user["id"], pageSize=1, pageToken=newest["nextPageToken"])
    assert older["entries"][0]["action"].endswith("/CreateUser")
    by_service = admin.ok("GET", "/v1/admin/audit/logs", service="admin_svc", pageSize=5)["entries"]
    assert {e["service"] for e in by_service} == {"admin_svc"}


async def test_verify_names_the_first_tampered_entry(admin: Api, db: asyncpg.Connection) -> None:
    create_user(admin)
    check = admin.ok("GET", "/v1/admin/audit/logs:verify")
    assert check["ok"] is True and check["entriesChecked"] == check["latestSequence"]
    target = int(check["latestSequence"]) - 1
    original = await db.fetchval("SELECT object_id FROM audit_log WHERE seq = $1", target)

    async def rewrite(value: str) -> None:
        async with db.transaction():
            await db.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")
            await db.execute("UPDATE audit_log SET object_id = $2 WHERE seq = $1", target, value)
            await db.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only")

    await rewrite("mallory")
    try:
        broken = admin.ok("GET", "/v1/admin/audit/logs:verify")
        assert broken["ok"] is False and broken["firstBadSequence"] == str(target)
        assert "edited" in broken["problem"]
        before = admin.ok("GET", "/v1/admin/audit/logs:verify", toSequence=target - 1)
        assert before["ok"] is True
    finally:
        await rewrite(original)
    assert admin.ok("GET", "/v1/admin/audit/logs:verify")["ok"] is True


def parse_csv(body: bytes) -> tuple[list[list[str]], str]:
    rows = list(csv.reader(io.StringIO(body.decode(), newline="")))
    return rows[:-1], rows[-1][0]


def test_user_export_neutralises_formulas_and_counts_rows(admin: Api) -> None:
    evil = ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\tTab", "\rCR"]
    marker = uuid.uuid4().hex[:8]
    for name in evil:
        body = {
            "requestId": str(uuid.uuid4()),
            "email": f"x-{marker}-{uuid.uuid4().hex[:4]}@example.com",
            "displayName": name,
            "role": "ROLE_AUDITOR",
            "password": "long enough password",
        }
        admin.ok("POST", "/v1/admin/users", body)
    reply = httpx.get(
        f"{admin.base}/v1/admin/export/users",
        params={"role": "ROLE_AUDITOR"},
        headers={"authorization": f"Bearer {admin.token}"},
        timeout=60,
    )
    assert reply.status_code == 200 and reply.headers["content-type"].startswith("text/csv")
    rows, trailer = parse_csv(reply.content)
    assert rows[0] == ["id", "email", "display_name", "role", "factory_id", "active", "created_at", "last_login_at"]
    assert trailer == f"#rows={len(rows) - 1}"
    names = {row[2] for row in rows[1:] if marker in row[1]}
    assert names == {"'" + name for name in evil}


def test_user_export_spells_roles_as_the_api_does(admin: Api, factory: dict) -> None:
    operator = create_user(admin, "ROLE_OPERATOR", factory["id"])["user"]
    listed = admin.ok("GET", f"/v1/admin/users/{operator['id']}")["user"]
    reply = httpx.get(
        f"{admin.base}/v1/admin/export/users",
        headers={"authorization": f"Bearer {admin.token}"},
        timeout=60,
    )
    rows, _ = parse_csv(reply.content)
    roles = {row[0]: row[3] for row in rows[1:]}
    assert roles[operator["id"]] == listed["role"] == "ROLE_OPERATOR"
    assert set(roles.values()) <= {"ROLE_ADMIN", "ROLE_AUDITOR", "ROLE_OPERATOR"}
    assert "ROLE_ADMIN" in roles.values()


@pytest.fixture
async def seeded_scan_ids(seeded: Seeded, db: asyncpg.Connection) -> list[int]:
    rows = await db.fetch("SELECT id FROM scans WHERE factory_id = $1 ORDER BY id", uuid.UUID(seeded.factory_id))
    return [row["id"] for row in rows]


def test_scan_export_streams_every_row_with_a_trailer(admin: Api, seeded: Seeded, seeded_scan_ids: list[int]) -> None:
    reply = httpx.get(
        f"{admin.base}/v1/admin/export/scans",
        params={"factoryId": seeded.factory_id},
        headers={"authorization": f"Bearer {admin.token}"},
        timeout=60,
    )
    assert reply.status_code == 200
    rows, trailer = parse_csv(reply.content)
    assert trailer == "#rows=400" and len(rows) == 401
    ids = [int(row[0]) for row in rows[1:]]
    assert ids == seeded_scan_ids
    assert rows[1][6] in ("AUTHENTIC", "SUSPICIOUS", "INVALID", "REVOKED") and len(rows[1][9]) == 64


def test_exports_need_staff(admin: Api, factory: dict) -> None:
    user = create_user(admin, "ROLE_OPERATOR", factory["id"])["user"]
    operator = admin.as_(login(admin, user["email"]).json()["accessToken"])
    reply = operator.call("GET", "/v1/admin/export/scans")
    assert reply.status_code == 403 and json_reason(reply.content) == "ROLE_FORBIDDEN"
