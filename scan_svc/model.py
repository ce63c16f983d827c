"""The scan service's rows, as storage returns them: a renamed SQL alias fails the type check, not a verify."""

import base64
import uuid
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import NamedTuple

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from voketag.db import Row


@dataclass(frozen=True)
class ProductFacts:
    """A product with its batch, factory, report counts, anchor and scan counter (store._PRODUCT_COLUMNS)."""

    product_id: uuid.UUID
    serial: int
    external_id: str
    product_lifecycle: str | None
    product_public_reason: str
    batch_id: uuid.UUID
    factory_id: uuid.UUID
    sku: str
    product_line: str
    product_name: str
    state: str
    batch_lifecycle: str
    batch_public_reason: str
    batch_created_at: datetime
    key_id: int
    factory_name: str
    gtin: str | None
    lot: str
    open_reports: int
    counted_reports: int
    confirmed_reports: int
    batch_confirmed: int
    chain_id: int | None
    tx_hash: str | None
    block_number: int | None
    confirmations: int | None
    anchored_at: datetime | None
    scan_count: int
    first_scanned_at: datetime | None

    @classmethod
    def from_row(cls, row: Row) -> "ProductFacts":
        """The product columns of a row that may carry more (the counting query adds its own)."""
        return cls(**{name: row[name] for name in _FIELDS})


_FIELDS = tuple(field.name for field in fields(ProductFacts))


# A tuple, not a dataclass: the sealer and the verifier read thousands of these per batch.
class LedgerScan(NamedTuple):
    """A scans row as its ledger leaf commits to it (ledger.canonical)."""

    ledger_seq: int
    id: int
    product_id: uuid.UUID
    batch_id: uuid.UUID
    factory_id: uuid.UUID
    scanned_at: datetime
    verdict: str
    risk_score: int
    # jsonb as PostgreSQL returns it (text)
    factors: str
    device_hash: str
    country: str
    latitude: float | None
    longitude: float | None

    @classmethod
    def from_row(cls, row: Row) -> "LedgerScan":
        """The scan columns of a row that may carry more (ledger columns, the scan's age)."""
        return cls._make(row[name] for name in cls._fields)


class PendingScan(NamedTuple):
    """A committed scan the sealer has not sealed yet, with its age (s)."""

    scan: LedgerScan
    age_s: float


class SealedEntry(NamedTuple):
    """A sealed ledger entry with the scan it names (None when the scan is gone, or was pruned)."""

    seq: int
    void: bool
    pruned: bool
    leaf_hash: bytes
    chain_hash: bytes
    scan: LedgerScan | None


class ScanEntry(NamedTuple):
    """A committed scan with its ledger leaf hash (None until sealed)."""

    scan: LedgerScan
    leaf_hash: bytes | None


@dataclass(frozen=True)
class LedgerState:
    """Where the sealer stopped: the tree size, the chain head, the Merkle frontier, and the tree size whose
    Merkle nodes are all stored (below tree_size while the nodes of older entries are being filled in)."""

    tree_size: int
    head_hash: bytes
    frontier: list[bytes]
    nodes_size: int


@dataclass(frozen=True)
class NoteCheckpoint:
    """A checkpoint signed as a C2SP note, with its witnesses' cosignature lines."""

    tree_size: int
    root_hash: bytes
    origin: str
    note_signature: bytes
    cosignatures: list[str]


CHECKPOINT_PREFIX = "voketag-ledger-v1"


@dataclass(frozen=True)
class Checkpoint:
    tree_size: int
    root_hash: bytes
    head_hash: bytes
    created_at: datetime
    signature: bytes
    key_id: str

    @staticmethod
    def text(tree_size: int, root_hash: bytes, created_at: datetime) -> bytes:
        """The signed form; created_at has whole seconds so every RFC 3339 printer agrees on it."""
        stamp = created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return f"{CHECKPOINT_PREFIX}\n{tree_size}\n{base64.b64encode(root_hash).decode()}\n{stamp}\n".encode()

    @classmethod
    def from_row(cls, row: Row) -> "Checkpoint":
        return cls(
            row["tree_size"], row["root_hash"], row["head_hash"], row["created_at"], row["signature"], row["key_id"]
        )

    def verify(self, public_key: Ed25519PublicKey) -> bool:
        try:
            public_key.verify(self.signature, self.text(self.tree_size, self.root_hash, self.created_at))
        except InvalidSignature:
            return False
        return True


@dataclass(frozen=True)
class Partition:
    name: str
    # [starts, ends): one calendar month in UTC.
    starts: datetime
    ends: datetime


@dataclass(frozen=True)
class Contents:
    scans: int
    # Highest ledger sequence number of the partition's scans (0 when it has none).
    last_seq: int
    # Scans the admin rollups count for the partition's days (scan_daily, UTC days).
    rolled_up: int
