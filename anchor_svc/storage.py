"""asyncpg queries of the anchor service and its actors."""

import json
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

from anchor_svc.leaves import BatchTree
from anchor_svc.model import (
    AnchorRecord,
    BatchLock,
    BatchRow,
    ChainRow,
    Flight,
    LeafRow,
    LedgerAnchorRow,
    MinedAggregation,
    PendingRoot,
    PendingSummary,
    ProofSubject,
    SignedTransaction,
    Unanchored,
)
from voketag import note
from voketag.db import Connection, Where, fetch_one

RECORD_COLUMNS = """
    r.batch_id::text AS batch_id, r.factory_id::text AS factory_id, r.state, r.batch_root, r.batch_size,
    r.chunk_bits, r.aggregate_index, r.attempts, r.last_error, r.created_at, r.updated_at, r.anchored_at,
    r.aggregation_id, a.root AS aggregate_root, a.size AS aggregate_size, a.tx_hash, a.block_number,
    a.confirmations, a.chain_id, a.sender, a.nonce, a.broadcast_at, a.next_attempt_at, a.leaves AS aggregate_leaves,
    a.state AS aggregation_state"""
RECORD_FROM = "anchor_records r LEFT JOIN anchor_aggregations a ON a.id = r.aggregation_id"


async def batch(conn: Connection, batch_id: str) -> BatchRow | None:
    row = await conn.fetchrow(
        """SELECT id::text AS id, factory_id::text AS factory_id, sku, quantity, key_id, state
           FROM batches WHERE id = $1""",
        batch_id,
    )
    return None if row is None else BatchRow(**dict(row))


async def ensure_record(conn: Connection, batch_id: str, urgent: bool) -> bool:
    """Create the anchor record of a batch unless it exists; True when created. The batch goes ANCHORING."""
    created = await conn.fetchval(
        """INSERT INTO anchor_records (batch_id, factory_id, urgent)
           SELECT id, factory_id, $2 FROM batches WHERE id = $1
           ON CONFLICT (batch_id) DO NOTHING RETURNING true""",
        batch_id,
        urgent,
    )
    if created:
        await conn.execute(
            "UPDATE batches SET state = 'ANCHORING', updated_at = now() WHERE id = $1 AND state = 'CREATED'", batch_id
        )
    elif urgent:
        await conn.execute(
            "UPDATE anchor_records SET urgent = true WHERE batch_id = $1 AND state = 'PENDING' AND NOT urgent",
            batch_id,
        )
    return bool(created)


async def leaf_rows(conn: Connection, batch_id: str, page: int) -> AsyncIterator[list[LeafRow]]:
    """The batch's products in leaf order, ``page`` rows at a time (inside a transaction)."""
    cursor = await conn.cursor(
        "SELECT id::text AS id, serial, leaf_index FROM products WHERE batch_id = $1 ORDER BY leaf_index", batch_id
    )
    while rows := await cursor.fetch(page):
        yield [LeafRow(*row) for row in rows]


async def store_tree(conn: Connection, batch_id: str, tree: BatchTree) -> None:
    await conn.executemany(
        "INSERT INTO anchor_tree_levels (batch_id, level, nodes) VALUES ($1, $2, $3)",
        [(batch_id, level, b"".join(nodes)) for level, nodes in enumerate(tree.upper)],
    )
    await conn.execute(
        """UPDATE anchor_records SET batch_root = $2, batch_size = $3, chunk_bits = $4, ready_at = now(),
                  last_error = '', updated_at = now()
           WHERE batch_id = $1""",
        batch_id,
        tree.root,
        tree.size,
        tree.chunk_bits,
    )


async def lock_batch(conn: Connection, batch_id: str) -> BatchLock | None:
    row = await conn.fetchrow("SELECT state, batch_root FROM anchor_records WHERE batch_id = $1 FOR UPDATE", batch_id)
    return None if row is None else BatchLock(**dict(row))


async def record(conn: Connection, batch_id: str) -> AnchorRecord | None:
    row = await conn.fetchrow(f"SELECT {RECORD_COLUMNS} FROM {RECORD_FROM} WHERE r.batch_id = $1", batch_id)
    return None if row is None else AnchorRecord(**dict(row))


