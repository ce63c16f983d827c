"""Use cases behind the RPCs: storage + domain, raising the shared domain errors. No protobuf here."""

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Protocol

import asyncpg

from anchor_svc import domain, leaves, storage
from anchor_svc.chain import Chain, ChainUnavailable
from anchor_svc.model import AnchorRecord, ProofSubject, Unanchored
from anchor_svc.settings import AnchorSettings
from voketag import audit, merkle, paging
from voketag.auth import Principal, Role
from voketag.errors import FailedPrecondition, NotFound, Unavailable
from voketag.tokens import KeyRing, TokenError

STATES = ("PENDING", "SUBMITTED", "CONFIRMING", "ANCHORED", "FAILED")


def _sees_all(principal: Principal | None) -> bool:
    return principal is not None and principal.role in (Role.ADMIN, Role.AUDITOR)


def _visible(principal: Principal | None, factory_id: str) -> bool:
    return _sees_all(principal) or (principal is not None and principal.factory_id == factory_id)


def _not_found(batch_id: str) -> NotFound:
    return NotFound("BATCH_NOT_FOUND", f"batch {batch_id} not found", metadata={"batch_id": batch_id})


@dataclass(frozen=True)
class Verification:
    batch_id: str
    ok: bool
    tx_found: bool
    sender_matches: bool
    data_matches: bool
    confirmations: int
    required_confirmations: int
    block_number: int
    chain_id: int
    tx_hash: str
    explanation: str
    checked_at: datetime


class ChainFacts(Protocol):
    """The anchoring transaction of an aggregate, as the stored rows (frozen, so read-only here) carry it."""

    @property
    def chain_id(self) -> int: ...
    @property
    def tx_hash(self) -> str: ...
    @property
    def block_number(self) -> int: ...
    @property
    def sender(self) -> str: ...
    @property
    def anchored_at(self) -> datetime: ...


@dataclass(frozen=True)
class Aggregated:
    """Where a commitment (a batch root, a ledger checkpoint) sits in an anchored aggregate tree, and the chain
    transaction that carries the aggregate's root: the part a batch's proof bundle and a ledger anchor share."""

    aggregate_index: int
    aggregate_size: int
    aggregate_path: list[bytes]
    aggregate_root: bytes
    chain_id: int
    tx_hash: str
    block_number: int
    sender: str
    anchored_at: datetime

    @classmethod
    def of(cls, roots: list[bytes], index: int, root: bytes, chain: ChainFacts) -> "Aggregated":
        return cls(
            aggregate_index=index,
            aggregate_size=len(roots),
            aggregate_path=domain.aggregate_path(roots, index),
            aggregate_root=root,
            chain_id=chain.chain_id,
            tx_hash=chain.tx_hash,
            block_number=chain.block_number,
            sender=chain.sender,
            anchored_at=chain.anchored_at,
        )


@dataclass(frozen=True)
class Bundle:
    leaf: leaves.Leaf
    leaf_index: int
    batch_size: int
    batch_path: list[bytes]
    batch_root: bytes
    anchor: Aggregated


@dataclass(frozen=True)
class LedgerAnchor:
    """A scan-ledger checkpoint in an anchored aggregate tree (docs/ledger.md)."""

    origin: str
    tree_size: int
    root_hash: bytes
    commitment: bytes
    anchor: Aggregated


