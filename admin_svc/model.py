"""The admin service's records, as the domain and the API see them."""

import uuid
from dataclasses import dataclass
from datetime import datetime

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