async def records_page(
    conn: Connection,
    limit: int,
    after: tuple[datetime, str] | None,
    state: str | None,
    factory_id: str | None,
) -> list[AnchorRecord]:
    """Most recently updated first, keyset-paged by (updated_at, batch_id)."""
    where = Where()
    where.add("r.state = {}", state)
    where.add("r.factory_id = {}::uuid", factory_id)
    if after:
        where.add("(r.updated_at, r.batch_id) < ({}, {}::uuid)", *after)
    rows = await conn.fetch(
        f"""SELECT {RECORD_COLUMNS} FROM {RECORD_FROM} WHERE {where.sql}
            ORDER BY r.updated_at DESC, r.batch_id DESC LIMIT {where.arg(limit)}""",
        *where.args,
    )
    return [AnchorRecord(**dict(row)) for row in rows]


async def fail(conn: Connection, batch_id: str, error: str) -> bool:
    """Mark a batch FAILED (retries exhausted) with its batch_events row; False when it was not pending."""
    row = await conn.fetchrow(
        """UPDATE anchor_records SET state = 'FAILED', last_error = $2, updated_at = now()
           WHERE batch_id = $1 AND state = 'PENDING' RETURNING factory_id, attempts""",
        batch_id,
        error[:500],
    )
    if row is None:
        return False
    await conn.execute("UPDATE batches SET state = 'FAILED', updated_at = now() WHERE id = $1", batch_id)
    await insert_event(
        conn, batch_id, str(row["factory_id"]), "batch.anchor_failed", {"state": "FAILED", "error": error[:500]}
    )
    return True


async def retry(conn: Connection, batch_id: str) -> None:
    await conn.execute(
        """UPDATE anchor_records SET state = 'PENDING', attempts = 0, last_error = '', urgent = true,
                  aggregation_id = NULL, aggregate_index = NULL, updated_at = now()
           WHERE batch_id = $1""",
        batch_id,
    )
    await conn.execute("UPDATE batches SET state = 'ANCHORING', updated_at = now() WHERE id = $1", batch_id)


async def insert_event(conn: Connection, batch_id: str, factory_id: str, kind: str, payload: dict[str, Any]) -> None:
    await conn.execute(
        """INSERT INTO batch_events (id, batch_id, factory_id, type, payload)
           VALUES (gen_random_uuid(), $1, $2, $3, $4::jsonb)""",
        batch_id,
        factory_id,
        kind,
        json.dumps({"batch_id": batch_id, **payload}),
    )


# --- proofs


async def product_by_serial(conn: Connection, serial: int, key_id: int) -> str | None:
    """The id of the product a token names (its serial, under the key id of the product's batch)."""
    return await conn.fetchval(
        """SELECT p.id::text FROM products p JOIN batches b ON b.id = p.batch_id
           WHERE p.serial = $1 AND b.key_id = $2""",
        serial,
        key_id,
    )


async def product_factory(conn: Connection, product_id: str) -> str | None:
    return await conn.fetchval(
        "SELECT b.factory_id::text FROM products p JOIN batches b ON b.id = p.batch_id WHERE p.id = $1", product_id
    )


