"""The anchor service's rows, as storage returns them: a renamed SQL alias fails the type check, not a call."""

from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple


@dataclass(frozen=True)
class BatchRow:
    id: str
    factory_id: str
    sku: str
    quantity: int
    key_id: int
    state: str


@dataclass(frozen=True)
class Submission:
    """What a record holds once its aggregation has a transaction: nothing of it is missing then."""

    tx_hash: str
    chain_id: int
    sender: str
    batch_root: bytes
    aggregate_root: bytes
    aggregate_index: int
    aggregate_leaves: bytes


@dataclass(frozen=True)
class AnchorRecord:
    """A batch's anchor record with the aggregation (transaction) it joined, if any."""

    batch_id: str
    factory_id: str
    state: str
    batch_root: bytes | None
    batch_size: int | None
    chunk_bits: int | None
    aggregate_index: int | None
    attempts: int
    last_error: str
    created_at: datetime
    updated_at: datetime
    anchored_at: datetime | None
    aggregation_id: int | None
    aggregate_root: bytes | None
    aggregate_size: int | None
    tx_hash: str | None
    block_number: int | None
    confirmations: int | None
    chain_id: int | None
    sender: str | None
    nonce: int | None
    broadcast_at: datetime | None
    next_attempt_at: datetime | None
    aggregate_leaves: bytes | None
    aggregation_state: str | None

    def submission(self) -> Submission | None:
        """The transaction facts, or None while the record has not been submitted."""
        if (
            not self.tx_hash
            or self.chain_id is None
            or self.sender is None
            or self.batch_root is None
            or self.aggregate_root is None
            or self.aggregate_index is None
            or self.aggregate_leaves is None
        ):
            return None
        return Submission(
            self.tx_hash,
            self.chain_id,
            self.sender,
            bytes(self.batch_root),
            bytes(self.aggregate_root),
            self.aggregate_index,
            bytes(self.aggregate_leaves),
        )


@dataclass(frozen=True)
class Unanchored:
    """A product whose batch has no anchored proof yet."""

    batch_id: str
    state: str


@dataclass(frozen=True)
class ProofSubject:
    """A product of an anchored batch with everything its proof needs: nothing of it is missing then."""

    product_id: str
    serial: int
    leaf_index: int
    sku: str
    key_id: int
    batch_id: str
    chunk_ids: list[str]
    chunk_serials: list[int]
    upper_path: list[bytes]
    batch_size: int
    chunk_bits: int
    batch_root: bytes
    aggregate_index: int
    aggregate_size: int
    aggregate_root: bytes
    aggregate_leaves: bytes
    chain_id: int
    tx_hash: str
    block_number: int
    sender: str
    anchored_at: datetime


@dataclass(frozen=True)
class LedgerAnchorRow:
    """An anchored scan-ledger checkpoint with the aggregation that carries it."""

    origin: str
    tree_size: int
    root_hash: bytes
    aggregate_index: int
    leaves: bytes
    size: int
    root: bytes
    chain_id: int
    tx_hash: str
    block_number: int
    sender: str
    anchored_at: datetime


@dataclass(frozen=True)
class Flight:
    """An aggregation in flight (SUBMITTED or CONFIRMING), read with the database's clock."""

    id: int
    nonce: int
    root: bytes
    state: str
    tx_hash: str | None
    block_hash: str | None
    fee_bumps: int
    attempts: int
    accepted: bool
    refusals: int
    broadcast_at: datetime | None
    signed_at: datetime
    next_attempt_at: datetime
    now: datetime


@dataclass(frozen=True)
class SignedTransaction:
    """One signed version of an aggregation's transaction."""

    tx_hash: str
    raw: bytes
    max_fee_per_gas: int
    max_priority_fee_per_gas: int


@dataclass(frozen=True)
class PendingSummary:
    """Sealed batches waiting for aggregation, whether one was asked for, and the oldest one's wait (s)."""

    pending: int
    urgent: bool
    waited_s: float


@dataclass(frozen=True)
class PendingRoot:
    """A sealed batch root waiting for aggregation (locked by the aggregator that read it)."""

    batch_id: str
    batch_root: bytes
    urgent: bool
    ready_at: datetime


@dataclass(frozen=True)
class BatchLock:
    """A batch's anchor record as sealing and retry see it under its row lock."""

    state: str
    batch_root: bytes | None


class LeafRow(NamedTuple):
    """A product in leaf order; sealing streams a batch's worth of these."""

    id: str
    serial: int
    leaf_index: int


@dataclass(frozen=True)
class ChainRow:
    """The chain (chain id and genesis block) the anchors are recorded on."""

    id: int
    chain_id: int
    genesis_hash: str


@dataclass(frozen=True)
class MinedAggregation:
    """An ANCHORED aggregation: it was mined, so its block is known."""

    id: int
    tx_hash: str
    block_number: int
    block_hash: str
