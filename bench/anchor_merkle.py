"""Benchmark: RFC 6962 Merkle trees and anchoring.

    .venv/bin/python bench/anchor_merkle.py [--leaves 1000000] [--proofs 2000] [--e2e-size 10000]

1. Root of N leaves (voketag.merkle: N leaf hashes + N-1 node hashes) next to the hash-bound limit measured in
   the same run: the same number of SHA-256 calls (2N-1) in a tight loop; and pymerkle 7 (InmemoryTree,
   the same RFC 6962 hashing) when it is installed.
2. Proof latency (GetMerkleProof's work: 3 queries + one recomputed 256-leaf chunk + assembly) for random
   products of one N-product batch in an embedded PostgreSQL, next to a `SELECT 1` round trip.
3. End to end on anvil with 1-second blocks: batch rows inserted -> sealed -> aggregated -> broadcast ->
   ANCHORED at 3 confirmations, next to the floor of waiting 3 blocks.
Loopback only; everything runs in a temporary directory and is removed afterwards.
"""

import argparse
import asyncio
import hashlib
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pydantic import SecretStr

from anchor_svc.chain import Chain
from anchor_svc.pump import Anchorer
from anchor_svc.sealing import seal
from anchor_svc.settings import ANVIL_DEV_KEY, AnchorSettings
from anchor_svc.usecases import Anchoring
from devmesh.mesh import Anvil, EmbeddedPostgres, free_port
from voketag import merkle, migrations
from voketag.tokens import KeyRing

KEYS = {"1": "YW5jaG9yLWJlbmNoLXRva2VuLWtleS0zMi1ieXRlcyE="}
RING = KeyRing.from_config(KEYS, 1)


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def bench_root(n: int) -> None:
    data = [f"voketag-leaf-v1|batch|{i:08d}|{i}|SKU-1|{'ab' * 32}".encode() for i in range(n)]
    sha = hashlib.sha256
    started = time.perf_counter()
    for item in data:
        sha(item).digest()
    for item in data[: n - 1]:
        sha(item).digest()
    raw = time.perf_counter() - started

    started = time.perf_counter()
    root = merkle.root([merkle.leaf_hash(item) for item in data])
    ours = time.perf_counter() - started
    print(
        f"[root] {n:,} leaves: voketag.merkle {ours:.2f} s; {2 * n - 1:,} raw SHA-256 calls {raw:.2f} s; "
        f"ratio {ours / raw:.2f}x the hash-bound limit"
    )
    try:
        from pymerkle import InmemoryTree
    except ImportError:
        print("[root] pymerkle not installed: skipped")
        return
    started = time.perf_counter()
    tree = InmemoryTree(algorithm="sha256")
    for item in data:
        tree.append_entry(item)
    theirs_root = tree.get_root()
    theirs = time.perf_counter() - started
    print(
        f"[root] pymerkle 7 InmemoryTree {theirs:.2f} s ({theirs / ours:.1f}x voketag.merkle); "
        f"same root: {theirs_root == root}"
    )


async def make_batch(conn: asyncpg.Connection, size: int) -> str:
    batch_id = await conn.fetchval(
        """WITH f AS (INSERT INTO factories (id, name) VALUES (gen_random_uuid(), 'bench') RETURNING id)
           INSERT INTO batches (id, factory_id, sku, product_line, quantity, key_id)
           SELECT gen_random_uuid(), f.id, 'SKU-1', 'Line', $1, 1 FROM f RETURNING id::text""",
        size,
    )
    first = await conn.fetchval(
        "UPDATE serial_counter SET next_serial = next_serial + $1 RETURNING next_serial - $1", size
    )
    await conn.execute(
        """INSERT INTO products (id, batch_id, serial, leaf_index)
           SELECT gen_random_uuid(), $1, $2 + i, i FROM generate_series(0, $3 - 1) AS i""",
        batch_id, first, size,
    )  # fmt: skip
    return str(batch_id)