async def proof_subject(conn: Connection, product_id: str) -> ProofSubject | Unanchored | None:
    """Everything a proof needs in one round trip: the product, its anchor record, the products of its
    chunk (ids and serials in leaf order) and the stored sibling above the chunk on every level (absent
    where a node moved up unpaired)."""
    row = await conn.fetchrow(
        f"""WITH s AS (
                SELECT p.id::text AS product_id, p.serial, p.leaf_index, b.sku, b.key_id, {RECORD_COLUMNS},
                       a.anchored_at AS aggregation_anchored_at,
                       (p.leaf_index >> r.chunk_bits) AS chunk_index
                FROM products p JOIN batches b ON b.id = p.batch_id JOIN {RECORD_FROM} ON r.batch_id = p.batch_id
                WHERE p.id = $1)
            SELECT s.*,
                   ARRAY(SELECT q.id::text FROM products q
                         WHERE q.batch_id = s.batch_id::uuid
                           AND q.leaf_index BETWEEN s.chunk_index << s.chunk_bits
                                                AND ((s.chunk_index + 1) << s.chunk_bits) - 1
                         ORDER BY q.leaf_index) AS chunk_ids,
                   ARRAY(SELECT q.serial FROM products q
                         WHERE q.batch_id = s.batch_id::uuid
                           AND q.leaf_index BETWEEN s.chunk_index << s.chunk_bits
                                                AND ((s.chunk_index + 1) << s.chunk_bits) - 1
                         ORDER BY q.leaf_index) AS chunk_serials,
                   ARRAY(SELECT sibling FROM (
                             SELECT l.level, substring(l.nodes FROM
                                        (((s.chunk_index::bigint >> l.level) # 1) * 32)::integer + 1 FOR 32) AS sibling
                             FROM anchor_tree_levels l WHERE l.batch_id = s.batch_id::uuid) AS siblings
                         WHERE length(sibling) = 32 ORDER BY level) AS upper_path
            FROM s""",
        product_id,
    )
    if row is None:
        return None
    if row["state"] != "ANCHORED":
        return Unanchored(row["batch_id"], row["state"])
    return ProofSubject(
        product_id=row["product_id"],
        serial=row["serial"],
        leaf_index=row["leaf_index"],
        sku=row["sku"],
        key_id=row["key_id"],
        batch_id=row["batch_id"],
        chunk_ids=row["chunk_ids"],
        chunk_serials=row["chunk_serials"],
        upper_path=row["upper_path"],
        batch_size=row["batch_size"],
        chunk_bits=row["chunk_bits"],
        batch_root=bytes(row["batch_root"]),
        aggregate_index=row["aggregate_index"],
        aggregate_size=row["aggregate_size"],
        aggregate_root=bytes(row["aggregate_root"]),
        aggregate_leaves=bytes(row["aggregate_leaves"]),
        chain_id=row["chain_id"],
        tx_hash=row["tx_hash"],
        block_number=row["block_number"],
        sender=row["sender"],
        anchored_at=row["anchored_at"],
    )


# --- aggregation and transactions


async def pending_summary(conn: Connection) -> PendingSummary:
    """How many sealed batches wait, whether one was asked for, and how long the oldest has waited (s)."""
    row = await fetch_one(
        conn,
        """SELECT count(*) AS pending, coalesce(bool_or(urgent), false) AS urgent,
                  coalesce(extract(epoch FROM now() - min(ready_at)), 0)::float8 AS waited_s
           FROM anchor_records WHERE state = 'PENDING' AND batch_root IS NOT NULL""",
    )
    return PendingSummary(**dict(row))


async def pending_roots(conn: Connection) -> list[PendingRoot]:
    """Pending batch roots in aggregation order, locked (rows another aggregator holds are skipped)."""
    rows = await conn.fetch(
        """SELECT batch_id::text AS batch_id, batch_root, urgent, ready_at FROM anchor_records
           WHERE state = 'PENDING' AND batch_root IS NOT NULL
           ORDER BY ready_at, batch_id FOR UPDATE SKIP LOCKED"""
    )
    return [PendingRoot(**dict(row)) for row in rows]


async def ledger_checkpoint_to_anchor(conn: Connection) -> note.Checkpoint | None:
    """The latest signed scan-ledger checkpoint larger than any a live aggregation carries, if there is one."""
    row = await conn.fetchrow(
        """SELECT c.origin, c.tree_size, c.root_hash FROM scan_ledger_checkpoints c
           WHERE c.note_signature IS NOT NULL
             AND c.tree_size > coalesce((SELECT max(l.tree_size) FROM anchor_ledger_checkpoints l
                                         JOIN anchor_aggregations a ON a.id = l.aggregation_id
                                         WHERE a.state IN ('SUBMITTED', 'CONFIRMING', 'ANCHORED')), 0)
           ORDER BY c.tree_size DESC LIMIT 1"""
    )
    return None if row is None else note.Checkpoint(row["origin"], row["tree_size"], row["root_hash"])


async def insert_ledger_anchor(
    conn: Connection, aggregation_id: int, checkpoint: note.Checkpoint, aggregate_index: int
) -> None:
    await conn.execute(
        """INSERT INTO anchor_ledger_checkpoints (aggregation_id, origin, tree_size, root_hash, aggregate_index)
           VALUES ($1, $2, $3, $4, $5)""",
        aggregation_id,
        checkpoint.origin,
        checkpoint.tree_size,
        checkpoint.root_hash,
        aggregate_index,
    )


