"""Typed rows of the factory service: what storage returns and the use cases hand to the servicer."""

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from voketag import gs1, lifecycle


@dataclass(frozen=True, slots=True)
class AnchorFacts:
    """The batch's anchor record (the source of GET /v1/anchor/{id}); state is '' while there is none."""

    state: str
    chain_id: int
    tx_hash: str
    block_number: int
    confirmations: int
    batch_root: bytes
    sender: str
    anchored_at: datetime | None


@dataclass(frozen=True, slots=True)
class Batch:
    id: str
    factory_id: str
    sku: str
    product_line: str
    product_name: str
    quantity: int
    state: str
    lifecycle: str
    lifecycle_reason: str
    public_reason: str
    metadata: dict[str, str]
    key_id: int
    request_id: str
    request_hash: str
    created_by: str
    created_at: datetime
    updated_at: datetime
    released_at: datetime | None
    ended_at: datetime | None
    seal_at: datetime | None
    # True while products can still be added: CREATED and seal_at in the future (by the database clock).
    open: bool
    anchor: AnchorFacts
    gs1_keys: gs1.Keys


@dataclass(frozen=True, slots=True)
class Product:
    id: str
    batch_id: str
    factory_id: str
    sku: str
    key_id: int
    serial: int
    leaf_index: int
    external_id: str
    own_lifecycle: str | None
    lifecycle_reason: str
    public_reason: str
    batch_lifecycle: str
    metadata: dict[str, str]
    created_at: datetime
    updated_at: datetime
    gs1_keys: gs1.Keys
    # Filled by the use cases: the token is derived from (serial, key id), never stored.
    token_fingerprint: str = ""
    token: str = ""
    link: str = ""
    gs1_element_string: str = ""

    @property
    def lifecycle(self) -> str:
        return lifecycle.effective(self.own_lifecycle, self.batch_lifecycle).state


@dataclass(frozen=True, slots=True)
class ExportRow:
    id: str
    serial: int
    external_id: str
    own_lifecycle: str | None
    created_at: datetime
    metadata: dict[str, str]


@dataclass(frozen=True, slots=True)
class Webhook:
    id: str
    factory_id: str
    url: str
    events: list[str]
    description: str
    active: bool
    secret: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Delivery:
    id: str
    webhook_id: str
    event_type: str
    event_id: str
    object_id: str
    state: str
    attempts: int
    last_status_code: int
    last_error: str
    created_at: datetime
    last_attempt_at: datetime | None
    next_attempt_at: datetime | None
    delivered_at: datetime | None


@dataclass(frozen=True, slots=True)
class DeliveryTarget:
    """What the webhook worker needs for one attempt."""

    id: str
    state: str
    attempts: int
    event_id: str
    body: str
    url: str
    secret: str
    live: bool


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """An idempotency record of factory_requests."""

    request_hash: str
    object_id: str
    result: dict[str, Any] = field(default_factory=dict)


# The EPCIS export streams one row per product and per scan: tuples keep those rows cheap.
class CommissionedProduct(NamedTuple):
    id: uuid.UUID
    serial: int
    batch_id: uuid.UUID
    created_at: datetime
    gtin: str


class BatchProduct(NamedTuple):
    id: uuid.UUID
    serial: int


class ScanEvent(NamedTuple):
    product_id: uuid.UUID
    serial: int
    scanned_at: datetime
    country: str
    verdict: str
    risk_score: int
    gtin: str


@dataclass(frozen=True, slots=True)
class LifecycleChange:
    """A batch or product lifecycle event (type 'batch.revoked', 'product.recalled', ...) with its batch's GTIN."""

    type: str
    batch_id: uuid.UUID
    created_at: datetime
    payload: dict[str, Any]
    gtin: str