class Anchoring:
    def __init__(
        self,
        pool: asyncpg.Pool,
        chain: Chain,
        ring: KeyRing,
        settings: AnchorSettings,
        enqueue: Callable[[str], None],
    ) -> None:
        self._pool = pool
        self._chain = chain
        self._ring = ring
        self._settings = settings
        self._enqueue = enqueue

    @property
    def required_confirmations(self) -> int:
        return self._settings.anchor_confirmations

    async def anchor(self, principal: Principal | None, batch_id: str) -> AnchorRecord:
        """Idempotent by batch id: the first call creates the record and queues the sealing."""
        async with self._pool.acquire() as conn:
            batch = await storage.batch(conn, batch_id)
            if batch is None or not _visible(principal, batch.factory_id):
                raise _not_found(batch_id)
            async with conn.transaction():
                # Every request is recorded, not only the first: a repeated one still marks the batch urgent.
                await storage.ensure_record(conn, batch_id, urgent=True)
                await audit.record(conn, "batch", batch_id, {"anchor": "requested"})
            record = await storage.record(conn, batch_id)
        if record is None:
            raise _not_found(batch_id)
        # A record still without its tree is (re)queued: sealing is idempotent, and this covers a lost enqueue.
        if record.batch_root is None and record.state == "PENDING":
            await asyncio.to_thread(self._enqueue, batch_id)
        return record

    async def get(self, principal: Principal | None, batch_id: str) -> AnchorRecord:
        async with self._pool.acquire() as conn:
            record = await storage.record(conn, batch_id)
        if record is None or not _visible(principal, record.factory_id):
            raise NotFound(
                "ANCHOR_NOT_FOUND", f"no anchor record for batch {batch_id}", metadata={"batch_id": batch_id}
            )
        return record

    async def list(
        self, principal: Principal | None, page_size: int, page_token: str, state: str | None, factory_id: str | None
    ) -> tuple[list[AnchorRecord], str]:
        limit = paging.page_size(page_size)
        if not _sees_all(principal):
            if factory_id and principal is not None and factory_id != principal.factory_id:
                return [], ""
            factory_id = principal.factory_id if principal else None
            if not factory_id:
                return [], ""
        filters = {"state": state or "", "factory_id": factory_id or ""}
        key = paging.decode_token(page_token, filters, (datetime.fromisoformat, uuid.UUID))
        after = (datetime.fromisoformat(key[0]), str(uuid.UUID(key[1]))) if key else None
        async with self._pool.acquire() as conn:
            rows = await storage.records_page(conn, limit + 1, after, state, factory_id)
        page = paging.paginate(rows, limit, lambda row: [row.updated_at.isoformat(), str(row.batch_id)], filters)
        return page.items, page.next_page_token

    async def retry(self, batch_id: str) -> AnchorRecord:
        async with self._pool.acquire() as conn:
            async with conn.transaction():
                current = await storage.lock_batch(conn, batch_id)
                if current is None:
                    raise NotFound("ANCHOR_NOT_FOUND", f"no anchor record for batch {batch_id}")
                if current.state != "FAILED":
                    raise FailedPrecondition(
                        "ANCHOR_NOT_FAILED",
                        f"only a FAILED anchor can be retried; this one is {current.state}",
                        metadata={"state": current.state},
                    )
                await storage.retry(conn, batch_id)
                await audit.record(conn, "batch", batch_id, {"anchor": "retried"})
            record = await storage.record(conn, batch_id)
        if record is None:
            raise NotFound("ANCHOR_NOT_FOUND", f"no anchor record for batch {batch_id}")
        if record.batch_root is None:
            await asyncio.to_thread(self._enqueue, batch_id)
        return record

    async def verify(self, batch_id: str) -> Verification:
        async with self._pool.acquire() as conn:
            record = await storage.record(conn, batch_id)
        if record is None:
            raise NotFound(
                "ANCHOR_NOT_FOUND", f"no anchor record for batch {batch_id}", metadata={"batch_id": batch_id}
            )
        required = self._settings.anchor_confirmations
        now = datetime.now(UTC)
        verification = partial(Verification, batch_id=batch_id, required_confirmations=required, checked_at=now)
        sent = record.submission()
        if sent is None:
            return verification(
                ok=False, tx_found=False, sender_matches=False, data_matches=False, confirmations=0, block_number=0,
                chain_id=self._settings.anchor_chain_id, tx_hash="",
                explanation=f"not submitted yet (state {record.state})",
            )  # fmt: skip
        tx_hash = sent.tx_hash
        try:
            chain_id = await self._chain.chain_id()
            tx = await self._chain.transaction(tx_hash)
            receipt = await self._chain.receipt(tx_hash)
            head = await self._chain.block_number()
        except ChainUnavailable as exc:
            raise Unavailable("CHAIN_UNAVAILABLE", "the chain node does not answer; try again later") from exc
        roots = domain.split_roots(sent.aggregate_leaves)
        index = sent.aggregate_index
        included = domain.batch_root_in_aggregate(
            sent.batch_root,
            index,
            len(roots),
            domain.aggregate_path(roots, index),
            sent.aggregate_root,
        )
        if tx is None or receipt is None or receipt.status != 1:
            return verification(
                ok=False, tx_found=False, sender_matches=False, data_matches=False, confirmations=0, block_number=0,
                chain_id=chain_id, tx_hash=tx_hash,
                explanation="the transaction is not on the chain (pending, dropped or reorganised away)",
            )  # fmt: skip
        sender_ok = tx.sender == sent.sender == self._chain.sender
        data_ok = tx.data == sent.aggregate_root and included
        depth = head - receipt.block_number + 1
        ok = sender_ok and data_ok and chain_id == sent.chain_id and depth >= required
        if chain_id != sent.chain_id:
            explanation = f"the node is on chain {chain_id}, the anchor on chain {sent.chain_id}"
        elif not sender_ok:
            explanation = "the transaction was not sent by the anchoring address"
        elif not data_ok:
            explanation = "the transaction data is not the aggregate root that contains this batch root"
        elif depth < required:
            explanation = f"found with {depth} of {required} confirmations"
        else:
            explanation = f"anchored: transaction found in block {receipt.block_number} with {depth} confirmations"
        return verification(
            ok=ok, tx_found=True, sender_matches=sender_ok, data_matches=data_ok, confirmations=max(depth, 0),
            block_number=receipt.block_number, chain_id=chain_id, tx_hash=tx_hash, explanation=explanation,
        )  # fmt: skip

    async def proof_for_token(self, token: str) -> Bundle:
        """The proof of the product this token was printed on: what anyone holding the product may ask."""
        try:
            claims = self._ring.verify(token.upper())
        except TokenError:
            # Forged, malformed and unknown tokens look alike: a guesser learns nothing.
            raise NotFound("PRODUCT_NOT_FOUND", "no product has this token") from None
        async with self._pool.acquire() as conn:
            product_id = await storage.product_by_serial(conn, claims.serial, claims.key_id)
        if product_id is None:
            raise NotFound("PRODUCT_NOT_FOUND", "no product has this token")
        return await self.proof(product_id)

    async def proof_for_staff(self, principal: Principal | None, product_id: str) -> Bundle:
        """The proof by product id (ids are predictable): only for callers who may see the product's factory."""
        async with self._pool.acquire() as conn:
            factory_id = await storage.product_factory(conn, product_id)
        if factory_id is None or not _visible(principal, factory_id):
            raise NotFound("PRODUCT_NOT_FOUND", f"product {product_id} not found")
        return await self.proof(product_id)

    async def proof(self, product_id: str) -> Bundle:
        """The proof bundle; callers decide who may have it (proof_for_token, proof_for_staff)."""
        async with self._pool.acquire() as conn:
            subject = await storage.proof_subject(conn, product_id)
        if subject is None:
            raise NotFound("PRODUCT_NOT_FOUND", f"product {product_id} not found or not anchored yet")
        if isinstance(subject, Unanchored):
            raise FailedPrecondition(
                "NOT_ANCHORED",
                f"the product's batch is not anchored yet (state {subject.state})",
                metadata={"state": subject.state, "batch_id": subject.batch_id},
            )
        index, bits = subject.leaf_index, subject.chunk_bits
        chunk_leaves = [
            merkle.leaf_hash(self._leaf(subject, product, serial).encode())
            for product, serial in zip(subject.chunk_ids, subject.chunk_serials, strict=True)
        ]
        roots = domain.split_roots(subject.aggregate_leaves)
        return Bundle(
            leaf=self._leaf(subject, subject.product_id, subject.serial),
            leaf_index=index,
            batch_size=subject.batch_size,
            batch_path=leaves.product_path(chunk_leaves, index, bits, subject.upper_path),
            batch_root=subject.batch_root,
            anchor=Aggregated.of(roots, subject.aggregate_index, subject.aggregate_root, subject),
        )

    async def ledger_anchor(self, tree_size: int) -> LedgerAnchor:
        async with self._pool.acquire() as conn:
            row = await storage.ledger_anchor(conn, tree_size)
        if row is None:
            fields = {"tree_size": "not an anchored checkpoint"} if tree_size else None
            raise NotFound("NOT_FOUND", "no anchored ledger checkpoint (of this size)", fields=fields)
        roots = domain.split_roots(row.leaves)
        return LedgerAnchor(
            origin=row.origin,
            tree_size=row.tree_size,
            root_hash=row.root_hash,
            commitment=roots[row.aggregate_index],
            anchor=Aggregated.of(roots, row.aggregate_index, row.root, row),
        )

    def _leaf(self, subject: ProofSubject, product_id: str, serial: int) -> leaves.Leaf:
        token = self._ring.issue(serial, subject.key_id)
        return leaves.product_leaf(token, subject.batch_id, product_id, serial, subject.sku)
