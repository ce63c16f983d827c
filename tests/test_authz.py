"""The shared authorization layer, exercised through Envoy against the running services."""

import httpx
import pytest

from devmesh.mesh import Mesh, free_port
from scan_svc.api import SERVICE
from scan_svc.settings import ScanSettings
from tests.support import json_reason
from voketag.auth import Role, TokenSigner
from voketag.scan.v1 import scan_service_pb2_grpc as rpc
from voketag.server import MissingPolicy, Service, policy_table, serve


def call(gateway: str, method: str, path: str, token: str | None = None) -> httpx.Response:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    return httpx.request(method, f"{gateway}{path}", headers=headers, json={} if method == "POST" else None)


def test_anonymous_call_to_protected_rpc_is_401(gateway: str) -> None:
    reply = call(gateway, "GET", "/v1/batches")
    assert reply.status_code == 401
    assert json_reason(reply.content) == "CREDENTIALS_MISSING"


def test_expired_token_is_401(gateway: str, signer: TokenSigner) -> None:
    reply = call(gateway, "GET", "/v1/batches", signer.mint("u1", Role.ADMIN, ttl_s=-120))
    assert reply.status_code == 401
    assert json_reason(reply.content) == "ACCESS_TOKEN_EXPIRED"


def test_wrong_audience_token_is_401(gateway: str, mesh: Mesh) -> None:
    foreign = TokenSigner(mesh.signing_key, "dev", "voketag", "another-api").mint("u1", Role.ADMIN)
    reply = call(gateway, "GET", "/v1/batches", foreign)
    assert reply.status_code == 401
    assert json_reason(reply.content) == "TOKEN_INVALID"


def test_role_outside_policy_is_403(gateway: str, signer: TokenSigner) -> None:
    auditor = signer.mint("aud-1", Role.AUDITOR)
    reply = call(gateway, "POST", "/v1/batches", auditor)
    assert reply.status_code == 403
    assert json_reason(reply.content) == "ROLE_FORBIDDEN"
    operator = signer.mint("op-1", Role.OPERATOR, factory_id="f-1")
    assert call(gateway, "GET", "/v1/admin/dashboard", operator).status_code == 403


def passed_authorization(reply: httpx.Response) -> bool:
    """The call got past the auth interceptor: whatever the handler answered, it was not 401/403."""
    return reply.status_code not in (401, 403)


def test_allowed_role_reaches_the_handler(gateway: str, signer: TokenSigner) -> None:
    operator = signer.mint("op-1", Role.OPERATOR, factory_id="f-1")
    assert passed_authorization(call(gateway, "POST", "/v1/batches", operator))
    assert passed_authorization(call(gateway, "GET", "/v1/admin/dashboard", signer.mint("a-1", Role.AUDITOR)))


def test_public_rpc_needs_no_token(gateway: str) -> None:
    assert passed_authorization(call(gateway, "POST", "/api/verify/ABC"))


async def test_server_refuses_to_start_with_an_undeclared_policy() -> None:
    bare = Service(rpc.ScanServiceServicer(), rpc.add_ScanServiceServicer_to_server, SERVICE)
    with pytest.raises(MissingPolicy, match=r"voketag\.scan\.v1\.ScanService\.VerifyToken"):
        policy_table([bare])
    settings = ScanSettings(database_url="postgresql://unused/unused", grpc_port=free_port(), metrics_port=free_port())
    with pytest.raises(MissingPolicy):
        await serve(settings, [bare], {})
