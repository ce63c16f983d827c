"""OpenTelemetry tracing through the whole mesh: a verify and a CreateBatch (on to the worker that seals the
batch) each form one trace, rooted in Envoy's span, whose spans carry the request id. The mesh of this module has a
database, Redis and chain of its own and exports to a tiny OTLP/HTTP receiver run by the test."""

import asyncio
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import yaml
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import Span as OtlpSpan

from devmesh.mesh import Mesh, free_port
from tests.conftest import AUDIENCE, ISSUER
from tests.scan.conftest import Catalog
from tests.support import own_dependencies
from voketag.auth import Role, TokenSigner
from voketag.tokens import KeyRing

SERVER = OtlpSpan.SpanKind.SPAN_KIND_SERVER


@dataclass(frozen=True)
class Span:
    service: str
    trace_id: str
    span_id: str
    parent_id: str
    name: str
    kind: int
    attributes: dict[str, str]


class Receiver(ThreadingHTTPServer):
    """Accepts OTLP/HTTP protobuf exports on /v1/traces and keeps every span."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.spans: list[Span] = []
        self.lock = threading.Lock()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1/traces"

    def add(self, export: ExportTraceServiceRequest) -> None:
        found = []
        for resource_spans in export.resource_spans:
            service = next(
                (a.value.string_value for a in resource_spans.resource.attributes if a.key == "service.name"), ""
            )
            for scope in resource_spans.scope_spans:
                for span in scope.spans:
                    attributes = {a.key: a.value.string_value for a in span.attributes}
                    found.append(
                        Span(service, span.trace_id.hex(), span.span_id.hex(), span.parent_span_id.hex(), span.name,
                             span.kind, attributes)
                    )  # fmt: skip
        with self.lock:
            self.spans.extend(found)

    def trace(self, trace_id: str) -> list[Span]:
        with self.lock:
            return [span for span in self.spans if span.trace_id == trace_id]

    def tagged(self, request_id: str) -> list[Span]:
        with self.lock:
            return [span for span in self.spans if span.attributes.get("voketag.request_id") == request_id]


class _Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = self._body()
        if self.path != "/v1/traces":
            self.send_response(404)
        elif self.headers["content-type"] != "application/x-protobuf":
            self.send_response(415)
        else:
            self.server.add(ExportTraceServiceRequest.FromString(body))
            self.send_response(200)
        self.send_header("content-length", "0")
        self.end_headers()

    def _body(self) -> bytes:
        # The Python exporter sends a content-length, Envoy's exporter a chunked body.
        if self.headers["transfer-encoding"] != "chunked":
            return self.rfile.read(int(self.headers["content-length"]))
        chunks = []
        while size := int(self.rfile.readline().split(b";")[0], 16):
            chunks.append(self.rfile.read(size))
            self.rfile.readline()
        while self.rfile.readline() not in (b"\r\n", b""):  # trailers
            pass
        return b"".join(chunks)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()


@pytest.fixture(scope="module")
def traced_mesh(deps: dict[str, str], receiver: Receiver, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mesh]:
    """Its own database, Redis (queue) and chain: no other mesh's worker takes its messages."""
    state = tmp_path_factory.mktemp("traced")
    (state / "logs").mkdir()
    with own_dependencies(deps["DATABASE_URL"], state, "traced") as urls:
        env = {"OTLP_TRACES_ENDPOINT": receiver.endpoint}
        running = Mesh(state, urls["DATABASE_URL"], urls["REDIS_URL"], urls["ETH_RPC_URL"], free_port(), extra_env=env)
        running.start()
        yield running
        running.stop()


def _traceparent() -> tuple[str, str]:
    trace_id = os.urandom(16).hex()
    return trace_id, f"00-{trace_id}-{os.urandom(8).hex()}-01"


