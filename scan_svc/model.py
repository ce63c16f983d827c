"""The scan service's rows, as storage returns them: a renamed SQL alias fails the type check, not a verify."""

import uuid
from dataclasses import dataclass, fields
from datetime import datetime

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
