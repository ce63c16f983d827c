"""Webhooks end to end: a private factory service + worker + a real HTTP receiver on 127.0.0.1."""

import asyncio
import json
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import asyncpg
import grpc
import pytest

from devmesh.mesh import Child
from factory_svc.webhooks import address_allowed, signature
from tests.factory.conftest import Callers, PrivateFactory, bearer, new_factory
from tests.support import error_reason
from voketag.auth import Role, TokenSigner
from voketag.factory.v1 import factory_service_pb2 as pb
from voketag.factory.v1 import factory_service_pb2_grpc as rpc
from voketag_client import verify_signature


class Receiver(ThreadingHTTPServer):
    """Answers 500 to the first `failures` POSTs on /hook, then 200; /moved redirects to /landing."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.requests: list[tuple[str, dict[str, str], bytes]] = []
        super().__init__(("127.0.0.1", 0), Handler)


class Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["content-length"]))
        self.server.requests.append((self.path, dict(self.headers), body))
        if self.path == "/moved":
            self.send_response(302)
            self.send_header("location", "/landing")
        elif (
            self.path == "/hook" and sum(path == "/hook" for path, _, _ in self.server.requests) <= self.server.failures
        ):
            self.send_response(500)
        else:
            self.send_response(200)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver(failures=2)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()


def test_signature_helper_accepts_the_real_thing_and_rejects_tampering() -> None:
    body = b'{"id": "e1", "type": "batch.anchored"}'
    now = int(time.time())
    header = signature("s3cret", now, body)
    assert verify_signature("s3cret", header, body)
    assert verify_signature("s3cret", header, body.decode())
    assert not verify_signature("s3cret", header, body.replace(b"e1", b"e2"))
    assert not verify_signature("other", header, body)
    assert not verify_signature("s3cret", signature("s3cret", now - 301, body), body)
    assert verify_signature("s3cret", signature("s3cret", now - 299, body), body)
    assert not verify_signature("s3cret", "v1=" + header.split("v1=")[1], body)
    assert not verify_signature("s3cret", "garbage", body)


@pytest.mark.parametrize(
    ("address", "allowed"),
    [
        ("8.8.8.8", True),
        ("10.1.2.3", False),
        ("192.168.0.1", False),
        ("172.16.5.5", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),
        ("0.0.0.0", False),
        ("224.0.0.1", False),
        ("::ffff:8.8.8.8", False),
        ("fe80::1", False),
        ("fc00::1", False),
        ("2001:4860:4860::8888", True),
        ("64:ff9b::a00:1", False),
        ("fec0::1", False),
        ("240.0.0.1", False),
    ],
)
def test_only_public_addresses_may_receive(address: str, allowed: bool) -> None:
    assert address_allowed(address, allow_loopback=True) is allowed
    assert address_allowed("127.0.0.1", allow_loopback=False) is False
    assert address_allowed("::1", allow_loopback=True) is True


@pytest.mark.parametrize(
    "url",
    [
        "https://10.0.0.5/hook",
        "https://127.0.0.1/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://[::ffff:127.0.0.1]/hook",
        "https://localhost/hook",
        "http://8.8.8.8/hook",
        "https://user:pw@8.8.8.8/hook",
        "ftp://8.8.8.8/hook",
    ],
)
async def test_private_or_insecure_webhook_urls_are_refused(
    stub: rpc.FactoryServiceStub, callers: Callers, url: str
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await stub.CreateWebhook(
            pb.CreateWebhookRequest(request_id=str(uuid.uuid4()), url=url, events=[pb.WEBHOOK_EVENT_BATCH_ANCHORED]),
            metadata=callers.operator_a,
        )
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error_reason(refused.value) == "WEBHOOK_URL_FORBIDDEN"


async def wait_for(check, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while not await check():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.2)


@pytest.mark.timeout(180)
async def test_events_are_signed_retried_on_500_recorded_and_never_redirected(
    private_factory, signer: TokenSigner, receiver: Receiver, broker_url: str
) -> None:
    env = {
        "WEBHOOK_ALLOW_LOOPBACK": "true",
        "WEBHOOK_MIN_BACKOFF_MS": "100",
        "WEBHOOK_MAX_RETRIES": "2",
        "BROKER_URL": broker_url,
    }
    stack: PrivateFactory = private_factory(**env)
    await stack.start()
    worker = Child(
        "worker-private",
        [sys.executable, "-m", "dramatiq", "voketag.worker", "factory_svc.tasks", "--processes", "1", "--threads", "2"],
        stack.env({}),
        stack.state_dir / "worker.log",
    )
    worker.start()
    pool = await asyncpg.create_pool(stack.database_url, min_size=1, max_size=2)
    try:
        factory_id = await new_factory(pool)
        md = bearer(signer.mint("op", Role.OPERATOR, factory_id=factory_id))
        base = f"http://127.0.0.1:{receiver.server_address[1]}"
        async with grpc.aio.insecure_channel(f"127.0.0.1:{stack.port}") as channel:
            stub = rpc.FactoryServiceStub(channel)
            hook = await stub.CreateWebhook(
                pb.CreateWebhookRequest(
                    request_id=str(uuid.uuid4()),
                    url=f"{base}/hook",
                    events=[pb.WEBHOOK_EVENT_BATCH_ANCHORED, pb.WEBHOOK_EVENT_BATCH_ANCHOR_FAILED],
                ),
                metadata=md,
            )
            assert len(hook.secret) == 43 and hook.webhook.secret_hint == hook.secret[-4:]
            moved = await stub.CreateWebhook(
                pb.CreateWebhookRequest(
                    request_id=str(uuid.uuid4()), url=f"{base}/moved", events=[pb.WEBHOOK_EVENT_BATCH_REVOKED]
                ),
                metadata=md,
            )
            batch = await stub.CreateBatch(
                pb.CreateBatchRequest(request_id=str(uuid.uuid4()), sku="W", product_line="W", quantity=2), metadata=md
            )
            # What the anchor worker writes in its own transaction when the batch is anchored.
            event_id = str(uuid.uuid4())
            await pool.execute(
                "INSERT INTO batch_events (id, batch_id, factory_id, type, payload) VALUES ($1, $2, $3, $4, $5)",
                uuid.UUID(event_id),
                uuid.UUID(batch.batch.id),
                uuid.UUID(factory_id),
                "batch.anchored",
                json.dumps({"tx_hash": "0xabc"}),
            )
            await stub.RevokeBatch(pb.RevokeBatchRequest(id=batch.batch.id, reason="test"), metadata=md)

            async def settled() -> bool:
                states = await pool.fetch("SELECT state FROM webhook_deliveries")
                return len(states) == 2 and all(row["state"] in ("SUCCEEDED", "FAILED") for row in states)

            await wait_for(settled)
            deliveries = await stub.ListWebhookDeliveries(
                pb.ListWebhookDeliveriesRequest(webhook_id=hook.webhook.id), metadata=md
            )
            redirected = await stub.ListWebhookDeliveries(
                pb.ListWebhookDeliveriesRequest(webhook_id=moved.webhook.id), metadata=md
            )
    finally:
        await pool.close()
        worker.stop()

    hooked = [(headers, body) for path, headers, body in receiver.requests if path == "/hook"]
    assert len(hooked) == 3  # 500, 500, 200
    for headers, body in hooked:
        assert verify_signature(hook.secret, headers["VokeTag-Signature"], body)
        assert headers["VokeTag-Timestamp"] == headers["VokeTag-Signature"].split(",")[0].removeprefix("t=")
    event = json.loads(hooked[-1][1])
    assert event["id"] == event_id and event["type"] == "batch.anchored" and event["created_at"]
    assert event["data"]["batch_id"] == batch.batch.id and event["data"]["tx_hash"] == "0xabc"
    (delivery,) = deliveries.deliveries
    assert delivery.state == pb.DELIVERY_STATE_SUCCEEDED and delivery.attempts == 3
    assert delivery.last_status_code == 200 and delivery.event == pb.WEBHOOK_EVENT_BATCH_ANCHORED
    assert delivery.event_id == event_id and delivery.HasField("delivered_at")
    # The redirect was recorded as a failure and never followed.
    assert not [path for path, _, _ in receiver.requests if path == "/landing"]
    (bounced,) = redirected.deliveries
    assert bounced.state == pb.DELIVERY_STATE_FAILED and bounced.attempts == 3 and bounced.last_status_code == 302
