"""Login, refresh, logout, password reset, throttling, users, factories, service accounts, token revocation."""

import os
import subprocess
import sys
import uuid

import asyncpg
import grpc
import pytest

from devmesh.mesh import Mesh
from tests.admin.conftest import PASSWORD, Api, create_user, login, unique
from tests.support import error_reason, json_reason
from voketag.admin.v1 import admin_service_pb2 as pb
from voketag.admin.v1 import admin_service_pb2_grpc as rpc


def test_login_issues_tokens_that_other_services_accept(admin: Api, factory: dict) -> None:
    user = create_user(admin, "ROLE_OPERATOR", factory["id"])["user"]
    reply = login(admin, user["email"].upper())
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["tokenType"] == "Bearer" and body["expiresIn"] == 900 and body["user"]["id"] == user["id"]
    operator = admin.as_(body["accessToken"])
    assert operator.call("GET", "/v1/batches").status_code not in (401, 403)
    assert operator.call("GET", "/v1/admin/dashboard").status_code == 403


def test_wrong_password_unknown_email_and_deactivated_user_fail_alike(admin: Api) -> None:
    user = create_user(admin)["user"]
    admin.ok("DELETE", f"/v1/admin/users/{user['id']}")
    for email, password in (
        (user["email"], "wrong password!"),
        ("nobody@example.com", PASSWORD),
        (user["email"], PASSWORD),
    ):
        reply = login(admin, email, password)
        assert reply.status_code == 401
        assert json_reason(reply.content) == "INVALID_CREDENTIALS"


def test_refresh_rotates_and_reuse_ends_the_session(admin: Api) -> None:
    user = create_user(admin)["user"]
    first = login(admin, user["email"]).json()
    second = admin.ok("POST", "/v1/auth/refresh", {"refreshToken": first["refreshToken"]})
    assert second["refreshToken"] != first["refreshToken"]
    assert admin.as_(second["accessToken"]).call("GET", "/v1/admin/users").status_code == 200
    # The first refresh token again: a leak; the whole session ends, including the newer tokens.
    reused = admin.call("POST", "/v1/auth/refresh", {"refreshToken": first["refreshToken"]}, token="")
    assert reused.status_code == 401
    assert admin.call("POST", "/v1/auth/refresh", {"refreshToken": second["refreshToken"]}, token="").status_code == 401
    revoked = admin.as_(second["accessToken"]).call("GET", "/v1/admin/users")
    assert revoked.status_code == 401 and json_reason(revoked.content) == "TOKEN_REVOKED"


def test_logout_revokes_the_session(admin: Api) -> None:
    user = create_user(admin)["user"]
    tokens = login(admin, user["email"]).json()
    other = login(admin, user["email"]).json()
    me = admin.as_(tokens["accessToken"])
    assert me.ok("POST", "/v1/auth/logout", {}) == {}
    assert me.call("GET", "/v1/admin/users").status_code == 401
    assert admin.call("POST", "/v1/auth/refresh", {"refreshToken": tokens["refreshToken"]}, token="").status_code == 401
    # The other session lives on until all_sessions.
    assert admin.as_(other["accessToken"]).call("GET", "/v1/admin/users").status_code == 200
    admin.as_(other["accessToken"]).ok("POST", "/v1/auth/logout", {"allSessions": True})
    assert admin.as_(other["accessToken"]).call("GET", "/v1/admin/users").status_code == 401


def test_deactivated_users_tokens_stop_working_across_services(admin: Api, factory: dict) -> None:
    user = create_user(admin, "ROLE_OPERATOR", factory["id"])["user"]
    tokens = login(admin, user["email"]).json()
    operator = admin.as_(tokens["accessToken"])
    assert operator.call("GET", "/v1/batches").status_code not in (401, 403)
    deleted = admin.ok("DELETE", f"/v1/admin/users/{user['id']}")["user"]
    assert deleted["active"] is False and deleted["deactivatedAt"]
    reply = operator.call("GET", "/v1/batches")
    assert reply.status_code == 401 and json_reason(reply.content) == "TOKEN_REVOKED"
    assert admin.call("POST", "/v1/auth/refresh", {"refreshToken": tokens["refreshToken"]}, token="").status_code == 401
    # Deleting again is a no-op; reactivating lets the user log in again.
    assert admin.ok("DELETE", f"/v1/admin/users/{user['id']}")["user"]["active"] is False
    admin.ok("PATCH", f"/v1/admin/users/{user['id']}", {"active": True}, updateMask="active")
    assert login(admin, user["email"]).status_code == 200


def test_role_change_revokes_tokens_carrying_the_old_role(admin: Api) -> None:
    user = create_user(admin, "ROLE_ADMIN")["user"]
    promoted = admin.as_(login(admin, user["email"]).json()["accessToken"])
    assert promoted.call("GET", "/v1/admin/users").status_code == 200
    admin.ok("PATCH", f"/v1/admin/users/{user['id']}", {"role": "ROLE_AUDITOR"}, updateMask="role")
    assert promoted.call("GET", "/v1/admin/users").status_code == 401