async def ledger_anchor(conn: Connection, tree_size: int) -> LedgerAnchorRow | None:
    """An anchored ledger checkpoint (the largest when ``tree_size`` is 0) with its aggregation."""
    row = await conn.fetchrow(
        """SELECT l.origin, l.tree_size, l.root_hash, l.aggregate_index, a.leaves, a.size, a.root, a.chain_id,
                  a.tx_hash, a.block_number, a.sender, a.anchored_at
           FROM anchor_ledger_checkpoints l JOIN anchor_aggregations a ON a.id = l.aggregation_id
           WHERE a.state = 'ANCHORED' AND ($1 = 0 OR l.tree_size = $1)
           ORDER BY l.tree_size DESC LIMIT 1""",
        tree_size,
    )
    return None if row is None else LedgerAnchorRow(**dict(row))


async def allocate_nonce(conn: Connection, chain_id: int, sender: str, confirmed: int) -> int:
    """The next nonce of ``sender``; the row lock serialises allocators until their transaction ends.

    A nonce released by a FAILED aggregation comes first (lowest first), so released nonces are filled
    before the counter grows. fail_aggregation releases only a nonce with no live aggregation above it and
    takes the same row lock, so no transaction of ours ever waits behind a released nonce. ``confirmed``
    (the node's latest transaction count) only raises the counter: if the key was used elsewhere, our next
    nonce moves past those transactions.
    """
    await conn.execute(
        "INSERT INTO anchor_nonces (chain_id, sender, next_nonce) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        chain_id,
        sender,
        confirmed,
    )
    await conn.execute("SELECT 1 FROM anchor_nonces WHERE chain_id = $1 AND sender = $2 FOR UPDATE", chain_id, sender)
    # A released nonce below the node's count was taken by a transaction that is not ours: gone for good.
    await conn.execute(
        "DELETE FROM anchor_released_nonces WHERE chain_id = $1 AND sender = $2 AND nonce < $3",
        chain_id,
        sender,
        confirmed,
    )
    reused = await conn.fetchval(
        """DELETE FROM anchor_released_nonces
           WHERE chain_id = $1 AND sender = $2
             AND nonce = (SELECT min(nonce) FROM anchor_released_nonces WHERE chain_id = $1 AND sender = $2)
           RETURNING nonce""",
        chain_id,
        sender,
    )
    if reused is not None:
        return int(reused)
    return int(
        await conn.fetchval(
            """UPDATE anchor_nonces SET next_nonce = greatest(next_nonce, $3) + 1
               WHERE chain_id = $1 AND sender = $2 RETURNING next_nonce - 1""",
            chain_id,
            sender,
            confirmed,
        )
    )


async def insert_aggregation(
    conn: Connection,
    chain_id: int,
    sender: str,
    nonce: int,
    root: bytes,
    batch_ids: Sequence[str],
    leaves: Sequence[bytes],
) -> int:
    aggregation_id = int(
        await conn.fetchval(
            """INSERT INTO anchor_aggregations (chain_id, sender, nonce, root, leaves, size, tx_hash, chain_ref)
               VALUES ($1, $2, $3, $4, $5, $6, '', (SELECT id FROM anchor_chains WHERE retired_at IS NULL))
               RETURNING id""",
            chain_id,
            sender,
            nonce,
            root,
            b"".join(leaves),
            len(leaves),
        )
    )
    await conn.execute(
        """UPDATE anchor_records r SET state = 'SUBMITTED', aggregation_id = $1, aggregate_index = t.index - 1,
                  urgent = false, updated_at = now()
           FROM unnest($2::uuid[]) WITH ORDINALITY AS t(batch_id, index) WHERE r.batch_id = t.batch_id""",
        aggregation_id,
        list(batch_ids),
    )
    return aggregation_id


async def insert_transaction(
    conn: Connection, aggregation_id: int, tx_hash: str, raw: bytes, max_fee: int, priority_fee: int
) -> None:
    """Store a signed transaction and make it the aggregation's current one (before it is broadcast).

    Re-anchoring the same batches with the same nonce and fees after a chain reset signs the very bytes of
    the ORPHANED aggregation's transaction: that one then belongs to the new aggregation. Any other clash
    of hashes raises (it would mean one transaction for two live aggregations).
    """
    stored = await conn.fetchval(
        """INSERT INTO anchor_transactions (tx_hash, aggregation_id, raw, max_fee_per_gas, max_priority_fee_per_gas)
           VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (tx_hash) DO UPDATE SET aggregation_id = EXCLUDED.aggregation_id, created_at = now()
           WHERE (SELECT state FROM anchor_aggregations WHERE id = anchor_transactions.aggregation_id) = 'ORPHANED'
           RETURNING tx_hash""",
        tx_hash,
        aggregation_id,
        raw,
        max_fee,
        priority_fee,
    )
    if stored is None:
        raise RuntimeError(f"transaction {tx_hash} already belongs to another live aggregation")
    await conn.execute(
        "UPDATE anchor_aggregations SET tx_hash = $2, signed_at = now() WHERE id = $1", aggregation_id, tx_hash
    )


