"""The anchor service (a real process under a mesh) finds its chain node restarted as a fresh chain: it says
so (health detail, metric, proofs no longer ANCHORED through Envoy) and anchors everything again by itself."""

import asyncio
import time

import asyncpg
import grpc
import httpx
from grpc_health.v1 import health_pb2, health_pb2_grpc

from devmesh.mesh import Anvil
from tests.anchor.conftest import make_batch, mining
from voketag.auth import Role, TokenSigner

from .conftest import OwnMesh, wait_for

DETAIL = "voketag.anchor.v1.AnchorService/chain"
SERVING, NOT_SERVING = health_pb2.HealthCheckResponse.SERVING, health_pb2.HealthCheckResponse.NOT_SERVING


def _detail(own_mesh: OwnMesh) -> int:
    with grpc.insecure_channel(f"127.0.0.1:{own_mesh.mesh.grpc_ports['anchor']}") as channel:
        reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=DETAIL), timeout=5)
    return int(reply.status)


def _resyncs(own_mesh: OwnMesh) -> float:
    metrics = httpx.get(f"http://127.0.0.1:{own_mesh.mesh.metrics_ports['anchor']}/metrics", timeout=5).text
    for line in metrics.splitlines():
        if line.startswith('anchor_chain_resyncs_total{reason="chain_changed"}'):
            return float(line.split()[-1])
    return 0.0


def _sql(own_mesh: OwnMesh, query: str, *args: object) -> object:
    async def run() -> object:
        conn = await asyncpg.connect(own_mesh.postgres.url)
        try:
            return await conn.fetchval(query, *args)
        finally:
            await conn.close()

    return asyncio.run(run())


def _new_batch(own_mesh: OwnMesh) -> str:
    """A batch committed with its outbox row, as CreateBatch does."""

    async def run() -> str:
        conn = await asyncpg.connect(own_mesh.postgres.url)
        try:
            batch_id = await make_batch(conn, 10)
            await conn.execute("INSERT INTO anchor_outbox (batch_id) VALUES ($1)", batch_id)
            return batch_id
        finally:
            await conn.close()

    return asyncio.run(run())


def test_a_fresh_chain_is_reported_and_healed_by_the_running_service(own_mesh: OwnMesh) -> None:
    batch_id = _new_batch(own_mesh)
    product_id = _sql(own_mesh, "SELECT id::text FROM products WHERE batch_id = $1 LIMIT 1", batch_id)

    def state() -> object:
        return _sql(own_mesh, "SELECT state FROM anchor_records WHERE batch_id = $1", batch_id)

    token = TokenSigner(own_mesh.mesh.signing_key, "dev", "voketag", "voketag-api").mint("admin-1", Role.ADMIN)
    api = httpx.Client(base_url=own_mesh.gateway, headers={"authorization": f"Bearer {token}"}, timeout=10)
    proof = f"/v1/merkle/proof/{product_id}"
    wait_for(lambda: state() == "ANCHORED", 60, "the batch ANCHORED", pause_s=0.5)
    assert api.get(proof).status_code == 200
    wait_for(lambda: _detail(own_mesh) == SERVING, 30, "the chain detail SERVING")

    # A fresh chain on the node's address; it mines nothing yet, so the re-anchoring stays visible.
    own_mesh.anvil.stop()
    fresh = Anvil(own_mesh.mesh.state_dir / "logs" / "fresh-anvil.log", own_mesh.anvil.port)
    try:
        mining(fresh.url, False)
        reset_at = time.monotonic()
        # NOT_SERVING may come first while the node is merely unreachable: wait for the resync itself. The anchor
        # may also reach the fresh node without a failed call in between, and health details are refreshed every
        # HEALTH_INTERVAL_S (2 s): from the resync on, the detail turns NOT_SERVING within that.
        wait_for(lambda: _resyncs(own_mesh) == 1, 30, "the chain change counted")
        wait_for(lambda: _detail(own_mesh) == NOT_SERVING, 10, "the chain detail NOT_SERVING after the resync")
        assert state() in ("PENDING", "SUBMITTED")
        refused = api.get(proof)
        assert refused.status_code == 400 and "NOT_ANCHORED" in refused.text
        # The service as a whole stays in rotation: the chain is not needed for most anchor RPCs.
        assert api.get("/health").status_code == 200

        mining(fresh.url, True)
        wait_for(lambda: state() == "ANCHORED", 60, "the batch ANCHORED again", pause_s=0.5)
        print(f"\nfresh chain under the running service: ANCHORED again {time.monotonic() - reset_at:.1f} s later")
        wait_for(lambda: _detail(own_mesh) == SERVING, 30, "the chain detail SERVING again")
        assert api.get(proof).status_code == 200
    finally:
        fresh.stop()
        api.close()
