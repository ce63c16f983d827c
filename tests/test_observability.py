"""Per-RPC JSON log lines carry Envoy's request id and the latency; Prometheus counts every RPC."""

import json
import re
import time
import uuid

import httpx

from devmesh.mesh import Mesh

VERIFY = "/voketag.scan.v1.ScanService/VerifyToken"


def handled(mesh: Mesh, method: str) -> float:
    """Sum of grpc_server_handled_total over all codes for one method of the scan service."""
    text = httpx.get(f"http://127.0.0.1:{mesh.metrics_ports['scan']}/metrics").text
    pattern = re.compile(r"^grpc_server_handled_total\{([^}]*)\} (\S+)$", re.M)
    service, name = method.lstrip("/").split("/")
    return sum(
        float(value)
        for labels, value in pattern.findall(text)
        if f'grpc_method="{name}"' in labels and f'grpc_service="{service}"' in labels
    )


def log_lines(mesh: Mesh, name: str) -> list[dict[str, object]]:
    lines = (mesh.state_dir / "logs" / f"{name}.log").read_text().splitlines()
    return [json.loads(line) for line in lines if line.startswith("{")]


def test_rpc_is_logged_with_request_id_and_counted(mesh: Mesh, gateway: str) -> None:
    before = handled(mesh, VERIFY)
    request_id = f"obs-{uuid.uuid4().hex}"
    # From a loopback network of its own: the per-network scan limit other tests exhaust cannot answer first.
    with httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.42.1")) as client:
        client.post(f"{gateway}/api/verify/ABC", headers={"x-request-id": request_id})
    assert handled(mesh, VERIFY) == before + 1
    deadline = time.monotonic() + 10
    matching: list[dict[str, object]] = []
    while not matching and time.monotonic() < deadline:
        matching = [line for line in log_lines(mesh, "scan") if line.get("request_id") == request_id]
        time.sleep(0.1)
    assert matching, "no log line carries the request id the client sent"
    rpc_line = next(line for line in matching if line["message"] == "rpc")
    assert rpc_line["method"] == VERIFY
    assert rpc_line["service"] == "scan"
    assert isinstance(rpc_line["latency_ms"], float)
    # "ABC" is not a well-formed token: refused before any lookup, so this is the only possible code.
    assert rpc_line["code"] == "INVALID_ARGUMENT"


def test_latency_histogram_is_exposed(mesh: Mesh) -> None:
    text = httpx.get(f"http://127.0.0.1:{mesh.metrics_ports['admin']}/metrics").text
    assert 'grpc_server_handling_seconds_bucket{grpc_method="Check",grpc_service="grpc.health.v1.Health"' in text
