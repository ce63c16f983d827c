"""Sealing batches: stored upper levels, proofs assembled from one recomputed chunk, idempotency."""

import asyncio
import random

import pytest

from anchor_svc import leaves, storage
from anchor_svc.sealing import IncompleteBatch, UnknownBatch, seal
from anchor_svc.usecases import Anchoring
from voketag import merkle

from .conftest import RING, SENDER, make_batch, settings_for


async def all_leaf_hashes(conn, batch_id: str) -> list[bytes]:
    batch = await storage.batch(conn, batch_id)
    rows = await conn.fetch(
        "SELECT id::text AS id, serial FROM products WHERE batch_id = $1 ORDER BY leaf_index", batch_id
    )
    return [
        merkle.leaf_hash(
            leaves.product_leaf(RING.issue(r["serial"], 1), batch_id, r["id"], r["serial"], batch.sku).encode()
        )
        for r in rows
    ]


async def stand_in_anchor(conn, batch_id: str, batch_root: bytes) -> None:
    """Mark a sealed batch ANCHORED in an aggregation of its own root alone (no chain needed for proofs)."""
    aggregation = await conn.fetchval(
        """INSERT INTO anchor_aggregations (chain_id, sender, nonce, root, leaves, size, tx_hash, state, block_number)
           VALUES (31337, $1, (SELECT count(*) FROM anchor_aggregations), $2, $3, 1, '0x00', 'ANCHORED', 1)
           RETURNING id""",
        SENDER,
        merkle.leaf_hash(batch_root),
        batch_root,
    )
    await conn.execute(
        """UPDATE anchor_records SET state = 'ANCHORED', aggregation_id = $2, aggregate_index = 0, anchored_at = now()
           WHERE batch_id = $1""",
        batch_id,
        aggregation,
    )


@pytest.mark.parametrize(("size", "bits"), [(1, 8), (2, 0), (1000, 3), (1000, 8), (4096, 8), (777, 10)])
async def test_proofs_from_stored_levels_equal_full_tree_proofs(pool, database, size, bits):
    anchoring = Anchoring(pool, None, RING, settings_for(database, "http://127.0.0.1:1"), lambda _: None)
    async with pool.acquire() as conn:
        batch_id = await make_batch(conn, size)
        root = await seal(conn, batch_id, RING, bits)
        hashes = await all_leaf_hashes(conn, batch_id)
        assert root == merkle.root(hashes)
        stored = await conn.fetchval("SELECT sum(length(nodes)) FROM anchor_tree_levels WHERE batch_id = $1", batch_id)
        chunks = -(-size // (1 << bits))
        # Upper levels only: ~2 hashes per chunk (+1 per level for an unpaired node), far below one hash per product.
        assert stored <= (2 * chunks + 20) * 32
        await stand_in_anchor(conn, batch_id, root)
        ids = await conn.fetch("SELECT id::text AS id, leaf_index FROM products WHERE batch_id = $1", batch_id)
    for product in random.Random(size).sample(ids, min(size, 40)):
        index = product["leaf_index"]
        bundle = await anchoring.proof(product["id"])
        assert bundle.leaf_index == index and bundle.batch_size == size and bundle.batch_root == root
        assert merkle.leaf_hash(bundle.leaf.encode()) == hashes[index]
        assert bundle.batch_path == merkle.inclusion_proof(hashes, index)
        assert merkle.verify_inclusion(hashes[index], index, size, bundle.batch_path, root)


async def test_leaf_encoding_round_trips_and_is_documented_form(pool):
    leaf = leaves.product_leaf(
        "ABC", "0f8fad5b-d9cb-469f-a165-70867728950e", "7c9e6679-7425-40de-944b-e07fc1f90ae7", 42, "SKU-1"
    )
    data = leaf.encode()
    assert data.startswith(
        b"voketag-leaf-v1|0f8fad5b-d9cb-469f-a165-70867728950e|7c9e6679-7425-40de-944b-e07fc1f90ae7|42|SKU-1|"
    )
    assert leaves.decode(data) == leaf
    assert leaves.decode(data + b"\n") is None
    assert leaves.decode(data.replace(b"|42|", b"|042|")) is None
    assert leaves.decode(b"\xff") is None


async def test_sealing_twice_or_concurrently_stores_one_tree(pool):
    async with pool.acquire() as conn:
        batch_id = await make_batch(conn, 300)

    async def once() -> bytes:
        async with pool.acquire() as conn:
            return await seal(conn, batch_id, RING, 4)

    roots = await asyncio.gather(*(once() for _ in range(4)))
    assert len(set(roots)) == 1
    async with pool.acquire() as conn:
        assert await seal(conn, batch_id, RING, 4) == roots[0]
        levels = await conn.fetchval("SELECT count(*) FROM anchor_tree_levels WHERE batch_id = $1", batch_id)
        assert levels == len(merkle.levels([b"x" * 32] * 19))
        record = await storage.record(conn, batch_id)
        assert record.state == "PENDING" and record.batch_size == 300
        assert await conn.fetchval("SELECT state FROM batches WHERE id = $1", batch_id) == "ANCHORING"


async def test_incomplete_or_unknown_batches_are_refused(pool):
    async with pool.acquire() as conn:
        batch_id = await make_batch(conn, 10)
        await conn.execute("DELETE FROM products WHERE batch_id = $1 AND leaf_index = 4", batch_id)
        with pytest.raises(IncompleteBatch):
            await seal(conn, batch_id, RING, 2)
        assert (await storage.record(conn, batch_id)).batch_root is None
        with pytest.raises(UnknownBatch):
            await seal(conn, "00000000-0000-0000-0000-000000000000", RING, 2)
