"""Benchmark: CreateBatch of 1,000 / 10,000 / 100,000 / 1,000,000 products next to raw COPY of plain rows.

    .venv/bin/python bench/factory_batches.py [--sizes 1000,10000,100000,1000000] [--runs 20]

Everything runs on loopback in a directory of its own: an embedded PostgreSQL and Redis and one factory
service (native gRPC, no Envoy). For each size: one CreateBatch (products/s), and, in the same run and
database, the baseline: asyncpg COPY of the same number of plain rows (uuid, uuid, bigint, int) into a
table without indexes. Also: the p95 latency of a 1,000-product CreateBatch over --runs calls and the
service's peak resident memory (psutil, sampled every 20 ms while the batches are created).
"""

import argparse
import asyncio
import json
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import asyncpg
import grpc
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from devmesh.mesh import Child, EmbeddedPostgres, EmbeddedRedis, free_port
from voketag import migrations
from voketag.auth import Role, TokenSigner, generate_keypair
from voketag.factory.v1 import factory_service_pb2 as pb
from voketag.factory.v1 import factory_service_pb2_grpc as rpc


class PeakRss:
    """Samples a process's resident memory in a thread and keeps the maximum."""

    def __init__(self, pid: int) -> None:
        self._process = psutil.Process(pid)
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, self._process.memory_info().rss)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


async def baseline_copy(conn: asyncpg.Connection, count: int) -> float:
    """Seconds for a raw COPY of ``count`` plain rows in one transaction."""
    batch_id = uuid.uuid4()
    rows = ((uuid.uuid4(), batch_id, n, n) for n in range(count))
    started = time.perf_counter()
    async with conn.transaction():
        await conn.copy_records_to_table("plain_rows", records=rows, columns=("id", "batch_id", "serial", "leaf"))
    return time.perf_counter() - started


async def run(sizes: list[int], runs: int, state: Path) -> None:
    postgres = EmbeddedPostgres(state / "postgres")
    redis = EmbeddedRedis(state / "redis", free_port())
    private_key, public_key = generate_keypair()
    signer = TokenSigner(private_key, "bench", "voketag", "voketag-api")
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": postgres.url,
        "REDIS_URL": redis.url,
        "AUTH_PUBLIC_KEYS": json.dumps({"bench": public_key}),
        "TOKEN_KEYS": json.dumps({"1": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="}),
        "GRPC_PORT": str(port),
        "METRICS_PORT": str(free_port()),
        "LOG_LEVEL": "WARNING",
    }
    service = Child("factory", [sys.executable, "-m", "factory_svc"], env, state / "factory.log")
    conn = await asyncpg.connect(postgres.url)
    try:
        await migrations.migrate(conn)
        await conn.execute("CREATE TABLE plain_rows (id uuid, batch_id uuid, serial bigint, leaf integer)")
        factory_id = str(uuid.uuid4())
        await conn.execute("INSERT INTO factories (id, name) VALUES ($1, 'bench')", factory_id)
        service.start()
        md = (("authorization", f"Bearer {signer.mint('bench', Role.SERVICE_ACCOUNT, factory_id=factory_id)}"),)
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            await asyncio.wait_for(channel.channel_ready(), 60)
            stub = rpc.FactoryServiceStub(channel)

            async def create(quantity: int) -> float:
                request = pb.CreateBatchRequest(
                    request_id=str(uuid.uuid4()), sku="BENCH", product_line="Bench", quantity=quantity
                )
                started = time.perf_counter()
                await stub.CreateBatch(request, metadata=md, timeout=600)
                return time.perf_counter() - started

            for _ in range(3):  # warm up connections and prepared statements
                await create(1000)
            assert service.process is not None
            rss = PeakRss(service.process.pid)
            print(f"{'products':>10} {'service/s':>12} {'raw COPY/s':>12} {'ratio':>7}")
            for size in sizes:
                service_s = await create(size)
                copy_s = await baseline_copy(conn, size)
                print(f"{size:>10,} {size / service_s:>12,.0f} {size / copy_s:>12,.0f} {copy_s / service_s:>7.2f}")
            latencies = sorted([await create(1000) for _ in range(runs)])
            peak = rss.stop()
        p95 = latencies[max(0, round(0.95 * len(latencies)) - 1)]
        print(
            f"1,000-product CreateBatch over {runs} runs: p50 {statistics.median(latencies) * 1000:.1f} ms, "
            f"p95 {p95 * 1000:.1f} ms (target < 100 ms)"
        )
        print(f"factory service peak RSS: {peak / 2**20:.0f} MiB (target < 500 MiB)")
    finally:
        await conn.close()
        service.stop()
        redis.stop()
        postgres.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000,1000000")
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    state = Path(tempfile.mkdtemp(prefix="bench-factory-"))
    try:
        asyncio.run(run([int(size) for size in args.sizes.split(",")], args.runs, state))
    finally:
        shutil.rmtree(state, ignore_errors=True)


if __name__ == "__main__":
    main()
