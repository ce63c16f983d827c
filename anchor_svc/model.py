"""The anchor service's rows, as storage returns them: a renamed SQL alias fails the type check, not a call."""

from dataclasses import dataclass
from datetime import datetime


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