async def in_flight(conn: Connection) -> list[Flight]:
    rows = await conn.fetch(
        """SELECT id, nonce, root, state, tx_hash, block_hash, fee_bumps, attempts, accepted, refusals,
                  broadcast_at, signed_at, next_attempt_at, now() AS now
           FROM anchor_aggregations WHERE state IN ('SUBMITTED', 'CONFIRMING') ORDER BY nonce"""
    )
    return [Flight(**dict(row)) for row in rows]


async def transactions(conn: Connection, aggregation_id: int) -> list[SignedTransaction]:
    """Signed transactions of an aggregation, newest first."""
    rows = await conn.fetch(
        """SELECT tx_hash, raw, max_fee_per_gas, max_priority_fee_per_gas FROM anchor_transactions
           WHERE aggregation_id = $1 ORDER BY created_at DESC, tx_hash""",
        aggregation_id,
    )
    # numeric(78) arrives as Decimal; fees are whole wei.
    return [
        SignedTransaction(
            row["tx_hash"], bytes(row["raw"]), int(row["max_fee_per_gas"]), int(row["max_priority_fee_per_gas"])
        )
        for row in rows
    ]


async def set_records_state(conn: Connection, aggregation_id: int, state: str) -> None:
    await conn.execute(
        "UPDATE anchor_records SET state = $2, updated_at = now() WHERE aggregation_id = $1 AND state <> $2",
        aggregation_id,
        state,
    )


async def mark_mined(
    conn: Connection, aggregation_id: int, tx_hash: str, block_number: int, block_hash: str, confirmations: int
) -> None:
    await conn.execute(
        """UPDATE anchor_aggregations SET state = 'CONFIRMING', tx_hash = $2, block_number = $3, block_hash = $4,
                  confirmations = $5, last_error = ''
           WHERE id = $1""",
        aggregation_id,
        tx_hash,
        block_number,
        block_hash,
        confirmations,
    )
    await set_records_state(conn, aggregation_id, "CONFIRMING")


async def mark_anchored(
    conn: Connection, aggregation_id: int, tx_hash: str, block_number: int, block_hash: str, confirmations: int
) -> list[str]:
    """ANCHORED, for the aggregation and all its batches, with one batch_events row per batch."""
    agg = await fetch_one(
        conn,
        """UPDATE anchor_aggregations SET state = 'ANCHORED', tx_hash = $2, block_number = $3, block_hash = $4,
                  confirmations = $5, anchored_at = now(), last_error = ''
           WHERE id = $1 RETURNING chain_id, root, sender""",
        aggregation_id,
        tx_hash,
        block_number,
        block_hash,
        confirmations,
    )
    rows = await conn.fetch(
        """UPDATE anchor_records SET state = 'ANCHORED', anchored_at = now(), updated_at = now(), last_error = ''
           WHERE aggregation_id = $1
           RETURNING batch_id::text AS batch_id, factory_id::text AS factory_id, batch_root""",
        aggregation_id,
    )
    await conn.execute(
        "UPDATE batches SET state = 'ANCHORED', updated_at = now() WHERE id = ANY($1::uuid[])",
        [row["batch_id"] for row in rows],
    )
    for row in rows:
        await insert_event(
            conn,
            row["batch_id"],
            row["factory_id"],
            "batch.anchored",
            {
                "state": "ANCHORED",
                "chain_id": agg["chain_id"],
                "tx_hash": tx_hash,
                "block_number": block_number,
                "confirmations": confirmations,
                "sender": agg["sender"],
                "batch_root": row["batch_root"].hex(),
                "aggregate_root": agg["root"].hex(),
                "proof_url": f"/v1/anchor/{row['batch_id']}",
            },
        )
    return [row["batch_id"] for row in rows]


