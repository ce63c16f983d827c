"""The anchoring loop: aggregate pending batch roots into one transaction, broadcast, follow it to ANCHORED.

Scheduling: a periodic asyncio task inside the anchor service (no second scheduler process). Each tick
runs one cycle under a transaction-scoped advisory lock taken with pg_try_advisory_xact_lock, so any
number of service replicas run at most one cycle at a time; the others skip the tick.

Exactly-once effect: a nonce comes from the database (anchor_nonces, row-locked) in the same transaction
that stores the signed raw transaction and its hash; only then are the bytes broadcast. After a crash the
same bytes are broadcast again (same hash, never a second transaction for the nonce). A transaction
without a receipt is re-sent every rebroadcast_s (a dropped one comes back), replaced with a bounded fee
bump after stuck_after_s, and a mined one that leaves the chain (reorg) is broadcast again and counted
from its new block. Batches become ANCHORED only at the configured confirmation depth. Every cycle first
checks that the node still has the chain and the nonces we anchored on (anchor_svc.resync).

Giving a nonce back (a transaction the node keeps refusing ends FAILED) is safe only if no version can
ever be mined: "the node may have it" (accepted) is recorded before anything could make it true (the
sending flag is committed before each send) and never cleared, and a nonce is released only while no
other live aggregation of ours sits above it.
"""

import asyncio
import contextlib
import logging

import asyncpg

from anchor_svc import storage
from anchor_svc.chain import GWEI, Chain, ChainUnavailable, Fees, Receipt, Rejected, Signed
from anchor_svc.model import Flight, SignedTransaction
from anchor_svc.resync import Resync
from anchor_svc.settings import AnchorSettings
from voketag import merkle
from voketag.locks import Lock, try_xact_lock

log = logging.getLogger("anchor_svc.pump")


class WrongChain(RuntimeError):
    pass