def test_admin_cannot_delete_itself(admin: Api) -> None:
    me = admin.ok("GET", "/v1/admin/users", emailContains="admin-")["users"]
    mine = [u for u in me if u["displayName"] == "Bootstrap Admin"]
    assert mine
    # Only the fixture's admin holds the session token; its subject is the id in the token.
    import jwt

    subject = jwt.decode(admin.token, options={"verify_signature": False})["sub"]
    reply = admin.call("DELETE", f"/v1/admin/users/{subject}")
    assert reply.status_code == 400 and json_reason(reply.content) == "SELF_DEACTIVATION"


async def test_reset_token_is_single_use_and_expires(admin: Api, db: asyncpg.Connection) -> None:
    created = admin.ok(
        "POST",
        "/v1/admin/users",
        {
            "requestId": str(uuid.uuid4()),
            "email": f"{unique()}@example.com",
            "displayName": "N",
            "role": "ROLE_AUDITOR",
        },
    )
    token, email = created["passwordResetToken"], created["user"]["email"]
    assert token and created["passwordResetExpiresAt"]
    assert login(admin, email).status_code == 401
    new = "a brand new password"
    done = admin.ok("POST", "/v1/auth/password-reset", {"resetToken": token, "newPassword": new})
    assert done["userId"] == created["user"]["id"]
    assert login(admin, email, new).status_code == 200
    again = admin.call("POST", "/v1/auth/password-reset", {"resetToken": token, "newPassword": new}, token="")
    assert again.status_code == 400 and json_reason(again.content) == "RESET_TOKEN_INVALID"
    violations = next(d for d in again.json()["details"] if d["@type"].endswith("BadRequest"))["fieldViolations"]
    assert [v["field"] for v in violations] == ["reset_token"]
    # A fresh token issued by an admin revokes the current sessions, then expires unused.
    session = admin.as_(login(admin, email, new).json()["accessToken"])
    reset = admin.ok("POST", f"/v1/admin/users/{created['user']['id']}/reset-password", {})
    assert session.call("GET", "/v1/admin/users").status_code == 401
    await db.execute("UPDATE password_resets SET expires_at = now() - interval '1 second' WHERE closed_at IS NULL")
    late = admin.call("POST", "/v1/auth/password-reset", {"resetToken": reset["resetToken"], "newPassword": new + "!"})
    assert late.status_code == 400 and json_reason(late.content) == "RESET_TOKEN_INVALID"
    assert login(admin, email, new).status_code == 200


def test_failed_logins_are_throttled_per_account(admin: Api) -> None:
    user = create_user(admin)["user"]
    for _ in range(5):
        assert login(admin, user["email"], "not the password").status_code == 401
    blocked = login(admin, user["email"])
    assert blocked.status_code == 429, blocked.text
    assert json_reason(blocked.content) == "TOO_MANY_FAILED_LOGINS"


async def test_failed_logins_are_throttled_per_address(mesh: Mesh) -> None:
    # Straight to the admin service, naming the client address as Envoy would.
    address = f"198.51.100.{uuid.uuid4().int % 250}"
    metadata = (("x-envoy-external-address", address),)
    async with grpc.aio.insecure_channel(f"127.0.0.1:{mesh.grpc_ports['admin']}") as channel:
        stub = rpc.AdminServiceStub(channel)
        for i in range(50):
            with pytest.raises(grpc.aio.AioRpcError) as failed:
                await stub.Login(pb.LoginRequest(email=f"x{i}@example.com", password="nope"), metadata=metadata)
            assert failed.value.code() == grpc.StatusCode.UNAUTHENTICATED
        with pytest.raises(grpc.aio.AioRpcError) as blocked:
            await stub.Login(pb.LoginRequest(email="fresh@example.com", password="nope"), metadata=metadata)
        assert blocked.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert error_reason(blocked.value) == "TOO_MANY_FAILED_LOGINS"
        with pytest.raises(grpc.aio.AioRpcError) as elsewhere:
            await stub.Login(pb.LoginRequest(email="fresh@example.com", password="nope"))
        assert elsewhere.value.code() == grpc.StatusCode.UNAUTHENTICATED


def test_users_list_filters_and_pages(admin: Api, factory: dict) -> None:
    marker = unique("pg")
    ids = set()
    for _ in range(5):
        body = {
            "requestId": str(uuid.uuid4()),
            "email": f"{marker}-{uuid.uuid4().hex[:6]}@example.com",
            "displayName": "P",
            "role": "ROLE_OPERATOR",
            "factoryId": factory["id"],
            "password": PASSWORD,
        }
        ids.add(admin.ok("POST", "/v1/admin/users", body)["user"]["id"])
    seen, token = [], ""
    while True:
        page = admin.ok("GET", "/v1/admin/users", emailContains=marker, pageSize=2, pageToken=token)
        seen += [u["id"] for u in page["users"]]
        token = page["nextPageToken"]
        if not token:
            break
    assert len(seen) == 5 and set(seen) == ids
    emails = [u["email"] for u in admin.ok("GET", "/v1/admin/users", emailContains=marker)["users"]]
    assert emails == sorted(emails)
    assert admin.ok("GET", "/v1/admin/users", emailContains=marker, role="ROLE_AUDITOR").get("users", []) == []
    assert len(admin.ok("GET", "/v1/admin/users", factoryId=factory["id"], emailContains=marker)["users"]) == 5
    bad = admin.call("GET", "/v1/admin/users", emailContains=marker, pageToken="garbage")
    assert bad.status_code == 400


