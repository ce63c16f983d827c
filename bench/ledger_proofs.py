"""Benchmark: scan ledger proofs from stored Merkle nodes against the full read of every leaf hash.

    .venv/bin/python bench/ledger_proofs.py [--sizes 100000,1000000] [--proofs 200] [--full-proofs 5]

For each ledger size (ascending; the ledger grows from one to the next), in an embedded PostgreSQL:
1. scan_ledger is seeded in SQL (generate_series + sha256 leaf hashes) as a ledger sealed without nodes, and the
   sealer stores its Merkle nodes (the path an upgraded database takes): time and bytes per entry.
2. Inclusion proofs (GetLedgerInclusionProof's work) and consistency proofs (GetLedgerConsistencyProof's) of
   random leaves and sizes, the way the service serves them now (scan_svc.tlog / scan_svc.ledger: one query of
   O(log n) nodes) and the way it did before (every leaf hash up to the tree size, tree recomputed), in the same
   run; both give the same proof, and it verifies against the signed checkpoint. Median and p99 in ms, and the
   ratio of the medians.
Loopback only; everything runs in a temporary directory and is removed afterwards.
"""

import argparse
import asyncio
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import asyncpg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from devmesh.mesh import EmbeddedPostgres
from scan_svc.ledger import Ledger
from scan_svc.storage import LedgerStore
from scan_svc.tlog import Transparency
from voketag import merkle, migrations, note

ORIGIN = "bench.voketag.example/scan-ledger"


def summary(latencies: list[float]) -> tuple[float, float]:
    ordered = sorted(latencies)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


def since(started: float) -> float:
    return (time.perf_counter() - started) * 1000


async def grow(pool: asyncpg.Pool, ledger: Ledger, size: int, frontier: list[bytes]) -> list[bytes]:
    """Seal entries up to ``size`` as an older sealer did (leaf and chain hashes, no nodes), then let the sealer
    store their nodes; returns the frontier."""
    old = await pool.fetchval("SELECT tree_size FROM scan_ledger_state")
    started = time.perf_counter()
    await pool.execute(
        """INSERT INTO scan_ledger (seq, void, leaf_hash, chain_hash)
           SELECT i, false, sha256('\\x00'::bytea || int8send(i)), '\\x'::bytea
           FROM generate_series($1::bigint, $2::bigint) AS i""",
        old + 1,
        size,
    )
    seeded = time.perf_counter() - started
    # The sealer's state as the older sealer left it: its frontier covers the new entries.
    for row in await pool.fetch("SELECT leaf_hash FROM scan_ledger WHERE seq > $1 ORDER BY seq", old):
        frontier, _ = merkle.append_nodes(frontier, old, row["leaf_hash"])
        old += 1
    await pool.execute("UPDATE scan_ledger_state SET tree_size = $1, frontier = $2", size, frontier)
    started = time.perf_counter()
    await ledger.seal(force_checkpoint=True)
    stored = time.perf_counter() - started
    nodes_bytes = await pool.fetchval("SELECT pg_total_relation_size('scan_ledger_nodes')")
    ledger_bytes = await pool.fetchval("SELECT pg_total_relation_size('scan_ledger')")
    rows = await pool.fetchval("SELECT count(*) FROM scan_ledger_nodes")
    print(
        f"[nodes] {size:,} entries: seeded in SQL {seeded:.1f} s; sealer stored the nodes in {stored:.1f} s; "
        f"{rows:,} node rows, {nodes_bytes / size:.0f} bytes per entry with the index "
        f"(scan_ledger itself: {ledger_bytes / size:.0f})"
    )
    return frontier


async def every_leaf(store: LedgerStore, size: int) -> list[bytes]:
    rows = await store.pool.fetch("SELECT leaf_hash FROM scan_ledger WHERE seq <= $1 ORDER BY seq", size)
    return [row["leaf_hash"] for row in rows]