class Anchorer:
    def __init__(self, pool: asyncpg.Pool, chain: Chain, settings: AnchorSettings) -> None:
        self._pool = pool
        self._chain = chain
        self._settings = settings
        self._cap = int(settings.anchor_max_fee_gwei * GWEI)
        self._resync = Resync(pool, chain, settings)
        self._unreachable = ""

    async def check_chain(self) -> None:
        """Refuse to anchor on a node of another chain than configured."""
        chain_id = await self._chain.chain_id()
        if chain_id != self._settings.anchor_chain_id:
            raise WrongChain(
                f"the node reports chain id {chain_id}, ANCHOR_CHAIN_ID is {self._settings.anchor_chain_id}"
            )

    async def run(self, stop: asyncio.Event) -> None:
        """Tick until ``stop`` is set; a failing cycle is logged and retried at the next tick."""
        checked = False
        while not stop.is_set():
            try:
                if not checked:
                    await self.check_chain()
                    checked = True
                await self.cycle()
                self._unreachable = ""
            except WrongChain:
                raise
            except ChainUnavailable as exc:
                self._unreachable = str(exc)
                await self._note_unreachable(str(exc))
            except Exception:
                log.exception("anchoring cycle failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self._settings.anchor_tick_s)

    def chain_problem(self) -> str:
        """What keeps anchoring from normal work now, "" when nothing (the anchor service's health detail)."""
        return self._unreachable or self._resync.problem

    async def cycle(self) -> bool:
        """One pass; False when another process holds the cycle lock."""
        async with self._pool.acquire() as conn, conn.transaction():
            if not await try_xact_lock(conn, Lock.ANCHOR_CYCLE):
                return False
            await self._settle_interrupted_sends()
            await self._resync.check()
            await self.aggregate()
            await self.advance()
        return True

    async def _settle_interrupted_sends(self) -> None:
        """A send still marked at the start of a cycle lost its answer (the process died, or the commit of the
        answer failed) after the node may have taken the bytes: treat it as accepted. Committed at once on its
        own connection, before this cycle reads anything it decides on."""
        async with self._pool.acquire() as conn:
            settled = await storage.settle_interrupted_sends(conn)
        if settled:
            log.warning("send without a recorded answer: treated as accepted", extra={"aggregations": settled})

    async def aggregate(self, force: bool = False) -> int | None:
        """Put all pending batch roots into one aggregate tree and one signed transaction, if due.

        Due when a pending batch was asked for (Anchor RPC), when ``force``, or when the oldest pending
        root has waited anchor_interval_s. Safe to run concurrently: rows are locked, nonces row-locked.
        """
        async with self._pool.acquire() as conn:
            summary = await storage.pending_summary(conn)
        due = force or summary.urgent or summary.waited_s >= self._settings.anchor_interval_s
        if not summary.pending or not due:
            return None
        chain_id = self._settings.anchor_chain_id
        # Chain calls before the transaction: no row lock is held while the node is slow.
        fees = await self._chain.fees()
        confirmed = await self._chain.confirmed_nonce()
        async with self._pool.acquire() as conn, conn.transaction():
            pending = await storage.pending_roots(conn)
            if not pending:
                return None
            roots = [row.batch_root for row in pending]
            # The scan ledger's latest checkpoint rides along as the last leaf (docs/ledger.md).
            checkpoint = await storage.ledger_checkpoint_to_anchor(conn)
            if checkpoint is not None:
                roots.append(checkpoint.commitment())
            aggregate_root = merkle.root([merkle.leaf_hash(root) for root in roots])
            nonce = await storage.allocate_nonce(conn, chain_id, self._chain.sender, confirmed)
            aggregation_id = await storage.insert_aggregation(
                conn, chain_id, self._chain.sender, nonce, aggregate_root, [row.batch_id for row in pending], roots
            )
            if checkpoint is not None:
                await storage.insert_ledger_anchor(conn, aggregation_id, checkpoint, len(roots) - 1)
            signed = self._chain.sign(chain_id, nonce, aggregate_root, fees)
            await storage.insert_transaction(
                conn, aggregation_id, signed.tx_hash, signed.raw, fees.max_fee, fees.priority_fee
            )
        log.info(
            "aggregated",
            extra={"aggregation": aggregation_id, "batches": len(pending), "nonce": nonce, "tx": signed.tx_hash},
        )
        return aggregation_id

    async def advance(self) -> None:
        """Move every aggregation in flight one step (in nonce order)."""
        async with self._pool.acquire() as conn:
            flights = await storage.in_flight(conn)
        if not flights:
            return
        head = await self._chain.block_number()
        for flight in flights:
            await self._advance_one(flight, head)

    async def _advance_one(self, flight: Flight, head: int) -> None:
        aggregation_id = flight.id
        async with self._pool.acquire() as conn:
            signed = await storage.transactions(conn, aggregation_id)
        receipt = await self._find_receipt([row.tx_hash for row in signed])
        if receipt is not None:
            depth = head - receipt.block_number + 1
            async with self._pool.acquire() as conn, conn.transaction():
                if depth >= self._settings.anchor_confirmations:
                    batches = await storage.mark_anchored(
                        conn, aggregation_id, receipt.tx_hash, receipt.block_number, receipt.block_hash, depth
                    )
                    log.info(
                        "anchored", extra={"aggregation": aggregation_id, "tx": receipt.tx_hash, "batches": batches}
                    )
                else:
                    await storage.mark_mined(
                        conn, aggregation_id, receipt.tx_hash, receipt.block_number, receipt.block_hash, max(depth, 1)
                    )
            return
        if flight.state == "CONFIRMING":
            log.warning("transaction left the chain", extra={"aggregation": aggregation_id, "tx": flight.tx_hash})
            async with self._pool.acquire() as conn, conn.transaction():
                await storage.mark_reorged(conn, aggregation_id)
        elif not self._time_to_send(flight):
            return
        tx_hashes = [row.tx_hash for row in signed]
        raw = signed[0].raw
        if self._stuck(flight):
            replacement = await self._replace(flight, signed[0])
            raw = replacement.raw
            if replacement.tx_hash not in tx_hashes:
                # The safety checks must look up every version that may reach the node.
                tx_hashes.insert(0, replacement.tx_hash)
        # Committed before the bytes leave: if the answer is never recorded, the next cycle counts the
        # transaction as accepted (settle_interrupted_sends). Every outcome below clears it in the
        # transaction that records the outcome.
        async with self._pool.acquire() as conn:
            await storage.mark_sending(conn, aggregation_id)
        try:
            await self._chain.broadcast(raw)
        except Rejected as exc:
            await self._rejected(flight, tx_hashes, exc)
            return
        except ChainUnavailable as exc:
            # A timeout or a dropped connection may come after the node took the transaction.
            await self._failed_attempt(aggregation_id, str(exc), flight.attempts, maybe_seen=True)
            return
        async with self._pool.acquire() as conn, conn.transaction():
            await storage.mark_broadcast(conn, aggregation_id)

    def _time_to_send(self, flight: Flight) -> bool:
        if flight.next_attempt_at > flight.now:
            return False
        sent = flight.broadcast_at
        return sent is None or (flight.now - sent).total_seconds() >= self._settings.anchor_rebroadcast_s

    def _stuck(self, flight: Flight) -> bool:
        waited = (flight.now - flight.signed_at).total_seconds()
        return (
            flight.broadcast_at is not None
            and waited >= self._settings.anchor_stuck_after_s
            and flight.fee_bumps < self._settings.anchor_max_fee_bumps
        )

    async def _replace(self, flight: Flight, latest: SignedTransaction) -> Signed:
        """Sign and store (before sending) a replacement with the same nonce and data and higher fees; the
        latest version itself when the fee cap leaves no room."""
        old = Fees(latest.max_fee_per_gas, latest.max_priority_fee_per_gas)
        fees = old.bumped(self._settings.anchor_fee_bump_percent, await self._chain.fees(), self._cap)
        if fees.max_fee <= old.max_fee:
            return Signed(latest.tx_hash, latest.raw)
        signed = self._chain.sign(self._settings.anchor_chain_id, flight.nonce, bytes(flight.root), fees)
        async with self._pool.acquire() as conn, conn.transaction():
            await storage.insert_transaction(
                conn, flight.id, signed.tx_hash, signed.raw, fees.max_fee, fees.priority_fee
            )
            await storage.note_fee_bump(conn, flight.id)
        log.info("fee bump", extra={"aggregation": flight.id, "tx": signed.tx_hash, "max_fee": fees.max_fee})
        return signed

    async def _find_receipt(self, tx_hashes: list[str]) -> Receipt | None:
        for tx_hash in tx_hashes:
            receipt = await self._chain.receipt(tx_hash)
            if receipt is not None:
                return receipt
        return None

    async def _rejected(self, flight: Flight, tx_hashes: list[str], exc: Rejected) -> None:
        """Record the node's error answer to a send (this also ends the send, see mark_sending)."""
        aggregation_id, error = flight.id, str(exc)
        lowered = error.lower()
        if "replacement transaction underpriced" in lowered:
            # An earlier version of ours is still pending for this nonce: nothing to do but wait.
            async with self._pool.acquire() as conn:
                await storage.mark_maybe_seen(conn, aggregation_id)
            return
        message = f"rejected by the node: {error}"
        if not exc.refused:
            # Anything but a refusal of the transaction itself says nothing about whether the node took it.
            if "nonce too low" in lowered:
                try:
                    taken = await self._find_receipt(tx_hashes) is None
                except (ChainUnavailable, Rejected) as lookup:
                    taken, message = False, f"{message}; receipt lookup failed: {lookup}"
                if taken:
                    log.warning("nonce taken by a foreign transaction", extra={"aggregation": aggregation_id})
                    async with self._pool.acquire() as conn, conn.transaction():
                        await storage.abandon(conn, aggregation_id, f"nonce taken by another transaction: {error}")
                    return
            await self._failed_attempt(aggregation_id, message, flight.attempts, maybe_seen=True)
            return
        async with self._pool.acquire() as conn:
            behind = await storage.lower_nonce_in_pool(conn, aggregation_id)
        if behind:
            # The refusal may be caused by an earlier transaction of ours in the pool (geth: "insufficient
            # funds ... queued cost") and clear once it is mined: back off without counting it.
            await self._failed_attempt(
                aggregation_id, f"{message} (an earlier transaction of ours is unmined)", flight.attempts
            )
            return
        refusals = flight.refusals + 1
        if refusals >= self._settings.anchor_max_refusals:
            try:
                safe = await self._never_reached_the_chain(flight, tx_hashes)
            except (ChainUnavailable, Rejected) as lookup:
                # Unknown is not safe: keep the nonce and try again after the usual backoff.
                safe, message = False, f"{message}; safety check failed: {lookup}"
            if safe:
                async with self._pool.acquire() as conn, conn.transaction():
                    batches = await storage.fail_aggregation(
                        conn, aggregation_id, f"{message} ({refusals} times); nonce released"
                    )
                if batches is not None:
                    log.error(
                        "transaction refused by the node, aggregation FAILED",
                        extra={
                            "aggregation": aggregation_id,
                            "nonce": flight.nonce,
                            "error": error,
                            "batches": batches,
                        },
                    )
                    return
                # Accepted meanwhile, or a later aggregation of ours is live: it waits for this nonce.
                message = f"{message} (kept: a later transaction of ours waits for this nonce)"
        await self._failed_attempt(aggregation_id, message, flight.attempts, count_refusal=True)

    async def _never_reached_the_chain(self, flight: Flight, tx_hashes: list[str]) -> bool:
        """True when, as far as the node tells, giving the nonce up cannot leave a second transaction for it.

        A version the node once accepted may still be mined from some pool, one whose hash the node knows
        is there now, and a nonce the chain has counted is gone: each keeps the aggregation retrying (with
        backoff, as an outage). fail_aggregation checks accepted again and the later nonces in the database.
        Raises ChainUnavailable / Rejected when the node cannot tell.
        """
        if flight.accepted or await self._chain.confirmed_nonce() > flight.nonce:
            return False
        for tx_hash in tx_hashes:
            if await self._chain.transaction(tx_hash) is not None:
                return False
        return True

    async def _failed_attempt(
        self,
        aggregation_id: int,
        error: str,
        attempts: int,
        *,
        count_refusal: bool = False,
        maybe_seen: bool = False,
    ) -> None:
        delay = min(self._settings.anchor_backoff_base_s * 2**attempts, self._settings.anchor_backoff_max_s)
        async with self._pool.acquire() as conn, conn.transaction():
            await storage.mark_failed_attempt(
                conn, aggregation_id, error, delay, count_refusal=count_refusal, maybe_seen=maybe_seen
            )

    async def _note_unreachable(self, error: str) -> None:
        try:
            async with self._pool.acquire() as conn:
                await storage.note_unreachable(conn, error)
        except (OSError, asyncpg.PostgresError):
            log.warning("could not record the chain outage", exc_info=True)