def test_user_validation_and_idempotency(admin: Api, factory: dict) -> None:
    body = {
        "requestId": str(uuid.uuid4()),
        "email": f"{unique()}@example.com",
        "displayName": "I",
        "role": "ROLE_OPERATOR",
    }
    assert admin.call("POST", "/v1/admin/users", body).status_code == 400  # operator without factory
    body["factoryId"] = factory["id"]
    first = admin.ok("POST", "/v1/admin/users", body)
    again = admin.ok("POST", "/v1/admin/users", body)
    assert again["user"]["id"] == first["user"]["id"] and again.get("passwordResetToken", "") == ""
    clash = admin.call("POST", "/v1/admin/users", {**body, "displayName": "other"})
    assert clash.status_code == 409
    taken = admin.call("POST", "/v1/admin/users", {**body, "requestId": str(uuid.uuid4())})
    assert taken.status_code == 409 and json_reason(taken.content) == "EMAIL_TAKEN"
    assert admin.call("GET", f"/v1/admin/users/{uuid.uuid4()}").status_code == 404


def test_factories_create_list_get(admin: Api) -> None:
    code = unique("C")[:16].upper()
    body = {"requestId": str(uuid.uuid4()), "name": "Zeta plant", "code": code, "countryCode": "PL"}
    made = admin.ok("POST", "/v1/admin/factories", body)["factory"]
    assert made["code"] == code and made["active"] is True
    assert admin.ok("POST", "/v1/admin/factories", body)["factory"]["id"] == made["id"]
    dup = admin.call("POST", "/v1/admin/factories", {**body, "requestId": str(uuid.uuid4())})
    assert dup.status_code == 409
    assert (
        admin.call("POST", "/v1/admin/factories", {**body, "requestId": str(uuid.uuid4()), "code": "x"}).status_code
        == 400
    )
    assert admin.ok("GET", f"/v1/admin/factories/{made['id']}")["factory"] == made
    names, token = [], ""
    while True:
        page = admin.ok("GET", "/v1/admin/factories", pageSize=3, pageToken=token)
        names += [f["name"] for f in page["factories"]]
        token = page["nextPageToken"]
        if not token:
            break
    assert names == sorted(names) and "Zeta plant" in names


def test_service_account_lifecycle(admin: Api, factory: dict) -> None:
    body = {"requestId": str(uuid.uuid4()), "name": "MES", "factoryId": factory["id"], "description": "line 1"}
    created = admin.ok("POST", "/v1/admin/service-accounts", body)
    account, secret = created["serviceAccount"], created["clientSecret"]
    assert len(secret) == 43 and account["secretHint"] == secret[-4:]
    grant = {"clientId": account["clientId"], "clientSecret": secret}
    issued = admin.ok("POST", "/v1/auth/token", grant)
    assert issued["expiresIn"] == 3600
    machine = admin.as_(issued["accessToken"])
    assert machine.call("GET", "/v1/batches").status_code not in (401, 403)
    wrong = admin.call("POST", "/v1/auth/token", {**grant, "clientSecret": secret[:-1] + "x"}, token="")
    assert wrong.status_code == 401
    listed = admin.ok("GET", "/v1/admin/service-accounts", factoryId=factory["id"])["serviceAccounts"]
    assert [a["id"] for a in listed] == [account["id"]] and listed[0]["lastUsedAt"]
    revoked = admin.ok("POST", f"/v1/admin/service-accounts/{account['id']}:revoke", {})["serviceAccount"]
    assert revoked["active"] is False and revoked["revokedAt"]
    reply = machine.call("GET", "/v1/batches")
    assert reply.status_code == 401 and json_reason(reply.content) == "TOKEN_REVOKED"
    assert admin.call("POST", "/v1/auth/token", grant, token="").status_code == 401
    assert admin.ok("GET", "/v1/admin/service-accounts", factoryId=factory["id"]).get("serviceAccounts", []) == []
    assert (
        len(
            admin.ok("GET", "/v1/admin/service-accounts", factoryId=factory["id"], includeRevoked=True)[
                "serviceAccounts"
            ]
        )
        == 1
    )


def test_bootstrap_command_creates_a_working_admin(admin: Api, deps: dict[str, str]) -> None:
    email = f"{unique('boot')}@example.com"
    env = {**os.environ, "DATABASE_URL": deps["DATABASE_URL"], "VOKETAG_ADMIN_PASSWORD": PASSWORD}
    command = [sys.executable, "-m", "admin_svc.bootstrap", "--email", email, "--name", "First Admin"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert login(admin, email).status_code == 200
    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert again.returncode != 0 and "already exists" in again.stderr