async def bench_proofs(url: str, n: int, count: int) -> None:
    pool = await asyncpg.create_pool(url, min_size=1, max_size=4)
    settings = AnchorSettings(database_url=url, token_keys=KEYS, grpc_port=0, metrics_port=0)  # type: ignore[arg-type]
    async with pool.acquire() as conn:
        await migrations.migrate(conn)
        started = time.perf_counter()
        batch_id = await make_batch(conn, n)
        inserted = time.perf_counter() - started
        started = time.perf_counter()
        batch_root = await seal(conn, batch_id, RING, settings.anchor_chunk_bits)
        sealed = time.perf_counter() - started
        stored = await conn.fetchval("SELECT sum(length(nodes)) FROM anchor_tree_levels WHERE batch_id = $1", batch_id)
        # A stand-in aggregation so that the batch counts as ANCHORED (the chain plays no part in a proof).
        aggregation = await conn.fetchval(
            """INSERT INTO anchor_aggregations
                   (chain_id, sender, nonce, root, leaves, size, tx_hash, state, block_number)
               VALUES (31337, 'bench', 0, $1, $2, 1, '0x00', 'ANCHORED', 1) RETURNING id""",
            merkle.leaf_hash(batch_root), batch_root,
        )  # fmt: skip
        await conn.execute(
            """UPDATE anchor_records SET state = 'ANCHORED', aggregation_id = $2, aggregate_index = 0,
                      anchored_at = now() WHERE batch_id = $1""",
            batch_id, aggregation,
        )  # fmt: skip
        products = await conn.fetch(
            "SELECT id::text AS id FROM products WHERE batch_id = $1 AND leaf_index = ANY($2::int[])",
            batch_id, random.Random(5).sample(range(n), count),
        )  # fmt: skip
    print(
        f"[proof] batch of {n:,}: rows inserted {inserted:.1f} s, sealed {sealed:.1f} s, "
        f"stored levels {stored / 1024:.0f} KiB ({stored / n:.2f} bytes per product; one proof is "
        f"{32 * (n - 1).bit_length()} bytes)"
    )
    anchoring = Anchoring(pool, None, RING, settings, lambda _: None)  # type: ignore[arg-type]
    latencies, floor = [], []
    for row in products:
        started = time.perf_counter()
        bundle = await anchoring.proof(row["id"])
        latencies.append((time.perf_counter() - started) * 1000)
        assert merkle.verify_inclusion(
            merkle.leaf_hash(bundle.leaf.encode()), bundle.leaf_index, n, bundle.batch_path, batch_root
        )
        started = time.perf_counter()
        await pool.fetchval("SELECT 1")
        floor.append((time.perf_counter() - started) * 1000)
    p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
    f50, f99 = percentile(floor, 50), percentile(floor, 99)
    print(
        f"[proof] {count:,} random products: p50 {p50:.2f} ms, p99 {p99:.2f} ms (all verified); "
        f"SELECT 1 round trip p50 {f50:.2f} ms, p99 {f99:.2f} ms; ratio p99 {p99 / f99:.1f}x"
    )
    await pool.close()


async def bench_end_to_end(url: str, anvil_url: str, size: int) -> None:
    settings = AnchorSettings(
        database_url=url, eth_rpc_url=anvil_url, token_keys=KEYS, grpc_port=0, metrics_port=0, anchor_tick_s=0.1
    )  # type: ignore[arg-type]
    pool = await asyncpg.create_pool(url, min_size=1, max_size=8)
    chain = Chain(SecretStr(anvil_url), 5, SecretStr(ANVIL_DEV_KEY))
    anchorer = Anchorer(pool, chain, settings)
    started = time.perf_counter()
    async with pool.acquire() as conn:
        batch_id = await make_batch(conn, size)
        await seal(conn, batch_id, RING, settings.anchor_chunk_bits)
        await conn.execute("UPDATE anchor_records SET urgent = true WHERE batch_id = $1", batch_id)
    sealed = time.perf_counter() - started
    while await pool.fetchval("SELECT state FROM anchor_records WHERE batch_id = $1", batch_id) != "ANCHORED":
        await anchorer.cycle()
        await asyncio.sleep(settings.anchor_tick_s)
    total = time.perf_counter() - started
    floor = settings.anchor_confirmations * 1.0
    print(
        f"[e2e] batch of {size:,} on anvil (1 s blocks, {settings.anchor_confirmations} confirmations): "
        f"created+sealed {sealed:.2f} s, ANCHORED after {total:.2f} s; floor of {settings.anchor_confirmations} "
        f"blocks {floor:.1f} s; ratio {total / floor:.2f}x"
    )
    await chain.close()
    await pool.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--leaves", type=int, default=1_000_000)
    parser.add_argument("--proofs", type=int, default=2000)
    parser.add_argument("--e2e-size", type=int, default=10_000)
    args = parser.parse_args()
    bench_root(args.leaves)
    workdir = Path(tempfile.mkdtemp(prefix="anchor-bench-"))
    postgres = EmbeddedPostgres(workdir / "postgres")
    anvil = Anvil(workdir / "anvil.log", free_port())
    try:
        asyncio.run(bench_proofs(postgres.url, args.leaves, args.proofs))
        asyncio.run(bench_end_to_end(postgres.url, anvil.url, args.e2e_size))
    finally:
        anvil.stop()
        postgres.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
