"""Two replicas of every service and of the worker behind one Envoy, on one PostgreSQL and one Redis (also the
broker, or else a RabbitMQ): under concurrent verifies, batch creation, anchoring and webhooks nothing is done
twice or lost, and a replica SIGKILLed under load is routed around and rejoins once the runner's supervisor has
started it again."""

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import asyncpg
import grpc
import httpx
import pytest

from devmesh.mesh import REPLICATED, Anvil, EmbeddedRedis, Mesh, free_port
from devmesh.supervise import Backoff, Supervisor
from tests.brokers import RabbitMQ
from tests.conftest import AUDIENCE, ISSUER, database_url, run_statement
from tests.factory.conftest import bearer, new_factory
from tests.scan.conftest import Catalog
from voketag.auth import Role, TokenSigner
from voketag.factory.v1 import factory_service_pb2 as pb
from voketag.factory.v1 import factory_service_pb2_grpc as rpc
from voketag.tokens import KeyRing

REPLICAS = 2
PRODUCTS, VERIFIERS, VERIFIES_EACH = 12, 6, 40
BATCHES, BATCH_SIZE = 8, 25
# Fast anchoring and sealing, so that the test waits seconds, not the production intervals.
SETTINGS = {
    "ANCHOR_INTERVAL_S": "1",
    "ANCHOR_TICK_S": "0.5",
    "ANCHOR_CONFIRMATIONS": "2",
    "LEDGER_CHECKPOINT_INTERVAL_S": "1",
    "LEDGER_GAP_GRACE_S": "2",
    "WEBHOOK_ALLOW_LOOPBACK": "true",
    "RELAY_INTERVAL_S": "0.2",
    # One test client makes all the calls: the per-client limits would answer 429 and hide the counts.
    **{
        name: json.dumps({"rate_per_s": 10_000, "burst": 100_000})
        for name in ("LIMIT_IP", "LIMIT_DEVICE", "LIMIT_CODE")
    },
}


class Receiver(ThreadingHTTPServer):
    """A webhook target that answers 200 and keeps every event id it was sent."""

    def __init__(self) -> None:
        self.event_ids: list[str] = []
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)


class _Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["content-length"]))
        with self.server.lock:
            self.server.event_ids.append(json.loads(body)["id"])
        self.send_response(200)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@dataclass
class Replicated:
    mesh: Mesh
    database_url: str
    receiver: Receiver
    products: dict[str, str]  # token -> product id
    acked: Counter[str] = field(default_factory=Counter)

    @property
    def gateway(self) -> str:
        return f"http://127.0.0.1:{self.mesh.port}"


async def _seed(url: str, keys: dict[str, str]) -> dict[str, str]:
    async with asyncpg.create_pool(url, min_size=1, max_size=2) as pool:
        rows = await Catalog(pool, KeyRing.from_config(keys, 1)).batch(PRODUCTS)
    return {str(row["token"]): str(row["product_id"]) for row in rows}


@pytest.fixture(scope="module", params=["redis", "rabbitmq"])
def replicated(
    request: pytest.FixtureRequest, deps: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Replicated]:
    """Its own database (on the suite's PostgreSQL), Redis and anvil: the session's worker and anchor service must
    not take this mesh's messages, nor two anchor services share one chain account."""
    state = tmp_path_factory.mktemp("replicas")
    (state / "logs").mkdir()
    name = f"replicas_{uuid.uuid4().hex[:12]}"
    asyncio.run(run_statement(deps["DATABASE_URL"], f'CREATE DATABASE "{name}"'))
    url = database_url(deps["DATABASE_URL"], name)
    redis = EmbeddedRedis(state / "redis", free_port())
    anvil = Anvil(state / "logs" / "anvil.log", free_port())
    # Anchoring and webhook messages through the Redis broker, or through RabbitMQ (a virtual host of its own).
    rabbitmq: RabbitMQ | None = request.getfixturevalue("rabbitmq") if request.param == "rabbitmq" else None
    broker = {"BROKER_URL": rabbitmq.vhost()} if rabbitmq else {}
    receiver = Receiver()
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    mesh = Mesh(
        state,
        url,
        redis.url,
        anvil.url,
        free_port(),
        extra_env=SETTINGS | broker,
        replicas=dict.fromkeys(REPLICATED, REPLICAS),
    )
    try:
        mesh.start(timeout_s=120)
        yield Replicated(mesh, url, receiver, asyncio.run(_seed(url, mesh.token_keys)))
    finally:
        mesh.stop()
        receiver.shutdown()
        anvil.stop()
        redis.stop()
        if rabbitmq:
            rabbitmq.drop(broker["BROKER_URL"])
        asyncio.run(run_statement(deps["DATABASE_URL"], f'DROP DATABASE "{name}" WITH (FORCE)'))