async def mark_reorged(conn: Connection, aggregation_id: int) -> None:
    """The mined transaction vanished from the chain: back to SUBMITTED, broadcast again at once."""
    await conn.execute(
        """UPDATE anchor_aggregations SET state = 'SUBMITTED', block_number = NULL, block_hash = NULL,
                  confirmations = 0, reorgs = reorgs + 1, broadcast_at = NULL, next_attempt_at = now(),
                  last_error = 'transaction left the chain (reorg); broadcasting it again'
           WHERE id = $1""",
        aggregation_id,
    )
    await set_records_state(conn, aggregation_id, "SUBMITTED")


async def settle_interrupted_sends(conn: Connection) -> list[int]:
    """Aggregations whose last send never had its answer recorded (crash, failed commit) become accepted:
    the node may hold that transaction, so its nonce must never be released. Run only under the cycle lock,
    when no send of this cycle has started yet."""
    rows = await conn.fetch(
        "UPDATE anchor_aggregations SET accepted = true, sending = false WHERE sending RETURNING id"
    )
    return [int(row["id"]) for row in rows]


async def mark_sending(conn: Connection, aggregation_id: int) -> None:
    """Committed before the bytes go out: from here until the answer is recorded, the node may have them."""
    await conn.execute("UPDATE anchor_aggregations SET sending = true WHERE id = $1", aggregation_id)


async def mark_maybe_seen(conn: Connection, aggregation_id: int) -> None:
    """An answer that shows a version of ours is (or may be) in the node's pool, with nothing else to record."""
    await conn.execute("UPDATE anchor_aggregations SET accepted = true, sending = false WHERE id = $1", aggregation_id)


async def lower_nonce_in_pool(conn: Connection, aggregation_id: int) -> bool:
    """Whether an unmined aggregation below this one's nonce (same chain and sender) may be in the node's pool.

    Its cost counts against the balance the node checks ours with (geth: "insufficient funds ... queued
    cost"), so a refusal now may be gone once that one is mined.
    """
    return bool(
        await conn.fetchval(
            """SELECT EXISTS (
                   SELECT 1 FROM anchor_aggregations a JOIN anchor_aggregations o
                     ON o.chain_id = a.chain_id AND o.sender = a.sender AND o.nonce < a.nonce
                   WHERE a.id = $1 AND o.state = 'SUBMITTED' AND (o.accepted OR o.sending))""",
            aggregation_id,
        )
    )


async def mark_broadcast(conn: Connection, aggregation_id: int) -> None:
    await conn.execute(
        """UPDATE anchor_aggregations SET broadcast_at = now(), attempts = attempts + 1, accepted = true,
                  sending = false, last_error = ''
           WHERE id = $1""",
        aggregation_id,
    )
    await conn.execute(
        """UPDATE anchor_records SET attempts = attempts + 1, last_error = '', updated_at = now()
           WHERE aggregation_id = $1""",
        aggregation_id,
    )


async def mark_failed_attempt(
    conn: Connection,
    aggregation_id: int,
    error: str,
    retry_in_s: float,
    *,
    count_refusal: bool = False,
    maybe_seen: bool = False,
) -> None:
    """A send (or the checks after it) failed: back off. Ends the send: ``maybe_seen`` (no clear answer, the
    node may have the bytes) makes the aggregation accepted for good, ``count_refusal`` counts a refusal."""
    await conn.execute(
        """UPDATE anchor_aggregations SET attempts = attempts + 1, refusals = refusals + $4::int,
                  accepted = accepted OR $5::bool, sending = false, last_error = $2,
                  next_attempt_at = now() + make_interval(secs => $3)
           WHERE id = $1""",
        aggregation_id,
        error[:500],
        retry_in_s,
        int(count_refusal),
        maybe_seen,
    )
    await conn.execute(
        """UPDATE anchor_records SET attempts = attempts + 1, last_error = $2, updated_at = now()
           WHERE aggregation_id = $1""",
        aggregation_id,
        error[:500],
    )


async def note_fee_bump(conn: Connection, aggregation_id: int) -> None:
    await conn.execute("UPDATE anchor_aggregations SET fee_bumps = fee_bumps + 1 WHERE id = $1", aggregation_id)


