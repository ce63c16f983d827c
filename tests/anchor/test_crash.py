"""The anchor service SIGKILLed right after broadcasting, before recording it: exactly one transaction."""

import json
import os
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

from anchor_svc import storage
from anchor_svc.sealing import seal
from devmesh.mesh import Child, free_port

from .conftest import RING, TOKEN_KEYS, make_batch, mining, rpc, sender_transactions, states, wait_for


class KillingProxy:
    """JSON-RPC pass-through to anvil that, once armed, SIGKILLs a process after forwarding a raw transaction."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.victim: int | None = None
        self.sent: list[str] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                answer = httpx.post(proxy.upstream, content=body, headers={"content-type": "application/json"})
                request = json.loads(body)
                if isinstance(request, dict) and request.get("method") == "eth_sendRawTransaction":
                    proxy.sent.append(request["params"][0])
                    if proxy.victim is not None:
                        # The node has the transaction; its sender dies before it hears back.
                        os.kill(proxy.victim, signal.SIGKILL)
                        proxy.victim = None
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def anchor_service(tmp_path, database: str, redis_url: str, rpc_url: str, name: str) -> Child:
    env = {
        **os.environ,
        "DATABASE_URL": database,
        "REDIS_URL": redis_url,
        "ETH_RPC_URL": rpc_url,
        "GRPC_PORT": str(free_port()),
        "METRICS_PORT": str(free_port()),
        "TOKEN_KEYS": json.dumps(TOKEN_KEYS),
        "ANCHOR_CONFIRMATIONS": "2",
        "ANCHOR_TICK_S": "0.2",
        "ANCHOR_REBROADCAST_S": "1",
        "ANCHOR_INTERVAL_S": "3600",
    }
    child = Child(name, [sys.executable, "-m", "anchor_svc"], env, tmp_path / f"{name}.log")
    child.start()
    return child


async def test_killed_after_broadcast_before_recording_sends_exactly_one_transaction(
    tmp_path, pool, database, anvil, deps
):
    async with pool.acquire() as conn:
        batch_ids = [await make_batch(conn, 4) for _ in range(2)]
        for batch_id in batch_ids:
            await seal(conn, batch_id, RING, 1)
        await storage.ensure_record(conn, batch_ids[0], urgent=True)
    # No mining until the restart, and the node forgets the transaction: only a rebroadcast can anchor it.
    mining(anvil.url, False)
    proxy = KillingProxy(anvil.url)
    first = second = None
    try:
        first = anchor_service(tmp_path, database, deps["REDIS_URL"], proxy.url, "anchor-1")
        proxy.victim = first.process.pid
        await wait_for(lambda: _exited(first), timeout_s=60)
        assert first.process.returncode == -signal.SIGKILL
        aggregation = await pool.fetchrow("SELECT * FROM anchor_aggregations")
        # Signed and stored before the broadcast; the broadcast itself was never recorded.
        assert aggregation["tx_hash"] and aggregation["broadcast_at"] is None
        assert len(proxy.sent) == 1
        rpc(anvil.url, "anvil_dropTransaction", aggregation["tx_hash"])

        second = anchor_service(tmp_path, database, deps["REDIS_URL"], proxy.url, "anchor-2")
        await wait_for(lambda: _sent_again(proxy), timeout_s=60)
        mining(anvil.url, True)

        async def anchored() -> bool:
            return set((await states(pool, batch_ids)).values()) == {"ANCHORED"}

        await wait_for(anchored, timeout_s=60)
    finally:
        for child in (first, second):
            if child is not None:
                child.stop()
        proxy.close()
    mined = sender_transactions(anvil.url)
    assert len(mined) == 1
    assert mined[0]["hash"] == aggregation["tx_hash"]
    assert bytes.fromhex(mined[0]["input"][2:]) == aggregation["root"]
    # What was sent again after the restart was the very same signed bytes.
    assert len(proxy.sent) >= 2 and len(set(proxy.sent)) == 1
    assert await pool.fetchval("SELECT count(*) FROM anchor_aggregations") == 1


async def _sent_again(proxy: KillingProxy) -> bool:
    return len(proxy.sent) >= 2


async def _exited(child: Child) -> bool:
    return child.process is not None and child.process.poll() is not None
