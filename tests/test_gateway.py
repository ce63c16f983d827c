"""What Envoy itself guarantees: request validation, limits, security headers, CORS, metrics."""

import httpx

from voketag.mesh import BODY_LIMIT


def test_unknown_query_parameter_is_refused(gateway: str) -> None:
    reply = httpx.post(f"{gateway}/api/verify/ABC", params={"no_such_field": "1"})
    assert reply.status_code == 400
    assert "no_such_field" in reply.text


def test_over_limit_body_is_refused(gateway: str) -> None:
    reply = httpx.post(
        f"{gateway}/api/fraud/report",
        content=b'{"description": "' + b"x" * (BODY_LIMIT + 1024) + b'"}',
        headers={"content-type": "application/json"},
    )
    assert reply.status_code == 413


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


def test_envoy_metrics_are_exposed(gateway: str) -> None:
    reply = httpx.get(f"{gateway}/metrics")
    assert reply.status_code == 200
    assert "envoy_cluster_upstream_rq" in reply.text


def test_unknown_path_is_404(gateway: str) -> None:
    assert httpx.get(f"{gateway}/v2/nothing").status_code == 404