async def abandon(conn: Connection, aggregation_id: int, error: str) -> None:
    """The nonce went to a transaction that is not ours: the batches wait for the next aggregation."""
    await conn.execute(
        "UPDATE anchor_aggregations SET state = 'ABANDONED', sending = false, last_error = $2 WHERE id = $1",
        aggregation_id,
        error[:500],
    )
    await conn.execute(
        """UPDATE anchor_records SET state = 'PENDING', aggregation_id = NULL, aggregate_index = NULL, urgent = true,
                  last_error = $2, updated_at = now()
           WHERE aggregation_id = $1""",
        aggregation_id,
        error[:500],
    )


async def fail_aggregation(conn: Connection, aggregation_id: int, error: str) -> list[str] | None:
    """The node refused the transaction for good: FAILED (aggregation, batches, one event per batch), and
    the nonce is released for the next aggregation; the failed batch ids. None (nothing changed) unless the
    node never accepted it and no other live aggregation of ours (any state but FAILED) has a higher nonce.

    A higher one may sit in some pool and cannot be mined before this nonce is filled: releasing would leave
    it waiting for a new aggregation that may never come, so this one keeps retrying instead. The check runs
    under the anchor_nonces row lock that allocate_nonce holds until its aggregation is committed, so no
    aggregation above this nonce can appear unseen; released nonces therefore always lie above every live one.
    """
    await conn.execute(
        """SELECT 1 FROM anchor_nonces n JOIN anchor_aggregations a ON a.chain_id = n.chain_id AND a.sender = n.sender
           WHERE a.id = $1 FOR UPDATE OF n""",
        aggregation_id,
    )
    agg = await conn.fetchrow(
        """UPDATE anchor_aggregations a SET state = 'FAILED', sending = false, last_error = $2,
                  attempts = attempts + 1, refusals = refusals + 1
           WHERE a.id = $1 AND a.state = 'SUBMITTED' AND NOT a.accepted
             AND NOT EXISTS (SELECT 1 FROM anchor_aggregations o
                             WHERE o.chain_id = a.chain_id AND o.sender = a.sender AND o.nonce > a.nonce
                               AND o.state NOT IN ('FAILED', 'ORPHANED'))
           RETURNING a.chain_id, a.sender, a.nonce""",
        aggregation_id,
        error[:500],
    )
    if agg is None:
        return None
    await conn.execute(
        "INSERT INTO anchor_released_nonces (chain_id, sender, nonce) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        agg["chain_id"],
        agg["sender"],
        agg["nonce"],
    )
    # Detached like an ABANDONED one: RetryAnchor puts the batches into a new aggregation.
    rows = await conn.fetch(
        """UPDATE anchor_records SET state = 'FAILED', aggregation_id = NULL, aggregate_index = NULL, urgent = false,
                  attempts = attempts + 1, last_error = $2, updated_at = now()
           WHERE aggregation_id = $1
           RETURNING batch_id::text AS batch_id, factory_id::text AS factory_id""",
        aggregation_id,
        error[:500],
    )
    batch_ids = [row["batch_id"] for row in rows]
    await conn.execute("UPDATE batches SET state = 'FAILED', updated_at = now() WHERE id = ANY($1::uuid[])", batch_ids)
    for row in rows:
        await insert_event(
            conn, row["batch_id"], row["factory_id"], "batch.anchor_failed", {"state": "FAILED", "error": error[:500]}
        )
    return batch_ids


async def note_unreachable(conn: Connection, error: str) -> None:
    """Make a chain outage visible on every record that waits for the chain."""
    await conn.execute(
        """UPDATE anchor_records SET last_error = $1, updated_at = now()
           WHERE state IN ('PENDING', 'SUBMITTED', 'CONFIRMING') AND last_error <> $1""",
        error[:500],
    )


async def current_chain(conn: Connection) -> ChainRow | None:
    row = await conn.fetchrow("SELECT id, chain_id, genesis_hash FROM anchor_chains WHERE retired_at IS NULL")
    return None if row is None else ChainRow(**dict(row))


async def latest_mined_unrecorded(conn: Connection) -> MinedAggregation | None:
    """The newest ANCHORED aggregation sent before the chain was recorded (chain_ref NULL); a CONFIRMING one
    could still be reorganised away without the chain being another."""
    row = await conn.fetchrow(
        """SELECT id, tx_hash, block_number, block_hash FROM anchor_aggregations
           WHERE chain_ref IS NULL AND state = 'ANCHORED' ORDER BY block_number DESC LIMIT 1"""
    )
    return None if row is None else MinedAggregation(**dict(row))