async def _verify(client: httpx.AsyncClient, token: str) -> bool:
    """True when the scan was acknowledged (200); a failed call is not acknowledged, so it must not count."""
    try:
        reply = await client.post(f"/api/verify/{token}", json={})
    except httpx.HTTPError:
        return False
    return reply.status_code == 200


async def _verifier(client: httpx.AsyncClient, stack: Replicated, offset: int, calls: int) -> None:
    for index in range(calls):
        token = list(stack.products)[(offset + index) % len(stack.products)]
        if await _verify(client, token):
            stack.acked[token] += 1


async def _wait(check: Callable[[], Awaitable[bool]], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not await check():
        assert time.monotonic() < deadline, f"{what}: not within {timeout_s:.0f} s"
        await asyncio.sleep(0.5)


def _ledger_verify(stack: Replicated, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **{name: value for name, value in os.environ.items() if name in ("PATH", "HOME", "LANG")},
        "DATABASE_URL": stack.database_url,
        "TOKEN_KEYS": json.dumps(stack.mesh.token_keys),
    }
    command = [sys.executable, "-m", "scan_svc.ledger", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)


@pytest.fixture
async def pool(replicated: Replicated) -> AsyncIterator[asyncpg.Pool]:
    async with asyncpg.create_pool(replicated.database_url, min_size=1, max_size=3) as opened:
        yield opened


@pytest.mark.timeout(300)
async def test_two_replicas_of_everything_do_each_thing_once(replicated: Replicated, pool: asyncpg.Pool) -> None:
    stack = replicated
    assert all(stack.mesh.children[f"{name}-2"].running for name in REPLICATED)
    factory_id = await new_factory(pool)
    signer = TokenSigner(stack.mesh.signing_key, "dev", ISSUER, AUDIENCE)
    operator = bearer(signer.mint("op", Role.OPERATOR, factory_id=factory_id))

    async with (
        httpx.AsyncClient(base_url=stack.gateway, timeout=15) as client,
        grpc.aio.insecure_channel(f"127.0.0.1:{stack.mesh.port}") as channel,
    ):
        stub = rpc.FactoryServiceStub(channel)
        await stub.CreateWebhook(
            pb.CreateWebhookRequest(
                request_id=str(uuid.uuid4()),
                url=f"http://127.0.0.1:{stack.receiver.server_address[1]}/hook",
                events=[pb.WEBHOOK_EVENT_BATCH_ANCHORED],
            ),
            metadata=operator,
        )

        async def create_batches(count: int) -> list[str]:
            made = []
            for _ in range(count):
                request = pb.CreateBatchRequest(
                    request_id=str(uuid.uuid4()), sku="R", product_line="Replicas", quantity=BATCH_SIZE
                )
                made.append((await stub.CreateBatch(request, metadata=operator)).batch.id)
            return made

        loads = [_verifier(client, stack, offset, VERIFIES_EACH) for offset in range(VERIFIERS)]
        creators = [create_batches(BATCHES // 2) for _ in range(2)]
        *_, first, second = await asyncio.gather(*loads, *creators)
    batch_ids = [*first, *second]

    async def anchored() -> bool:
        states = await pool.fetch("SELECT state FROM anchor_records WHERE batch_id = ANY($1::uuid[])", batch_ids)
        return [row["state"] for row in states] == ["ANCHORED"] * BATCHES

    await _wait(anchored, 180, "every batch ANCHORED")

    async def delivered() -> bool:
        states = await pool.fetch("SELECT state FROM webhook_deliveries")
        return len(states) == BATCHES and all(row["state"] == "SUCCEEDED" for row in states)

    await _wait(delivered, 60, "a webhook delivery per anchored batch")

    # Scan counts exact: every acknowledged verify is one scan row and one count, and nothing else was written.
    assert sum(stack.acked.values()) == VERIFIERS * VERIFIES_EACH
    await _assert_scans_match(pool, stack)
    await _assert_ledger_complete(pool, stack)

    # Each batch sealed and anchored once: one aggregate leaf per batch root over every aggregation on the chain.
    roots = await pool.fetch("SELECT batch_root FROM anchor_records WHERE batch_id = ANY($1::uuid[])", batch_ids)
    aggregations = await pool.fetch(
        "SELECT leaves FROM anchor_aggregations WHERE state IN ('SUBMITTED', 'CONFIRMING', 'ANCHORED')"
    )
    carried = Counter(
        bytes(agg["leaves"][i : i + 32]) for agg in aggregations for i in range(0, len(agg["leaves"]), 32)
    )
    assert len(roots) == BATCHES and all(carried[bytes(row["batch_root"])] == 1 for row in roots), carried

    # Each outbox row relayed once: all marked sent, and each batch's anchoring message handled by one worker once
    # (a second relay of a row would be one more "batch sealed" in the workers' logs).
    outbox = await pool.fetch("SELECT batch_id, sent_at FROM anchor_outbox WHERE batch_id = ANY($1::uuid[])", batch_ids)
    assert len(outbox) == BATCHES and all(row["sent_at"] is not None for row in outbox)
    logs = "".join(stack.mesh.children[name].log_path.read_text() for name in ("worker", "worker-2"))
    assert logs.count("batch sealed") == BATCHES, logs

    # Each webhook event delivered once, in one attempt, to the one receiver.
    deliveries = await pool.fetch("SELECT event_id, attempts FROM webhook_deliveries")
    assert sorted(str(row["event_id"]) for row in deliveries) == sorted(stack.receiver.event_ids)
    assert Counter(stack.receiver.event_ids).most_common(1)[0][1] == 1
    assert all(row["attempts"] == 1 for row in deliveries)


async def _assert_scans_match(pool: asyncpg.Pool, stack: Replicated) -> None:
    rows = await pool.fetch(
        """SELECT p.id::text AS product_id, count(s.id) AS scans, coalesce(max(c.scan_count), 0) AS counted
           FROM products p LEFT JOIN scans s ON s.product_id = p.id LEFT JOIN scan_counters c ON c.product_id = p.id
           WHERE p.id = ANY($1::uuid[]) GROUP BY p.id""",
        list(stack.products.values()),
    )
    expected = {stack.products[token]: count for token, count in stack.acked.items()}
    assert {row["product_id"]: row["scans"] for row in rows} == expected
    assert {row["product_id"]: row["counted"] for row in rows} == expected


async def _assert_ledger_complete(pool: asyncpg.Pool, stack: Replicated) -> None:
    """Every committed scan sealed in one unbroken sequence, and voketag-ledger-verify --complete agrees."""

    async def sealed() -> bool:
        result = await asyncio.to_thread(_ledger_verify, stack, "--complete")
        return result.returncode == 0

    await _wait(sealed, 60, "voketag-ledger-verify --complete passing")
    entries = [row["seq"] for row in await pool.fetch("SELECT seq FROM scan_ledger ORDER BY seq")]
    assert entries == list(range(1, len(entries) + 1))
    scans = [row["ledger_seq"] for row in await pool.fetch("SELECT ledger_seq FROM scans")]
    assert len(scans) == len(set(scans)) and set(scans) <= set(entries)
    report = json.loads((await asyncio.to_thread(_ledger_verify, stack)).stdout)
    assert report["ok"] and report["entries_checked"] == len(entries) and report["unchecked_scans"] == 0


def _endpoint_stats(stack: Replicated, port: int) -> dict[str, str]:
    """Envoy's view of one scan endpoint (admin /clusters): health flags and counters by name."""
    text = httpx.get(f"http://127.0.0.1:{stack.mesh.admin_port}/clusters", timeout=5).text
    prefix = f"scan::127.0.0.1:{port}::"
    return dict(line.removeprefix(prefix).split("::", 1) for line in text.splitlines() if line.startswith(prefix))


@pytest.mark.timeout(300)
async def test_a_sigkilled_replica_is_routed_around_and_rejoins(replicated: Replicated, pool: asyncpg.Pool) -> None:
    stack = replicated
    victim = stack.mesh.children["scan-2"]
    port = stack.mesh.grpc_ports["scan-2"]
    before = dict(stack.acked)
    # The runner's supervisor, with a first restart delay long enough to see the mesh serve without the replica.
    down_s = 8.0
    supervisor = Supervisor({"scan-2": victim}, Backoff(first_s=down_s))
    outcomes: list[tuple[float, bool]] = []
    stop = asyncio.Event()

    async def load(client: httpx.AsyncClient, offset: int) -> None:
        tokens = list(stack.products)
        index = offset
        while not stop.is_set():
            token = tokens[index % len(tokens)]
            ok = await _verify(client, token)
            outcomes.append((time.monotonic(), ok))
            if ok:
                stack.acked[token] += 1
            index += 1

    async with httpx.AsyncClient(base_url=stack.gateway, timeout=15) as client:
        workers = [asyncio.create_task(load(client, offset)) for offset in range(4)]
        try:
            await asyncio.sleep(2)
            assert int(_endpoint_stats(stack, port).get("rq_success", "0")) > 0, "the replica took no traffic before"
            os.kill(victim.pid, signal.SIGKILL)
            killed = time.monotonic()
            while supervisor.restarts("scan-2") == 0:
                assert time.monotonic() < killed + down_s + 30, "the supervisor did not restart the replica"
                supervisor.poll()
                await asyncio.sleep(0.2)
            # Envoy keeps an endpoint's counters across the process's death: the new process must add to them.
            served_before = int(_endpoint_stats(stack, port)["rq_success"])

            async def rejoined() -> bool:
                supervisor.poll()
                stats = _endpoint_stats(stack, port)
                return stats.get("health_flags") == "healthy" and int(stats["rq_success"]) > served_before

            await _wait(rejoined, 90, "the restarted replica serving through Envoy again")
            rejoined_after = time.monotonic() - killed
        finally:
            stop.set()
            await asyncio.gather(*workers)

    failures = [at - killed for at, ok in outcomes if not ok]
    routed_around = max(failures, default=0.0)
    print(
        f"\nscan-2 SIGKILLed under load: {len(failures)} of {len(outcomes)} verifies failed, the last "
        f"{routed_around:.2f} s after the kill; the restarted replica served again {rejoined_after:.1f} s after it"
    )
    # While the replica was dead (restart held back), the other one answered every call after the first seconds.
    while_down = [ok for at, ok in outcomes if killed + 3 <= at < killed + down_s]
    assert while_down and all(while_down), f"{while_down.count(False)} of {len(while_down)} failed while down"
    assert sum(stack.acked.values()) > sum(before.values())
    # No acknowledged scan lost, none counted twice.
    await _assert_scans_match(pool, stack)
    await _assert_ledger_complete(pool, stack)
