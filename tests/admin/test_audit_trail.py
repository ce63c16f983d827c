"""The audit log tells what changed, through Envoy: old and new values of security-relevant user fields,
refused sign-ins (never what was typed as a password) and every export."""

import json
import uuid

import httpx
import jwt

from tests.admin.conftest import Api, create_user, login
from tests.scan.conftest import next_address

LOGIN = "/voketag.admin.v1.AdminService/Login"


def entries(admin: Api, **filters: str) -> list[dict]:
    return list(admin.ok("GET", "/v1/admin/audit/logs", pageSize=1000, **filters).get("entries", []))


def test_update_user_records_old_and_new_values(admin: Api, factory: dict) -> None:
    user = create_user(admin, "ROLE_OPERATOR", factory["id"])["user"]
    change = {"role": "ROLE_AUDITOR", "factoryId": ""}
    admin.ok("PATCH", f"/v1/admin/users/{user['id']}", change, updateMask="role,factory_id")
    admin.ok("PATCH", f"/v1/admin/users/{user['id']}", {"displayName": "Renamed"}, updateMask="display_name")
    admin.ok("DELETE", f"/v1/admin/users/{user['id']}")
    deleted, renamed, moved = entries(admin, objectType="user", objectId=user["id"])[:3]
    assert moved["details"] == {
        "fields": "factory_id,role",
        "role.old": "operator",
        "role.new": "auditor",
        "factory_id.old": factory["id"],
        "factory_id.new": "",
    }
    assert renamed["details"] == {"fields": "display_name"}
    assert deleted["action"].endswith("/DeleteUser")
    assert deleted["details"] == {"fields": "active", "active.old": "true", "active.new": "false"}


def test_failed_sign_ins_are_recorded_without_the_password(admin: Api, gateway: str) -> None:
    user = create_user(admin)["user"]
    address = next_address()
    typed = f"secret-{uuid.uuid4().hex}"
    unknown = f"{uuid.uuid4().hex}@example.com"
    with httpx.Client(base_url=gateway, transport=httpx.HTTPTransport(local_address=address), timeout=30) as client:
        for email in (user["email"], unknown):
            assert client.post("/v1/auth/login", json={"email": email, "password": typed}).status_code == 401
    failed = entries(admin, action=LOGIN, objectType="user", objectId=user["id"])
    expected = {"event": "sign-in failed", "reason": "wrong password", "address": address}
    assert [e["details"] for e in failed] == [expected]
    assert failed[0]["actorId"] == "anonymous"
    recent = entries(admin, action=LOGIN, objectType="user")
    stranger = [e for e in recent if e["objectId"] == "" and e["details"].get("address") == address]
    assert [e["details"]["reason"] for e in stranger] == ["unknown account"]
    text = json.dumps(recent)
    assert typed not in text and unknown not in text
    # A successful sign-in is recorded as before, once.
    assert login(admin, user["email"]).status_code == 200


def test_every_export_is_recorded(admin: Api, factory: dict) -> None:
    subject = jwt.decode(admin.token, options={"verify_signature": False})["sub"]
    before = {e["sequence"] for e in entries(admin, objectType="export")}
    headers = {"authorization": f"Bearer {admin.token}"}
    users = httpx.get(f"{admin.base}/v1/admin/export/users", params={"active": "true"}, headers=headers, timeout=60)
    scans = httpx.get(
        f"{admin.base}/v1/admin/export/scans", params={"factoryId": factory["id"]}, headers=headers, timeout=60
    )
    assert users.status_code == 200 and scans.status_code == 200
    made = [e for e in entries(admin, objectType="export") if e["sequence"] not in before]
    assert {(e["objectId"], e["action"].rsplit("/", 1)[1], e["actorId"]) for e in made} == {
        ("users", "ExportUsers", subject),
        ("scans", "ExportScans", subject),
    }
    by_kind = {e["objectId"]: e["details"] for e in made}
    assert by_kind["users"] == {"role": "", "factory_id": "", "active": "true"}
    assert by_kind["scans"]["factory_id"] == factory["id"] and by_kind["scans"]["min_risk"] == "0"