async def adopt_chain(conn: Connection, chain_id: int, genesis_hash: str, unrecorded_too: bool) -> int:
    """Make (chain_id, genesis_hash) the current chain; with ``unrecorded_too`` the aggregations sent before
    chains were recorded count as sent to it."""
    await conn.execute("UPDATE anchor_chains SET retired_at = now() WHERE retired_at IS NULL")
    chain_ref = int(
        await conn.fetchval(
            """INSERT INTO anchor_chains (chain_id, genesis_hash) VALUES ($1, $2)
               ON CONFLICT (chain_id, genesis_hash) DO UPDATE SET retired_at = NULL RETURNING id""",
            chain_id,
            genesis_hash,
        )
    )
    if unrecorded_too:
        await conn.execute("UPDATE anchor_aggregations SET chain_ref = $1 WHERE chain_ref IS NULL", chain_ref)
    return chain_ref


async def orphan_other_chains(conn: Connection, chain_ref: int, error: str) -> list[str]:
    """Every aggregation that lives on another chain than ``chain_ref`` (or on an unrecorded one) is ORPHANED;
    returns the batch ids that go back to PENDING."""
    return await _orphan(
        conn,
        "state IN ('SUBMITTED', 'CONFIRMING', 'ANCHORED', 'ABANDONED') AND chain_ref IS DISTINCT FROM $1",
        chain_ref,
        error,
    )


async def orphan_unmined(conn: Connection, chain_ref: int, error: str) -> list[str]:
    """The SUBMITTED aggregations of chain ``chain_ref`` (stuck behind a nonce gap) are ORPHANED; returns the
    batch ids that go back to PENDING."""
    return await _orphan(conn, "state = 'SUBMITTED' AND chain_ref = $1", chain_ref, error)


async def _orphan(conn: Connection, which: str, chain_ref: int, error: str) -> list[str]:
    """ORPHANED for the aggregations ``which`` selects; their batches PENDING again, urgent, with ``error``."""
    rows = await conn.fetch(
        f"""WITH gone AS (
                UPDATE anchor_aggregations SET state = 'ORPHANED', sending = false, last_error = $2
                WHERE {which} RETURNING id)
            UPDATE anchor_records r SET state = 'PENDING', aggregation_id = NULL, aggregate_index = NULL,
                   urgent = true, anchored_at = NULL, last_error = $2, updated_at = now()
            FROM gone WHERE r.aggregation_id = gone.id
            RETURNING r.batch_id::text AS batch_id""",
        chain_ref,
        error[:500],
    )
    batch_ids = [row["batch_id"] for row in rows]
    await conn.execute(
        "UPDATE batches SET state = 'ANCHORING', updated_at = now() WHERE id = ANY($1::uuid[]) AND state = 'ANCHORED'",
        batch_ids,
    )
    return batch_ids


async def restart_nonces(conn: Connection, chain_id: int, sender: str, confirmed: int) -> None:
    """Nonces from the chain again: the counter restarts at the node's count, released nonces are void."""
    await conn.execute(
        "UPDATE anchor_nonces SET next_nonce = $3 WHERE chain_id = $1 AND sender = $2", chain_id, sender, confirmed
    )
    await conn.execute("DELETE FROM anchor_released_nonces WHERE chain_id = $1 AND sender = $2", chain_id, sender)


async def lowest_submitted_nonce(conn: Connection, chain_ref: int) -> int | None:
    value = await conn.fetchval(
        "SELECT min(nonce) FROM anchor_aggregations WHERE state = 'SUBMITTED' AND chain_ref = $1", chain_ref
    )
    return None if value is None else int(value)


async def not_settled(conn: Connection, batch_ids: Sequence[str]) -> list[str]:
    """The batches of ``batch_ids`` that are neither ANCHORED nor FAILED."""
    rows = await conn.fetch(
        """SELECT batch_id::text AS batch_id FROM anchor_records
           WHERE batch_id = ANY($1::uuid[]) AND state NOT IN ('ANCHORED', 'FAILED')""",
        list(batch_ids),
    )
    return [row["batch_id"] for row in rows]
