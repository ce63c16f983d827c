"""The admin service's records, as the domain and the API see them."""

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple

from voketag.auth import Role


@dataclass(frozen=True)
class User:
    id: uuid.UUID
    email: str
    display_name: str
    role: Role
    factory_id: uuid.UUID | None
    active: bool
    token_version: int
    created_at: datetime
    updated_at: datetime
    last_login_at: datetime | None
    deactivated_at: datetime | None
    password_hash: str | None = None


@dataclass(frozen=True)
class Factory:
    id: uuid.UUID
    name: str
    code: str
    country_code: str
    active: bool
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class ServiceAccount:
    id: uuid.UUID
    name: str
    factory_id: uuid.UUID
    client_id: str
    description: str
    secret_hint: str
    token_version: int
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None
    secret_hash: str = ""

    @property
    def active(self) -> bool:
        return self.revoked_at is None


@dataclass(frozen=True)
class Tokens:
    """What Login and RefreshToken hand back."""

    access_token: str
    refresh_token: str
    expires_in: int
    refresh_expires_in: int
    user: User


@dataclass(frozen=True)
class Revoked:
    """Revocations to mirror into Redis once the transaction that made them has committed."""

    versions: dict[str, int]
    sessions: list[str]


@dataclass(frozen=True)
class ScanRow:
    """A scan as the review queue and the exports read it (scans joined with the product's serial)."""

    id: int
    scanned_at: datetime
    product_id: uuid.UUID | None
    batch_id: uuid.UUID | None
    factory_id: uuid.UUID | None
    serial: int
    verdict: str
    risk_score: int
    factors: Any
    country: str
    device_hash: str
    ledger_seq: int | None
    latitude: float | None
    longitude: float | None


@dataclass(frozen=True)
class ReportRow:
    id: uuid.UUID
    product_id: uuid.UUID | None
    batch_id: uuid.UUID | None
    factory_id: uuid.UUID | None
    contact: str
    description: str
    status: str
    note: str
    created_at: datetime
    updated_at: datetime
    updated_by: str
    scan_id: int | None
    country_code: str
    token_fingerprint: str
    counterfeit_token: str | None


@dataclass(frozen=True)
class AuditRow:
    seq: int
    at: datetime
    actor: str
    actor_role: str
    factory_id: str
    action: str
    object_type: str
    object_id: str
    request_id: str
    source: str
    details: Any
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class ScanFilter:
    min_risk: int
    verdict: str
    factory_id: uuid.UUID | None
    batch_id: uuid.UUID | None
    product_id: uuid.UUID | None
    start: datetime | None
    end: datetime | None
    # ISO 3166-1 alpha-2 of where the scans were located; "" = any.
    country: str = ""


@dataclass(frozen=True)
class AuditFilter:
    actor_id: str
    action: str
    object_type: str
    object_id: str
    service: str
    start: datetime | None
    end: datetime | None


@dataclass(frozen=True)
class ReportFilter:
    status: str
    factory_id: uuid.UUID | None
    product_id: uuid.UUID | None
    batch_id: uuid.UUID | None


@dataclass(frozen=True)
class VerdictSums:
    """Scans per verdict and their summed risk, from a scan rollup."""

    authentic: int
    suspicious: int
    invalid: int
    revoked: int
    risk_sum: int


@dataclass(frozen=True)
class CatalogCounts:
    """Products, batches, anchoring failures and fraud reports of one dashboard window."""

    products: int
    batches: int
    anchoring_failures: int
    fraud_reports: int


@dataclass(frozen=True)
class CatalogWindows:
    """Catalog counts over all time and since each window start, with the figures that have no window."""

    windows: list[CatalogCounts]
    anchoring_backlog: int
    open_fraud_reports: int


@dataclass(frozen=True)
class DayScans:
    day: date
    sums: VerdictSums


@dataclass(frozen=True)
class CountryScans:
    country: str | None
    sums: VerdictSums


@dataclass(frozen=True)
class DayCatalog:
    day: date
    products: int
    reports: int


@dataclass(frozen=True)
class RiskBucket:
    bucket: int
    scans: int


@dataclass(frozen=True)
class TopProduct:
    product_id: uuid.UUID
    batch_id: uuid.UUID
    scans: int
    max_risk: int
    average_risk: float
    last_scanned_at: datetime
    serial: int
    sku: str


@dataclass(frozen=True)
class TopBatch:
    batch_id: uuid.UUID
    factory_id: uuid.UUID
    scans: int
    suspicious_scans: int
    average_risk: float
    sku: str
    product_line: str


@dataclass(frozen=True)
class CounterfeitSum:
    """Counterfeit scans of one grouping set: exactly one of day, country or (key_id, reason) is set."""

    day: date | None
    country: str | None
    key_id: int | None
    reason: str | None
    scans: int


@dataclass(frozen=True)
class RefreshTokenUse:
    """A refresh token taken for use, with its session; ``used_at`` is its value before this use."""

    used_at: datetime | None
    session_id: uuid.UUID
    user_id: uuid.UUID
    ended_at: datetime | None
    expired: bool


# The export rows are streamed by the million, hence NamedTuples; their field names are the CSV header.


class UserExportRow(NamedTuple):
    id: uuid.UUID
    email: str
    display_name: str
    role: str
    factory_id: uuid.UUID | None
    active: bool
    created_at: datetime
    last_login_at: datetime | None


class ScanExportRow(NamedTuple):
    id: int
    scanned_at: datetime
    product_id: uuid.UUID | None
    batch_id: uuid.UUID | None
    factory_id: uuid.UUID | None
    serial: int
    verdict: str
    risk_score: int
    country_code: str
    device_hash: str
    ledger_sequence: int | None


class ReportExportRow(NamedTuple):
    id: uuid.UUID
    created_at: datetime
    status: str
    product_id: uuid.UUID | None
    batch_id: uuid.UUID | None
    factory_id: uuid.UUID | None
    token_fingerprint: str
    country_code: str
    scan_id: int | None
    contact: str
    description: str
    note: str
    updated_at: datetime
    updated_by: str