async def full_inclusion(store: LedgerStore, index: int, size: int) -> tuple[bytes, list[bytes]]:
    """What GetLedgerInclusionProof did before the nodes: the checkpoint, every leaf hash, the whole tree."""
    await store.note_checkpoint(store.pool, size)
    leaves = await every_leaf(store, size)
    return leaves[index], merkle.inclusion_proof(leaves, index)


async def full_consistency(store: LedgerStore, first: int, second: int) -> tuple[list[bytes], bytes, bytes]:
    leaves = await every_leaf(store, second)
    return merkle.consistency_proof(first, leaves), merkle.root(leaves[:first]), merkle.root(leaves)


async def bench_size(
    pool: asyncpg.Pool, ledger: Ledger, transparency: Transparency, size: int, args: argparse.Namespace
) -> None:
    store = LedgerStore(pool)
    checkpoint = await ledger.latest()
    assert checkpoint is not None and checkpoint.tree_size == size
    draw = random.Random(size)
    indexes = [draw.randrange(size) for _ in range(args.proofs)]
    firsts = [draw.randint(1, size) for _ in range(args.proofs)]

    new_inclusion, new_consistency = [], []
    for index, first in zip(indexes, firsts, strict=True):
        started = time.perf_counter()
        _, leaf, path, _ = await transparency.inclusion(index, size)
        new_inclusion.append(since(started))
        assert merkle.verify_inclusion(leaf, index, size, path, checkpoint.root_hash)
        started = time.perf_counter()
        proof, first_root, second_root = await ledger.consistency(first, size)
        new_consistency.append(since(started))
        assert second_root == checkpoint.root_hash
        assert merkle.verify_consistency(first, size, first_root, second_root, proof)

    old_inclusion, old_consistency = [], []
    for index, first in zip(indexes[: args.full_proofs], firsts[: args.full_proofs], strict=True):
        started = time.perf_counter()
        full = await full_inclusion(store, index, size)
        old_inclusion.append(since(started))
        assert full == (await transparency.inclusion(index, size))[1:3]
        started = time.perf_counter()
        answer = await full_consistency(store, first, size)
        old_consistency.append(since(started))
        assert answer == await ledger.consistency(first, size)

    for name, new, old in (
        ("inclusion", new_inclusion, old_inclusion),
        ("consistency", new_consistency, old_consistency),
    ):
        (new_p50, new_p99), (old_p50, old_p99) = summary(new), summary(old)
        print(
            f"[{name}] {size:,} entries: stored nodes p50 {new_p50:.2f} ms p99 {new_p99:.2f} ms ({len(new)} proofs); "
            f"every leaf p50 {old_p50:.0f} ms p99 {old_p99:.0f} ms ({len(old)}); ratio {old_p50 / new_p50:,.0f}x"
        )


async def run(url: str, sizes: list[int], args: argparse.Namespace) -> None:
    async with asyncpg.create_pool(url, min_size=1, max_size=2) as pool:
        async with pool.acquire() as conn:
            await migrations.migrate(conn)
        key = Ed25519PrivateKey.generate()
        signer = note.Signer(ORIGIN, key)
        ledger = Ledger(LedgerStore(pool), key, "bench", 0, 3600, notary=signer)
        transparency = Transparency(LedgerStore(pool), signer, [])
        frontier: list[bytes] = []
        for size in sizes:
            frontier = await grow(pool, ledger, size, frontier)
            await bench_size(pool, ledger, transparency, size, args)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100000,1000000", help="ledger sizes, comma-separated, ascending")
    parser.add_argument("--proofs", type=int, default=200, help="proofs of each kind served from stored nodes")
    parser.add_argument("--full-proofs", type=int, default=5, help="proofs of each kind the old way (slow)")
    args = parser.parse_args()
    sizes = sorted(int(size) for size in args.sizes.split(","))
    workdir = Path(tempfile.mkdtemp(prefix="ledger-bench-"))
    workdir.chmod(0o755)  # pgserver runs PostgreSQL as its own user
    postgres = EmbeddedPostgres(workdir / "postgres")
    try:
        asyncio.run(run(postgres.url, sizes, args))
    finally:
        postgres.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
