"""What Envoy itself guarantees: request validation, limits, security headers, CORS, metrics."""

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import grpc
import httpx
import pytest

from devmesh.mesh import BODY_LIMIT, IMPORT_LIMIT, Mesh, free_port, wait_until
from gateway import render
from tests.support import error_reason, extra_gateway, json_reason
from voketag.errors import DOMAIN
from voketag.scan.v1 import scan_service_pb2 as scan_pb
from voketag.scan.v1 import scan_service_pb2_grpc as scan_rpc


def envoy_status(reply: httpx.Response, code: int, reason: str) -> str:
    """Assert the body is a google.rpc.Status JSON with one ErrorInfo; return its message."""
    assert reply.headers["content-type"].startswith("application/json")
    body = reply.json()
    assert set(body) == {"code", "message", "details"}, body
    assert body["code"] == code, body
    assert body["details"] == [
        {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "domain": DOMAIN, "reason": reason}
    ], body
    assert isinstance(body["message"], str)
    return str(body["message"])


def test_render_names_every_value_a_deployment_must_give(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        render.main(["listen_port=8080", "scan_endpoints=10.0.0.1:9000,10.0.0.2:9000"])
    message = capsys.readouterr().err.rpartition("missing values: ")[2].strip()
    # Not what render derives (endpoint lists, console and docs routes, tracing, GeoIP), not the scan host and
    # port (its replicas are listed), and not what was given.
    assert message.split(", ") == [
        "admin_host",
        "admin_port",
        "admin_port_svc",
        "anchor_host",
        "anchor_port",
        "body_limit",
        "cors_origin",
        "factory_host",
        "factory_port",
        "import_limit",
    ]


def test_unknown_fields_are_ignored_in_query_and_body_alike(gateway: str) -> None:
    """One rule for both halves of a request: a field the contract does not define is ignored."""
    plain = httpx.post(f"{gateway}/api/verify/ABC", json={})
    with_query = httpx.post(f"{gateway}/api/verify/ABC", params={"no_such_field": "1"}, json={})
    with_body = httpx.post(f"{gateway}/api/verify/ABC", json={"noSuchField": 1})
    assert plain.status_code == with_query.status_code == with_body.status_code == 400
    assert json_reason(plain.content) == json_reason(with_query.content) == json_reason(with_body.content)
    assert json_reason(plain.content) == "TOKEN_MALFORMED"


def test_unknown_route_is_a_status_with_error_info(gateway: str) -> None:
    reply = httpx.get(f"{gateway}/v2/nothing")
    assert reply.status_code == 404
    assert "/v2/nothing" in envoy_status(reply, 5, "ROUTE_NOT_FOUND")


def test_envoy_successes_and_redirects_keep_their_bodies(gateway: str) -> None:
    redirect = httpx.get(f"{gateway}/console")
    assert redirect.status_code == 301 and redirect.headers["location"].endswith("/console/")
    assert redirect.content == b""
    health = httpx.get(f"{gateway}/health")
    assert health.status_code == 200 and b"code" not in health.content


def test_malformed_json_is_a_status_with_error_info(gateway: str) -> None:
    reply = httpx.post(
        f"{gateway}/api/fraud/report", content=b'{"token": ', headers={"content-type": "application/json"}
    )
    assert reply.status_code == 400
    envoy_status(reply, 3, "REQUEST_MALFORMED")


def test_wrong_type_names_the_field_and_no_proto_type(gateway: str, admin_token: str) -> None:
    headers = {"authorization": f"Bearer {admin_token}"}
    for reply, field in (
        (httpx.get(f"{gateway}/v1/batches", params={"state": "NO_SUCH_STATE"}, headers=headers), "state"),
        (httpx.post(f"{gateway}/v1/batches", json={"quantity": "many"}, headers=headers), "quantity"),
    ):
        assert reply.status_code == 400
        message = envoy_status(reply, 3, "REQUEST_MALFORMED")
        assert message.startswith(f"{field}: invalid value"), message
        assert "voketag." not in message and "type.googleapis.com/voketag" not in reply.text
        assert "x-voketag-local-reply" not in reply.headers


@pytest.mark.parametrize("path", ["/v1/webhooks", "/r/ABCDEF", "/api/verify/ABC"])
@pytest.mark.parametrize("name", ["24gz!", "a%b", "x~y|z", "x_trace"])
def test_header_name_grpc_does_not_allow_is_400_naming_it(gateway: str, admin_token: str, path: str, name: str) -> None:
    """HTTP allows these names, gRPC does not (it does allow "_", which the edge refuses): Envoy refuses them before
    the service's grpc core answers 500."""
    reply = httpx.get(f"{gateway}{path}", headers={"authorization": f"Bearer {admin_token}", name: "x"})
    assert reply.status_code == 400
    assert envoy_status(reply, 3, "REQUEST_MALFORMED").startswith(f"header {name}: ")
    assert "x-voketag-local-reply" not in reply.headers


async def test_header_name_grpc_does_not_allow_is_invalid_argument_for_grpc(gateway: str, mesh: Mesh) -> None:
    """A gRPC request (here over HTTP/1.1: grpcio itself refuses to send such a name) gets a gRPC status; over native
    gRPC, a name with "_" is INVALID_ARGUMENT naming it (not a reset stream), and legal metadata reaches the service."""
    async with httpx.AsyncClient() as client:
        reply = await client.post(
            f"{gateway}/voketag.scan.v1.ScanService/VerifyToken",
            content=b"\x00\x00\x00\x00\x00",
            headers={"content-type": "application/grpc", "te": "trailers", "a%b": "x"},
        )
    assert reply.status_code == 200
    assert reply.headers["grpc-status"] == "3"
    assert reply.headers["grpc-message"].startswith("header a%25b: ")
    async with grpc.aio.insecure_channel(f"127.0.0.1:{mesh.port}") as channel:
        stub = scan_rpc.ScanServiceStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await stub.VerifyToken(scan_pb.VerifyTokenRequest(token="ABC"), metadata=(("x_trace", "x"),), timeout=5)
        with pytest.raises(grpc.aio.AioRpcError) as served:
            await stub.VerifyToken(scan_pb.VerifyTokenRequest(token="ABC"), metadata=(("x-trace.1", "x"),), timeout=5)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert (refused.value.details() or "").startswith("header x_trace: ")
    assert error_reason(served.value) == "TOKEN_MALFORMED"


def test_over_limit_body_is_refused(gateway: str) -> None:
    reply = httpx.post(
        f"{gateway}/api/fraud/report",
        content=b'{"description": "' + b"x" * (BODY_LIMIT + 1024) + b'"}',
        headers={"content-type": "application/json"},
    )
    assert reply.status_code == 413
    envoy_status(reply, 8, "REQUEST_TOO_LARGE")


def test_over_limit_import_is_a_status(gateway: str, admin_token: str) -> None:
    """The import's Content-Length guard is a direct response: the same Status format."""
    reply = httpx.post(
        f"{gateway}/v1/import/csv",
        content=b"x" * (IMPORT_LIMIT + 1),
        headers={"authorization": f"Bearer {admin_token}", "content-type": "text/csv"},
    )
    assert reply.status_code == 413
    envoy_status(reply, 8, "REQUEST_TOO_LARGE")


def test_over_limit_headers_are_a_status(gateway: str) -> None:
    reply = httpx.get(f"{gateway}/v1/batches", headers={"x-filler": "a" * (100 * 1024)})
    assert reply.status_code == 431
    envoy_status(reply, 8, "REQUEST_TOO_LARGE")


def test_security_headers_on_consumer_page(gateway: str) -> None:
    reply = httpx.get(f"{gateway}/r/ABCDEF")
    headers = reply.headers
    assert headers["cache-control"] == "no-store"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    assert "max-age=" in headers["strict-transport-security"]
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert "grpc-status" not in headers and "grpc-message" not in headers


def test_security_headers_on_public_api(gateway: str) -> None:
    reply = httpx.post(f"{gateway}/api/verify/ABC")
    assert reply.headers["x-content-type-options"] == "nosniff"
    assert "grpc-status" not in reply.headers


def test_request_id_is_returned_unchanged(gateway: str) -> None:
    for supplied in ("trace-123", "0f8fad5b-d9cb-469f-a165-70867728950e"):
        reply = httpx.post(f"{gateway}/api/verify/ABC", headers={"x-request-id": supplied})
        assert reply.headers["x-request-id"] == supplied


def test_the_access_log_shows_no_product_token(gateway: str, mesh: Mesh) -> None:
    secret = "Q" + uuid.uuid4().hex.upper()
    shown = {
        f"/r/{secret}?lang=de": "/r/-?lang=de",
        f"/R/{secret}": "/R/-",
        f"/api/verify/{secret}": "/api/verify/-",
        f"/v1/merkle/proof?token={secret}": "/v1/merkle/proof?token=-",
        "/v1/ledger/checkpoint": "/v1/ledger/checkpoint",
    }
    ids = {}
    for path in shown:
        ids[path] = uuid.uuid4().hex
        httpx.get(f"{gateway}{path}", headers={"x-request-id": ids[path]})
    log = mesh.children["envoy"].log_path

    def lines() -> dict[str, dict]:
        entries = (json.loads(line) for line in log.read_text().splitlines() if line.startswith("{"))
        return {entry["request_id"]: entry for entry in entries if entry.get("request_id") in ids.values()}

    wait_until(lambda: len(lines()) == len(ids), 10, "the access log lines of the requests")
    logged = lines()
    assert {path: logged[ids[path]]["path"] for path in shown} == shown
    assert secret not in log.read_text()


def test_cors_preflight(gateway: str) -> None:
    port = gateway.rsplit(":", 1)[1]
    origin = f"http://localhost:{port}"
    reply = httpx.options(
        f"{gateway}/v1/batches",
        headers={
            "origin": origin,
            "access-control-request-method": "POST",
            "access-control-request-headers": "authorization",
        },
    )
    assert reply.status_code == 200
    assert reply.headers["access-control-allow-origin"] == origin
    denied = httpx.options(
        f"{gateway}/v1/batches",
        headers={"origin": "https://evil.example", "access-control-request-method": "POST"},
    )
    assert "access-control-allow-origin" not in denied.headers
    # answered by Envoy's CORS filter, not passed on to the transcoder as an unknown OPTIONS method
    assert denied.status_code == 200 and denied.content == b""


def test_envoy_metrics_are_exposed(gateway: str) -> None:
    reply = httpx.get(f"{gateway}/metrics")
    assert reply.status_code == 200
    assert "envoy_cluster_upstream_rq" in reply.text


@pytest.fixture(scope="module")
def dead_gateway(mesh: Mesh, state_dir: Path) -> Iterator[str]:
    """A second Envoy whose anchor cluster points at a port nobody listens on."""
    with extra_gateway(mesh, state_dir, "envoy-dead-anchor", anchor_port=free_port()) as url:
        yield url


def test_service_down_is_a_status(dead_gateway: str) -> None:
    reply = httpx.get(f"{dead_gateway}/v1/merkle/proof/0190f0e0-0000-7000-8000-000000000000")
    assert reply.status_code == 503
    envoy_status(reply, 14, "DEPENDENCY_UNAVAILABLE")
