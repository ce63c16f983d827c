"""Sealing a batch: compute its Merkle tree from the products and store the upper levels (idempotent)."""

from anchor_svc import leaves, storage
from anchor_svc.model import BatchRow
from voketag import merkle
from voketag.db import Connection
from voketag.tokens import KeyRing

# Products read per round trip while a batch tree is built.
PAGE = 8192


class UnknownBatch(LookupError):
    """The batch does not exist (no retry can help)."""


class IncompleteBatch(RuntimeError):
    """The batch's products are not all there (yet), or their leaf indices have gaps."""


async def seal(conn: Connection, batch_id: str, ring: KeyRing, chunk_bits: int) -> bytes:
    """Make sure the batch has an anchor record and a stored tree; return the batch root.

    Safe under at-least-once delivery: a second (or concurrent) run finds the stored root and stops.
    """
    batch = await storage.batch(conn, batch_id)
    if batch is None:
        raise UnknownBatch(batch_id)
    # The record is committed on its own, so that a batch whose sealing keeps failing can be marked FAILED.
    async with conn.transaction():
        await storage.ensure_record(conn, batch_id, urgent=False)
    async with conn.transaction():
        # Concurrent deliveries of the same message wait here; the second one finds the root.
        existing = await storage.lock_batch(conn, batch_id)
        if existing is None:
            raise UnknownBatch(batch_id)
        if existing.batch_root is not None:
            return bytes(existing.batch_root)
        tree = await _compute(conn, batch, ring, chunk_bits)
        await storage.store_tree(conn, batch_id, tree)
        return tree.root


async def _compute(conn: Connection, batch: BatchRow, ring: KeyRing, chunk_bits: int) -> leaves.BatchTree:
    batch_id, sku, key_id = batch.id, batch.sku, batch.key_id
    hashes: list[bytes] = []
    expected = 0
    async for rows in storage.leaf_rows(conn, batch_id, PAGE):
        for row in rows:
            if row.leaf_index != expected:
                raise IncompleteBatch(f"batch {batch_id}: leaf index {expected} is missing")
            expected += 1
            leaf = leaves.product_leaf(ring.issue(row.serial, key_id), batch_id, row.id, row.serial, sku)
            hashes.append(merkle.leaf_hash(leaf.encode()))
    if expected != batch.quantity:
        raise IncompleteBatch(f"batch {batch_id}: {expected} of {batch.quantity} products present")
    return leaves.build_tree(merkle.chunk_roots(hashes, chunk_bits), expected, chunk_bits)