async def _wait_for(
    find: Callable[[], list[Span]], done: Callable[[list[Span]], bool], what: str, timeout_s: float = 90
) -> list[Span]:
    """The spans ``find`` returns once they are ``done`` (exports arrive in batches, every 0.5 s)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        spans = find()
        if done(spans):
            return spans
        await asyncio.sleep(0.2)
    raise AssertionError(f"no {what}: {_names(find())}")


def _names(spans: list[Span]) -> str:
    return "\n".join(f"{s.service} {s.name} {s.span_id}<-{s.parent_id} {s.attributes}" for s in spans)


def _envoy(spans: list[Span]) -> Span:
    """Envoy's one span of a request: a SERVER span named after its listener's direction."""
    (envoy,) = [span for span in spans if span.service == "envoy"]
    assert (envoy.name, envoy.kind) == ("ingress", SERVER), _names(spans)
    return envoy


def _verify_done(spans: list[Span]) -> bool:
    systems = {span.attributes.get("db.system", span.attributes.get("db.system.name")) for span in spans}
    envoy = any(span.service == "envoy" for span in spans)
    return envoy and any(s.name.endswith("/VerifyToken") for s in spans) and {"postgresql", "redis"} <= systems


async def test_a_verify_continues_the_callers_trace_through_envoy_grpc_postgres_and_redis(
    traced_mesh: Mesh, receiver: Receiver
) -> None:
    async with asyncpg.create_pool(traced_mesh.database_url, min_size=1, max_size=2) as pool:
        product = await Catalog(pool, KeyRing.from_config(traced_mesh.token_keys, 1)).product()
    trace_id, traceparent = _traceparent()
    request_id = f"trace-verify-{uuid.uuid4().hex}"
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{traced_mesh.port}", timeout=30) as http:
        reply = await http.post(
            f"/api/verify/{product['token']}", json={}, headers={"traceparent": traceparent, "x-request-id": request_id}
        )
    assert reply.status_code == 200, reply.text

    spans = await _wait_for(lambda: receiver.trace(trace_id), _verify_done, "Envoy, verify, PostgreSQL and Redis spans")
    assert {span.service for span in spans} == {"envoy", "scan"}, _names(spans)
    envoy = _envoy(spans)
    # Envoy continues the caller's trace: the caller's span is its parent, and it is the parent of the service's.
    assert envoy.parent_id == traceparent.split("-")[2]
    server = next(span for span in spans if span.name.endswith("/VerifyToken"))
    assert server.parent_id == envoy.span_id, _names(spans)
    assert all(span.attributes.get("voketag.request_id") == request_id for span in spans), _names(spans)


async def test_a_verify_without_trace_context_starts_its_trace_at_envoy(traced_mesh: Mesh, receiver: Receiver) -> None:
    async with asyncpg.create_pool(traced_mesh.database_url, min_size=1, max_size=2) as pool:
        product = await Catalog(pool, KeyRing.from_config(traced_mesh.token_keys, 1)).product()
    # UUID-shaped: the kind of id Envoy would rewrite a digit of to record its trace decision (pack_trace_reason).
    request_id = str(uuid.uuid4())
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{traced_mesh.port}", timeout=30) as http:
        reply = await http.post(f"/api/verify/{product['token']}", json={}, headers={"x-request-id": request_id})
    assert reply.status_code == 200, reply.text
    assert reply.headers["x-request-id"] == request_id

    tagged = await _wait_for(lambda: receiver.tagged(request_id), _verify_done, "spans of the verify")
    envoy = _envoy(tagged)
    assert envoy.parent_id == "" and envoy.attributes["guid:x-request-id"] == request_id, _names(tagged)
    spans = receiver.trace(envoy.trace_id)
    assert all(span.attributes.get("voketag.request_id") == request_id for span in spans), _names(spans)
    server = next(span for span in spans if span.name.endswith("/VerifyToken"))
    assert server.service == "scan" and server.parent_id == envoy.span_id, _names(spans)
    # One tree: every span but Envoy's hangs under another span of the trace.
    assert {span.parent_id for span in spans} - {span.span_id for span in spans} == {""}, _names(spans)
    # The product token is a secret: no span of the trace carries it, in any attribute or name.
    assert not [span for span in spans if product["token"] in f"{span.name} {span.attributes}"], _names(spans)


async def test_create_batch_is_one_trace_on_to_the_worker(traced_mesh: Mesh, receiver: Receiver) -> None:
    factory_id = str(uuid.uuid4())
    async with asyncpg.create_pool(traced_mesh.database_url, min_size=1, max_size=2) as pool:
        await pool.execute("INSERT INTO factories (id, name) VALUES ($1, 'Traced')", factory_id)
    signer = TokenSigner(traced_mesh.signing_key, "dev", ISSUER, AUDIENCE)
    token = signer.mint("op", Role.OPERATOR, factory_id=factory_id)
    trace_id, traceparent = _traceparent()
    request_id = f"trace-batch-{uuid.uuid4().hex}"
    headers = {"authorization": f"Bearer {token}", "traceparent": traceparent, "x-request-id": request_id}
    body = {"requestId": str(uuid.uuid4()), "sku": "TRACE-1", "productLine": "Kettles", "quantity": 5}
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{traced_mesh.port}", timeout=60) as http:
        reply = await http.post("/v1/batches", json=body, headers=headers)
    assert reply.status_code == 200, reply.text

    def through_worker(spans: list[Span]) -> bool:
        worker = [s for s in spans if s.service == "worker"]
        return (
            any(s.name == "dramatiq request_anchor" for s in worker)
            and any(s.attributes.get("db.system", s.attributes.get("db.system.name")) == "postgresql" for s in worker)
            and any(s.service == "envoy" for s in spans)
        )

    spans = await _wait_for(lambda: receiver.trace(trace_id), through_worker, "Envoy and worker spans")
    assert all(span.attributes.get("voketag.request_id") == request_id for span in spans), _names(spans)
    caller = traceparent.split("-")[2]
    envoy = _envoy(spans)
    assert envoy.parent_id == caller, _names(spans)
    server = next(s for s in spans if s.service == "factory" and s.name.endswith("/CreateBatch"))
    assert server.parent_id == envoy.span_id, _names(spans)
    consumer = next(s for s in spans if s.name == "dramatiq request_anchor")
    assert consumer.parent_id in {s.span_id for s in spans if s.service == "factory"}
    # Envoy's span is the root of what the mesh recorded: every other span hangs under a span of the trace.
    assert {span.parent_id for span in spans} - {span.span_id for span in spans} == {caller}, _names(spans)


def _rendered(tmp_path: Path, endpoint: str) -> tuple[Path, dict[str, Any]]:
    """The Envoy config a mesh writes (not started) when its services export to ``endpoint``."""
    Mesh(tmp_path, "postgresql://unused", "redis://unused", "http://unused", free_port(),
         extra_env={"OTLP_TRACES_ENDPOINT": endpoint})  # fmt: skip
    config = tmp_path / "envoy.yaml"
    return config, yaml.safe_load(config.read_text())


def _connection_manager(config: dict[str, Any]) -> dict[str, Any]:
    (listener,) = config["static_resources"]["listeners"]
    (chain,) = listener["filter_chains"]
    (manager,) = chain["filters"]
    return dict(manager["typed_config"])


def _envoy_validates(config: Path) -> None:
    done = subprocess.run(
        [str(Path(sys.executable).parent / "envoy"), "--mode", "validate", "-c", str(config)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


def test_envoy_traces_only_when_the_mesh_has_an_endpoint(tmp_path: Path) -> None:
    off, on = tmp_path / "off", tmp_path / "on"
    off.mkdir()
    on.mkdir()
    path, config = _rendered(off, "")
    assert "tracing" not in _connection_manager(config)
    assert "otlp_collector" not in {cluster["name"] for cluster in config["static_resources"]["clusters"]}
    _envoy_validates(path)

    path, config = _rendered(on, "http://collector.example:4318/v1/traces")
    tracing = _connection_manager(config)["tracing"]
    provider = tracing["provider"]["typed_config"]
    assert tracing["provider"]["name"] == "envoy.tracers.opentelemetry" and provider["service_name"] == "envoy"
    uri = provider["http_service"]["http_uri"]
    assert (uri["uri"], uri["cluster"]) == ("http://collector.example:4318/v1/traces", "otlp_collector")
    (collector,) = [c for c in config["static_resources"]["clusters"] if c["name"] == "otlp_collector"]
    (endpoint,) = collector["load_assignment"]["endpoints"][0]["lb_endpoints"]
    assert endpoint["endpoint"]["address"]["socket_address"] == {"address": "collector.example", "port_value": 4318}
    _envoy_validates(path)


def test_envoy_refuses_a_collector_it_cannot_reach_over_plain_http(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="http://"):
        _rendered(tmp_path, "https://collector.example/v1/traces")
