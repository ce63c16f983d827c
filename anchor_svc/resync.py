"""The node no longer has the chain our anchors live on, and anchoring heals itself.

Seen: `make up` kept PostgreSQL's data but started a fresh anvil. The stored next nonce (5) was ahead of the
chain's (0), every new transaction waited in the node's queue forever, fee bumps ran out, and batches anchored
on the old chain still said ANCHORED. Two checks run at the start of every anchoring cycle:

- Chain identity: the genesis block hash of the node, against the chain recorded in anchor_chains. Another
  one (a reset, a replaced node, another network with the same chain id) retires the recorded chain; every
  aggregation on it becomes ORPHANED and its batches PENDING again (ANCHORED ones too: the chain no longer
  has their transaction, so their proofs are not verifiable), nonces restart at the node's count, and the
  next cycle anchors them on the current chain.
- Nonce gap on the current chain: our lowest unmined nonce is above the node's count and the node holds
  nothing of ours ready to mine, so nothing can ever fill the nonces between (the node lost our pool, or the
  database refers to more than the chain kept). Those aggregations are ORPHANED and anchored again the same way.

Either is reported in the log (error), on every affected record and aggregation (last_error), by
anchor_chain_resyncs_total{reason} and anchor_batches_reanchored_total, and as ``problem`` (the anchor
service's health detail "voketag.anchor.v1.AnchorService/chain") until those batches are ANCHORED again.
"""

import logging

import asyncpg
from prometheus_client import Counter

from anchor_svc import storage
from anchor_svc.chain import Chain
from anchor_svc.settings import AnchorSettings

log = logging.getLogger("anchor_svc.resync")

RESYNCS = Counter(
    "anchor_chain_resyncs_total",
    "Times anchoring found the node without the chain or nonces it had anchored on, by reason",
    ["reason"],
)
REANCHORED = Counter(
    "anchor_batches_reanchored_total", "Batches sent back to PENDING because the chain no longer has their anchor"
)


class Resync:
    def __init__(self, pool: asyncpg.Pool, chain: Chain, settings: AnchorSettings) -> None:
        self._pool = pool
        self._chain = chain
        self._chain_id = settings.anchor_chain_id
        self.problem = ""
        self._reanchoring: list[str] = []

    async def check(self) -> None:
        """Detect and repair a changed chain or a nonce gap; run under the anchoring-cycle lock."""
        await self._follow_up()
        genesis = await self._chain.block_hash(0)
        if genesis is None:
            return
        async with self._pool.acquire() as conn:
            current = await storage.current_chain(conn)
        if current is None:
            await self._first_sight(genesis)
        elif current.genesis_hash != genesis or current.chain_id != self._chain_id:
            await self._changed(
                f"the node's chain (genesis {genesis}) is not the one anchored on (genesis {current.genesis_hash})",
                genesis,
            )
        else:
            await self._close_gap(current.id)

    async def _first_sight(self, genesis: str) -> None:
        """No chain recorded yet: aggregations sent before belong to this chain if it has their newest block."""
        async with self._pool.acquire() as conn:
            mined = await storage.latest_mined_unrecorded(conn)
        if mined is not None and await self._chain.block_hash(mined.block_number) != mined.block_hash:
            await self._changed(
                f"the node's chain has no block {mined.block_hash} (transaction {mined.tx_hash})", genesis
            )
            return
        async with self._pool.acquire() as conn, conn.transaction():
            await storage.adopt_chain(conn, self._chain_id, genesis, unrecorded_too=True)
        log.info("anchoring on chain", extra={"chain_id": self._chain_id, "genesis": genesis})

    async def _changed(self, finding: str, genesis: str) -> None:
        confirmed = await self._chain.confirmed_nonce()
        error = f"chain changed: {finding}; anchoring again on the current chain"
        async with self._pool.acquire() as conn, conn.transaction():
            chain_ref = await storage.adopt_chain(conn, self._chain_id, genesis, unrecorded_too=False)
            batches = await storage.orphan_other_chains(conn, chain_ref, error)
            await storage.restart_nonces(conn, self._chain_id, self._chain.sender, confirmed)
        self._report("chain_changed", error, batches, confirmed)

    async def _close_gap(self, chain_ref: int) -> None:
        async with self._pool.acquire() as conn:
            lowest = await storage.lowest_submitted_nonce(conn, chain_ref)
        if lowest is None:
            return
        confirmed = await self._chain.confirmed_nonce()
        if lowest <= confirmed or await self._chain.pending_nonce() > confirmed:
            return
        error = (
            f"nonce gap: the chain's next nonce is {confirmed}, ours waited at {lowest} and nothing of ours can "
            "fill the gap; anchoring again with nonces from the chain"
        )
        async with self._pool.acquire() as conn, conn.transaction():
            batches = await storage.orphan_unmined(conn, chain_ref, error)
            await storage.restart_nonces(conn, self._chain_id, self._chain.sender, confirmed)
        self._report("nonce_gap", error, batches, confirmed)

    async def _follow_up(self) -> None:
        """Clear ``problem`` once every batch sent back by a resync is anchored again (or FAILED, which is
        reported on its own)."""
        if not self._reanchoring:
            return
        async with self._pool.acquire() as conn:
            self._reanchoring = await storage.not_settled(conn, self._reanchoring)
        if not self._reanchoring:
            log.info("re-anchoring done")
            self.problem = ""

    def _report(self, reason: str, error: str, batches: list[str], confirmed: int) -> None:
        RESYNCS.labels(reason).inc()
        REANCHORED.inc(len(batches))
        log.error(error, extra={"reason": reason, "batches": len(batches), "next_nonce": confirmed})
        self._reanchoring += batches
        if self._reanchoring:
            self.problem = f"re-anchoring {len(self._reanchoring)} batches: {error}"
