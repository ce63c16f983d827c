"""OpenTelemetry tracing through the whole mesh: a verify and a CreateBatch (on to the worker that seals the
batch) each form one trace whose spans carry the request id. The mesh of this module has a database, Redis and
chain of its own and exports to a tiny OTLP/HTTP receiver run by the test."""

import asyncio
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import asyncpg
import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from devmesh.mesh import Mesh, free_port
from tests.conftest import AUDIENCE, ISSUER
from tests.scan.conftest import Catalog
from tests.support import own_dependencies
from voketag.auth import Role, TokenSigner
from voketag.tokens import KeyRing


@dataclass(frozen=True)
class Span:
    service: str
    trace_id: str
    span_id: str
    parent_id: str
    name: str
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
                             attributes)
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
        body = self.rfile.read(int(self.headers["content-length"]))
        if self.path != "/v1/traces":
            self.send_response(404)
        else:
            self.server.add(ExportTraceServiceRequest.FromString(body))
            self.send_response(200)
        self.send_header("content-length", "0")
        self.end_headers()

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
    return "\n".join(f"{s.service} {s.name} {s.attributes}" for s in spans)


async def test_a_verify_is_one_trace_through_grpc_postgres_and_redis(traced_mesh: Mesh, receiver: Receiver) -> None:
    async with asyncpg.create_pool(traced_mesh.database_url, min_size=1, max_size=2) as pool:
        product = await Catalog(pool, KeyRing.from_config(traced_mesh.token_keys, 1)).product()
    trace_id, traceparent = _traceparent()
    request_id = f"trace-verify-{uuid.uuid4().hex}"
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{traced_mesh.port}", timeout=30) as http:
        reply = await http.post(
            f"/api/verify/{product['token']}", json={}, headers={"traceparent": traceparent, "x-request-id": request_id}
        )
    assert reply.status_code == 200, reply.text

    def complete(spans: list[Span]) -> bool:
        systems = {span.attributes.get("db.system", span.attributes.get("db.system.name")) for span in spans}
        return any(s.name.endswith("/VerifyToken") for s in spans) and {"postgresql", "redis"} <= systems

    spans = await _wait_for(lambda: receiver.trace(trace_id), complete, "verify, PostgreSQL and Redis spans")
    assert {span.service for span in spans} == {"scan"}, _names(spans)
    server = next(span for span in spans if span.name.endswith("/VerifyToken"))
    # Envoy passed the caller's trace context on unchanged: the caller's span is the server span's parent.
    assert server.parent_id == traceparent.split("-")[2]
    assert all(span.attributes.get("voketag.request_id") == request_id for span in spans), _names(spans)


async def test_a_call_without_trace_context_starts_a_trace_of_its_own(traced_mesh: Mesh, receiver: Receiver) -> None:
    request_id = f"trace-new-{uuid.uuid4().hex}"
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{traced_mesh.port}", timeout=30) as http:
        reply = await http.post("/api/verify/NOT-A-TOKEN", json={}, headers={"x-request-id": request_id})
    assert reply.status_code == 400
    # The server span ends after the spans under it, so it is exported last.
    mine = await _wait_for(
        lambda: receiver.tagged(request_id),
        lambda spans: any(s.name.endswith("/VerifyToken") for s in spans),
        "span of the refused verify",
    )
    server = next(s for s in mine if s.name.endswith("/VerifyToken"))
    assert server.parent_id == "" and server.attributes["rpc.grpc.status_code"] == "INVALID_ARGUMENT"
    assert receiver.trace(server.trace_id) == mine


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
        return any(s.name == "dramatiq request_anchor" for s in worker) and any(
            s.attributes.get("db.system", s.attributes.get("db.system.name")) == "postgresql" for s in worker
        )

    spans = await _wait_for(lambda: receiver.trace(trace_id), through_worker, "worker spans")
    assert any(s.service == "factory" and s.name.endswith("/CreateBatch") for s in spans), _names(spans)
    assert all(span.attributes.get("voketag.request_id") == request_id for span in spans), _names(spans)
    consumer = next(s for s in spans if s.name == "dramatiq request_anchor")
    assert consumer.parent_id in {s.span_id for s in spans if s.service == "factory"}
